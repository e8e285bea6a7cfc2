"""Policy rows: constraints a planner set (caps, floors, standards, counts, budget), kept by name.

Every policy constraint goes through :func:`add_row`, which records what it means in words, so
that indicators and the infeasibility explanation can speak in policy terms, and which, in
elastic mode, gives the row a penalised slack (``slack_<row name>``) instead of enforcing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulp

if TYPE_CHECKING:
    from optimizer.model.problem import AllocationModel

__all__ = ["PolicyRow", "add_row"]

_SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}


@dataclass(frozen=True)
class PolicyRow:
    """One policy constraint.

    Attributes
    ----------
    name : str
        Constraint name, derived from ids (``cap_beds_2030``).
    family : int
        Constraint family of the model docstring (1-7).
    year : int or None
        Plan year it belongs to (None for the whole horizon, e.g. the budget).
    text : str
        What it says, for a planner: "the cap of 7.5 beds per 1000 residents in 2030
        (at most 8,835 beds)".
    unit : str
        Unit of its slack ("beds", "residents", "10k CNY", "sub-centres").
    resource : str
        Resource it is about ("" when none).
    sense : str
        ``<=``, ``>=`` or ``==``.
    rhs : float
        Right-hand side.
    terms : tuple of (str, float)
        Variable name and coefficient of the left-hand side.
    constant : float
        Constant part of the left-hand side.
    slacks : tuple of str
        Names of its slack variables (elastic mode only): the first one relaxes a ``<=`` row
        upwards or a ``>=`` row downwards.
    weight : float
        Penalty per unit of slack.
    kind : str
        ``binding`` (hard) or ``expected`` (soft: a shortfall variable ``short_<name>`` lets it
        give way, minimised by the ``targets`` objective).
    """

    name: str
    family: int
    year: int | None
    text: str
    unit: str
    resource: str
    sense: str
    rhs: float
    terms: tuple[tuple[str, float], ...]
    constant: float
    slacks: tuple[str, ...]
    weight: float
    kind: str = "binding"


def add_row(
    model: AllocationModel, expr: Any, sense: str, rhs: float, *, name: str, family: int,
    year: int | None, text: str, unit: str, resource: str = "", weight: float = 1.0,
    kind: str = "binding",
) -> None:
    """Add ``expr <sense> rhs`` to the model as a named policy row (elastic: with slack).

    An ``expected`` row gets a shortfall variable instead, weighted by 1/|rhs| in the
    ``targets`` objective so that every expected target counts by its relative shortfall.
    """
    expression = pulp.LpAffineExpression(expr) if not isinstance(
        expr, pulp.LpAffineExpression) else expr
    slacks: list[pulp.LpVariable] = []
    lhs = expression
    if kind == "expected" and sense in ("<=", ">="):
        short = model.problem.add_variable(f"short_{name}", 0)
        lhs = lhs + short if sense == ">=" else lhs - short
        model.target_slack[name] = (short, 1.0 / max(1.0, abs(float(rhs))))
    elif model.elastic:
        if sense in ("<=", "=="):
            slacks.append(model.problem.add_variable(f"slack_{name}", 0))
            lhs = lhs - slacks[-1]
        if sense in (">=", "=="):
            slacks.append(model.problem.add_variable(f"slack_{name}_up", 0))
            lhs = lhs + slacks[-1]
        if sense == ">=":
            slacks.reverse()
        for slack in slacks:
            model.slack[slack.name] = slack
    model.problem += pulp.LpConstraint(lhs, _SENSES[sense], name, rhs)
    model.rows.append(PolicyRow(
        name=name, family=family, year=year, text=text, unit=unit, resource=resource,
        sense=sense, rhs=float(rhs),
        terms=tuple((v.name, float(c)) for v, c in expression.items()),
        constant=float(expression.constant), slacks=tuple(s.name for s in slacks),
        weight=weight, kind=kind,
    ))

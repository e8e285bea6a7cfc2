"""The allocation model's state: the PuLP problem and its variables keyed by domain ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pulp

from optimizer.model.inputs import ModelInputs
from optimizer.model.policy_rows import PolicyRow

__all__ = ["AllocationModel", "Key", "add_row"]

Key = tuple[Any, ...]


@dataclass
class AllocationModel:
    """The PuLP problem with its variables keyed by domain ids.

    Built once by :func:`build_model`; the lexicographic stages add objective-holding rows to
    ``problem`` (see :mod:`optimizer.model.stages`).
    """

    inputs: ModelInputs
    problem: pulp.LpProblem
    elastic: bool
    level: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    up: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    down: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    open_sub: dict[str, pulp.LpVariable] = field(default_factory=dict)
    open_cvc: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    cover: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    serve: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    unmet: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    need: dict[Key, int] = field(default_factory=dict)
    upper: dict[Key, float | None] = field(default_factory=dict)
    rows: list[PolicyRow] = field(default_factory=list)
    slack: dict[str, pulp.LpVariable] = field(default_factory=dict)
    covered: dict[Key, Any] = field(default_factory=dict)
    in_scope: dict[Key, float] = field(default_factory=dict)
    worst: pulp.LpVariable | None = None
    need_expr: dict[Key, Any] = field(default_factory=dict)
    need_scale: dict[Key, float] = field(default_factory=dict)
    inherited: dict[Key, int] = field(default_factory=dict)
    short: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    short_worst: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    excess: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    seconded: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    seconded_out: dict[Key, pulp.LpVariable] = field(default_factory=dict)
    target_slack: dict[str, tuple[pulp.LpVariable, float]] = field(default_factory=dict)
    need_table: pd.DataFrame | None = None
    certain: set[Key] = field(default_factory=set)

    def L(self, fid: str, resource: str, year: int) -> Any:  # noqa: N802  (the docstring's L)
        """Level of ``resource`` at ``fid`` in ``year`` (a variable, an expression or a number)."""
        key = (fid, resource, year)
        if key in self.level:
            return self.level[key]
        base = self.inputs.base(fid, resource)
        if (fid, year) in self.open_cvc and self.need.get((fid, resource), 0):
            return base + self.need[(fid, resource)] * self.open_cvc[(fid, year)]
        return base

    def increase(self, fid: str, resource: str, year: int) -> Any:
        """Gross increase of a level over the period ending in ``year``."""
        if (fid, resource, year) in self.up:
            return self.up[(fid, resource, year)]
        need = self.need.get((fid, resource), 0)
        if need and (fid, year) in self.open_cvc:
            before = self.inputs.previous(year)
            previous = self.open_cvc.get((fid, before), 0)
            return need * (self.open_cvc[(fid, year)] - previous)
        return 0

    def effective(self, fid: str, resource: str, year: int) -> Any:
        """Who serves at ``fid``: its level, plus doctors seconded in, less those seconded out."""
        level = self.L(fid, resource, year)
        seconded_in = self.seconded.get((fid, resource, year))
        seconded_out = self.seconded_out.get((fid, resource, year))
        if seconded_in is not None:
            level = level + seconded_in
        if seconded_out is not None:
            level = level - seconded_out
        return level

    def district_need(self) -> dict[tuple[str, int], float]:
        """D[r,t] = Σ_j S_j: the district's need per resource and year (family 8's scale)."""
        totals: dict[tuple[str, int], float] = {}
        for (_, resource, year), scale in self.need_scale.items():
            totals[(resource, year)] = totals.get((resource, year), 0.0) + scale
        return totals

    def total(self, resource: str, year: int, facilities: Any = None) -> Any:
        """Σ_j L(j,r,t) over ``facilities`` (all by default)."""
        ids = self.inputs.facilities.index if facilities is None else facilities
        return pulp.lpSum(self.L(fid, resource, year) for fid in ids)


_SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}


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

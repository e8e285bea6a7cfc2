"""Policy rows: constraints a planner set (caps, floors, standards, counts, budget), kept by name.

Every policy constraint goes through :func:`optimizer.model.problem.add_row`, which records what
it means in words, so that indicators and the infeasibility explanation can speak in policy
terms, and which, in elastic mode, gives the row a penalised slack (``slack_<row name>``)
instead of enforcing it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PolicyRow"]


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

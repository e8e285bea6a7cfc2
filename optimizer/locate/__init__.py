"""Location kernels (coverage, median, center, capacitated, backup, dispersion) on a cost table."""

from optimizer.locate.backup import bclp, lscp_b
from optimizer.locate.capacitated import capacitated_lscp, capacitated_p_median
from optimizer.locate.center import p_center
from optimizer.locate.costs import CostTable
from optimizer.locate.covering import lscp, mclp
from optimizer.locate.dispersion import p_dispersion
from optimizer.locate.geo import from_geodataframes
from optimizer.locate.median import p_median
from optimizer.locate.result import LocateResult
from optimizer.solvers.status import SolveStatus

__all__ = [
    "CostTable",
    "LocateResult",
    "SolveStatus",
    "bclp",
    "capacitated_lscp",
    "capacitated_p_median",
    "from_geodataframes",
    "lscp",
    "lscp_b",
    "mclp",
    "p_center",
    "p_dispersion",
    "p_median",
]

"""Location kernels (LSCP, MCLP, p-median, p-center) on a cost matrix, solved exactly and fast."""

from optimizer.locate.center import p_center
from optimizer.locate.covering import lscp, mclp
from optimizer.locate.median import p_median
from optimizer.locate.result import LocateResult
from optimizer.solvers.status import SolveStatus

__all__ = ["LocateResult", "SolveStatus", "lscp", "mclp", "p_center", "p_median"]

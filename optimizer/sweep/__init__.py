"""Scenario sweeps: one base scenario solved under many assumptions, in parallel on Dask.

A sweep file (:mod:`~optimizer.sweep.spec`) names a base scenario and the dotted keys to vary;
:mod:`~optimizer.sweep.points` expands them into points with stable ids and validates every
point's scenario before any solve; :mod:`~optimizer.sweep.run` solves the points on a Dask
cluster (:mod:`~optimizer.sweep.solve_point` on the workers), storing each result as it arrives
(:mod:`~optimizer.sweep.store`) so an interrupted sweep resumes; :mod:`~optimizer.sweep.table`,
:mod:`~optimizer.sweep.analysis` and :mod:`~optimizer.sweep.report` turn the results into one
table and a summary of which assumptions change the decision.
"""

from optimizer.sweep.points import Point, expand_points, point_id
from optimizer.sweep.run import SweepProgress, SweepSummary, run_sweep
from optimizer.sweep.spec import SweepSpec, load_sweep

__all__ = [
    "Point",
    "SweepProgress",
    "SweepSpec",
    "SweepSummary",
    "expand_points",
    "load_sweep",
    "point_id",
    "run_sweep",
]

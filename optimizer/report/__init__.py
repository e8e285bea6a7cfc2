"""Reports a committee can read: static PNG maps, an offline interactive map and one HTML page.

Call after a command's files are written (reports read files, never solver objects)::

    write_run_report(out_dir, dataset, maps=True)       # after `medalloc run`
    write_coverage_report(out_dir, dataset, maps=True)  # after `medalloc coverage`
    write_justify_report(out_dir, dataset, maps=True)   # after `medalloc justify`

Each adds ``report.html`` (and, with ``maps``, ``map.html`` and PNG maps) to ``out_dir`` and
returns the paths written. Maps need the ``maps`` extra (matplotlib).
"""

from optimizer.report.writer import write_coverage_report, write_justify_report, write_run_report

__all__ = ["write_coverage_report", "write_justify_report", "write_run_report"]

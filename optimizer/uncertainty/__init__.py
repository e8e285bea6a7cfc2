"""Uncertainty draws: how sure a sub-centre conclusion is, from seeded draws run on Dask.

Modules: ``section`` (the ``[uncertainty]`` scenario section), ``errors_table`` (the stated
error of each estimation method), ``base`` (the data every draw starts from), ``draw`` (one
draw: sampled inputs, travel, coverage, the ranking of every set), ``cluster`` (the Dask
boundary), ``store`` (the per-draw files), ``summary`` (tables and facts), ``conclusion`` (the
written conclusion), ``plot`` (the village map) and ``job`` (the job tying them together).
This package module imports nothing heavy, so the scenario schema can import the section
without a cycle.
"""

from optimizer.config.uncertainty import Distribution, UncertaintySection

__all__ = ["Distribution", "UncertaintySection"]

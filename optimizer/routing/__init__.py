"""Road routing done right: edge snapping, one-way roads, islands, bounded searches and a cache.

Modules: :mod:`~optimizer.routing.attributes` (``oneway`` and ``maxspeed`` columns),
:mod:`~optimizer.routing.snap` (points onto the nearest edge of the main network),
:mod:`~optimizer.routing.engine` (bounded multi-source shortest paths from the facility side),
:mod:`~optimizer.routing.cache` (tables on disk by the network's and the points' hashes),
:mod:`~optimizer.routing.context` (one road graph per scenario, reused by every command) and
:mod:`~optimizer.routing.models` (key figures under both travel models, side by side).
"""

"""Road layers from OpenStreetMap or QGIS exports: tags, default speeds, import and calibration.

* :mod:`optimizer.roads.tags` reads OSM ``highway``, ``oneway`` and ``maxspeed`` values;
* :mod:`optimizer.roads.speeds` holds the default speed per road class and travel mode
  (``speeds.csv``, with its sources);
* :mod:`optimizer.roads.osm_import` turns an extract or an exported layer into ``roads.gpkg``;
* :mod:`optimizer.roads.calibrate` fits the straight-line detour factor from a road layer.

The submodules are imported on use, so ``import optimizer.roads`` pulls in no reader.
"""

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
OSM_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"

__all__ = ["OSM_ATTRIBUTION", "OSM_LICENCE_URL"]

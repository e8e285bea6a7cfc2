"""Write ``map.html``: one self-contained Leaflet page (vendored, inlined) that works offline.

No tiles, scripts or styles are fetched at view time: Leaflet 1.9.4's JavaScript and CSS (see
``static/leaflet/README.md``) are inlined, its images become data URIs and the layers are GeoJSON
in the page. The page marks itself for tests: ``<body data-town-features="N"
data-map-ready="1">`` once the town layer is drawn (N counts towns, by ``code``, with an SVG path
on the page), and ``data-errors`` counts script errors.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from optimizer.report.html import esc

__all__ = ["Overlay", "leaflet_assets", "write_interactive_map"]

_DIGITS = 5  # about a metre: enough for a planning map, and keeps the file small


@dataclass(frozen=True)
class Overlay:
    """One switchable layer of the map.

    Attributes
    ----------
    name : str
        Its name in the layer control.
    frame : geopandas.GeoDataFrame
        Features in any CRS, with a ``popup`` column (HTML, already escaped) and optional style
        columns ``color``, ``fill``, ``radius``, ``weight``, ``opacity`` and ``label``.
    kind : str
        ``"towns"`` (counted in ``data-town-features``, labelled), ``"areas"`` or ``"points"``.
    show : bool
        Whether the layer is on when the page opens.
    """

    name: str
    frame: gpd.GeoDataFrame
    kind: str
    show: bool = True


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and its CSS with the images inlined as data URIs."""
    folder = resources.files("optimizer.report").joinpath("static", "leaflet")
    script = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
    css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")
    for name in ("layers-2x.png", "layers.png", "marker-icon.png"):
        data = base64.b64encode(folder.joinpath("images", name).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url(data:image/png;base64,{data})")
    return script, css


def write_interactive_map(path: Path, title: str, overlays: list[Overlay], legend_html: str,
                          note: str) -> None:
    """Write the page to ``path`` (UTF-8, deterministic)."""
    script, css = leaflet_assets()
    layers = [
        {"name": o.name, "kind": o.kind, "show": o.show, "data": _geojson(o.frame)}
        for o in overlays
    ]
    data = json.dumps(layers, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    data = data.replace("</", "<\\/")  # never close the script element early
    page = f"""<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{css}</style>
<style>{_CSS}</style>
</head>
<body data-map-ready="0" data-town-features="0" data-errors="0">
<div id="title">{esc(title)}</div>
<div id="map"></div>
<div id="note">{esc(note)}</div>
<script>window.addEventListener("error", function () {{
  var b = document.body; b.dataset.errors = String(Number(b.dataset.errors || 0) + 1); }});</script>
<script>{script}</script>
<script id="layers" type="application/json">{data}</script>
<script>var LEGEND_HTML = {json.dumps(legend_html, ensure_ascii=False)};</script>
<script>{_JS}</script>
</body>
</html>
"""
    path.write_text(page, encoding="utf-8")


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    wgs = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
    geometry = shapely.set_precision(wgs.geometry.to_numpy(), 10.0 ** -_DIGITS)
    features = []
    props = [c for c in wgs.columns if c != wgs.geometry.name]
    for values, geom in zip(wgs[props].itertuples(index=False), geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        properties = {k: _json_value(v) for k, v in zip(props, values, strict=True)}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": shapely.geometry.mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _json_value(value: object) -> object:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)  # NaN -> null
    if isinstance(value, bool | int | str) or value is None:
        return value
    if hasattr(value, "item"):
        return _json_value(value.item())
    return str(value)


_CSS = """
html, body { margin: 0; height: 100%; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
  "PingFang SC", system-ui, sans-serif; }
#title { position: absolute; z-index: 1000; top: 8px; left: 56px; right: 240px; font-size: 16px;
  font-weight: 600; background: rgba(255,255,255,.85); padding: 4px 8px; border-radius: 4px; }
#map { position: absolute; top: 0; bottom: 22px; left: 0; right: 0; background: #f4f1ea; }
#note { position: absolute; bottom: 0; left: 0; right: 0; height: 22px; font-size: 11px;
  color: #555; padding: 3px 8px; background: #fff; overflow: hidden; white-space: nowrap; }
.town-label { background: transparent; border: none; box-shadow: none; font-size: 11px;
  color: #222; text-shadow: 0 0 3px #fff, 0 0 3px #fff; font-weight: 600; }
.legend { background: rgba(255,255,255,.92); padding: 6px 9px; font-size: 12px; line-height: 1.5;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: -1px; border: 1px solid #555; }
.legend i.dot { border-radius: 6px; }
.leaflet-popup-content table { border-collapse: collapse; font-size: 12px; }
.leaflet-popup-content td { padding: 1px 6px 1px 0; border-bottom: 1px solid #eee; }
.leaflet-popup-content td.num { text-align: right; }
"""

_JS = """
(function () {
  var layers = JSON.parse(document.getElementById("layers").textContent);
  var map = L.map("map", {zoomSnap: 0.25, attributionControl: false});
  var overlays = {}, bounds = null, towns = 0;
  layers.forEach(function (layer) {
    var group = L.geoJSON(layer.data, {
      style: function (f) {
        var p = f.properties;
        return {color: p.color || "#555", weight: p.weight === undefined ? 1 : p.weight,
                fillColor: p.fill || "#cccccc",
                fillOpacity: p.opacity === undefined ? 0.6 : p.opacity,
                opacity: 0.9, className: layer.kind === "towns" ? "town-feature" : ""};
      },
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        return L.circleMarker(latlng, {radius: p.radius || 5, color: p.color || "#333",
          weight: p.weight === undefined ? 1 : p.weight, fillColor: p.fill || "#888",
          fillOpacity: p.opacity === undefined ? 0.85 : p.opacity});
      },
      onEachFeature: function (f, l) {
        if (f.properties.popup) { l.bindPopup(f.properties.popup, {maxWidth: 420}); }
        if (layer.kind === "towns" && f.properties.label) {
          l.bindTooltip(f.properties.label, {permanent: true, direction: "center",
                                             className: "town-label"});
        }
      }
    });
    if (layer.show) { group.addTo(map); }
    if (layer.kind === "towns") { bounds = group.getBounds(); }
    overlays[layer.name] = group;
  });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend"); div.innerHTML = LEGEND_HTML; return div; };
  legend.addTo(map);
  if (bounds && bounds.isValid()) { map.fitBounds(bounds, {padding: [10, 10]}); }
  else { map.setView([0, 0], 2); }
  // Count what was drawn, not what was sent: one SVG path per town polygon part on the map.
  var drawn = {};
  overlays && Object.keys(overlays).forEach(function (name) {
    overlays[name].eachLayer(function (l) {
      if (l.feature && l._path && l._path.classList.contains("town-feature")) {
        drawn[l.feature.properties.code] = true; }
    });
  });
  towns = Object.keys(drawn).length;
  document.body.dataset.townFeatures = String(towns);
  document.body.dataset.mapReady = "1";
})();
"""

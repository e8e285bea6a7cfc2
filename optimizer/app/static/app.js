/* The workbench's scripts: maps (Leaflet, served locally) and a run's live progress. */
"use strict";

var TIER_COLORS = {
  tertiary_hospital: "#7f0000", secondary_hospital: "#d7301f", specialist_hospital: "#8c6bb1",
  sub_centre: "#fc8d59", township_health_centre: "#2b8cbe", community_health_centre: "#41b6c4",
  central_village_clinic: "#238b45", village_clinic: "#a1d99b"
};

function word(key) {
  return (window.MAP_WORDS && window.MAP_WORDS[key]) || key;
}

function escapeHtml(text) {
  return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
  });
}

function newMap(el) {
  var map = L.map(el, {preferCanvas: false, zoomSnap: 0.25});
  return map;
}

function addLegend(map, rows) {
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.innerHTML = rows.map(function (r) {
      return "<div><span class=\"swatch\" style=\"background:" + r[0] + "\"></span>" +
        escapeHtml(r[1]) + "</div>";
    }).join("");
    return div;
  };
  legend.addTo(map);
}

function drawDataMap(el) {
  fetch(el.dataset.url).then(function (r) { return r.json(); }).then(function (data) {
    var map = newMap(el);
    var towns = L.geoJSON(data.towns, {
      style: {color: "#555", weight: 1, fillColor: "#f4f1ea", fillOpacity: 0.6},
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindTooltip(escapeHtml(p.name_zh || p.name_en || p.code));
        layer.on("add", function () {
          if (layer._path) { layer._path.classList.add("town-feature"); }
        });
      }
    }).addTo(map);
    var villages = L.geoJSON(data.demand, {
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, {radius: 2, color: "#888", weight: 0, fillOpacity: 0.7});
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(escapeHtml(f.properties.name_zh) + " · " + f.properties.population);
      }
    });
    var overlays = {};
    overlays[word("layer.demand")] = villages;
    var tiers = {};
    data.facilities.features.forEach(function (f) {
      (tiers[f.properties.tier] = tiers[f.properties.tier] || []).push(f);
    });
    var legendRows = [];
    Object.keys(TIER_COLORS).forEach(function (tier) {
      if (!tiers[tier]) { return; }
      var color = TIER_COLORS[tier];
      var layer = L.geoJSON({type: "FeatureCollection", features: tiers[tier]}, {
        pointToLayer: function (f, ll) {
          var big = tier.indexOf("hospital") >= 0 || tier === "sub_centre";
          return L.circleMarker(ll, {radius: big ? 7 : 4, color: "#222", weight: 1,
                                     fillColor: color, fillOpacity: 0.9});
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindPopup("<b>" + escapeHtml(p.name_zh || p.name_en) + "</b><br>" +
            escapeHtml(word("tier." + tier)) + "<br>beds " + (p.beds == null ? "" : p.beds) +
            ", doctors " + (p.doctors == null ? "" : p.doctors));
        }
      });
      if (tier !== "village_clinic") { layer.addTo(map); }
      overlays[word("tier." + tier) + " (" + tiers[tier].length + ")"] = layer;
      legendRows.push([color, word("tier." + tier)]);
    });
    L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    addLegend(map, legendRows);
    map.fitBounds(towns.getBounds());
    el.dataset.towns = String(data.towns.features.length);
    el.dataset.facilities = String(data.facilities.features.length);
    el.dataset.ready = "1";
  }).catch(function (error) {
    el.dataset.ready = "error";
    el.textContent = String(error);
  });
}

function colorScale(values, diverging) {
  var finite = values.filter(function (v) { return v !== null && isFinite(v); });
  var lo = Math.min.apply(null, finite.length ? finite : [0]);
  var hi = Math.max.apply(null, finite.length ? finite : [1]);
  if (diverging) {
    var m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    lo = -m; hi = m;
  }
  function color(v) {
    if (v === null || !isFinite(v)) { return "#dddddd"; }
    var x = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    if (diverging) {
      // blue (lower) - white - red (higher)
      var d = Math.abs(x - 0.5) * 2;
      var c = Math.round(255 * (1 - d));
      return x < 0.5 ? "rgb(" + c + "," + c + ",255)" : "rgb(255," + c + "," + c + ")";
    }
    var g = Math.round(240 - 180 * x);
    return "rgb(" + Math.round(255 - 200 * x) + "," + g + "," + Math.round(200 - 90 * x) + ")";
  }
  return {color: color, lo: lo, hi: hi};
}

function drawMeasureMap(el, measureId, yearId, diverging) {
  var map = newMap(el);
  var layer = null;
  var legend = null;
  function load() {
    var url = el.dataset.url;
    if (measureId) {
      url += "?measure=" + encodeURIComponent(document.getElementById(measureId).value) +
        "&year=" + encodeURIComponent(document.getElementById(yearId).value);
    }
    el.dataset.ready = "0";
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      var values = data.features.map(function (f) { return f.properties.value; });
      var scale = colorScale(values, diverging);
      if (layer) { map.removeLayer(layer); }
      if (legend) { map.removeControl(legend); }
      layer = L.geoJSON(data, {
        style: function (f) {
          return {color: "#444", weight: 1, fillColor: scale.color(f.properties.value),
                  fillOpacity: 0.85};
        },
        onEachFeature: function (f, l) {
          var v = f.properties.value;
          l.bindTooltip(escapeHtml(f.properties.name_zh || f.properties.name_en) + ": " +
            (v === null ? word("legend.nodata") : Number(v).toFixed(3)));
          l.on("add", function () { if (l._path) { l._path.classList.add("town-feature"); } });
        }
      }).addTo(map);
      legend = L.control({position: "bottomright"});
      legend.onAdd = function () {
        var div = L.DomUtil.create("div", "legend");
        div.innerHTML = "<div><span class=\"swatch\" style=\"background:" + scale.color(scale.hi) +
          "\"></span>" + escapeHtml(word("legend.higher")) + " " + scale.hi.toFixed(3) + "</div>" +
          "<div><span class=\"swatch\" style=\"background:" + scale.color(scale.lo) +
          "\"></span>" + escapeHtml(word("legend.lower")) + " " + scale.lo.toFixed(3) + "</div>" +
          "<div><span class=\"swatch\" style=\"background:#dddddd\"></span>" +
          escapeHtml(word("legend.nodata")) + "</div>";
        return div;
      };
      legend.addTo(map);
      map.fitBounds(layer.getBounds());
      el.dataset.features = String(data.features.length);
      el.dataset.withValue = String(values.filter(function (v) { return v !== null; }).length);
      el.dataset.ready = "1";
    }).catch(function (error) {
      el.dataset.ready = "error";
      el.setAttribute("title", String(error));
    });
  }
  if (measureId) {
    document.getElementById(measureId).addEventListener("change", load);
    document.getElementById(yearId).addEventListener("change", load);
  }
  load();
}

function watchRun(el, stateWords) {
  var runId = el.dataset.run;
  var cancel = document.getElementById("cancel");
  if (cancel) {
    cancel.addEventListener("click", function () {
      cancel.disabled = true;
      fetch("/api/runs/" + runId + "/cancel", {method: "POST"}).then(function () {
        window.location.reload();
      });
    });
  }
  if (el.dataset.state !== "running") { return; }
  function poll() {
    fetch("/api/runs/" + runId).then(function (r) { return r.json(); }).then(function (job) {
      document.getElementById("log").textContent = job.lines.join("\n");
      document.getElementById("elapsed").textContent = job.elapsed_s;
      var state = document.getElementById("state");
      state.textContent = stateWords[job.state] || job.state;
      if (job.state !== "running") {
        window.location.reload();
      } else {
        window.setTimeout(poll, 1000);
      }
    }).catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}

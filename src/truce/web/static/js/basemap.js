/* The mission's map without tiles: zones coloured by who controls them, the line of contact, the corridor,
   posts and settlements with all their names, a graticule and a scale, so that it reads as a map. */
(function () {
  "use strict";

  var PALETTE = ["#f2b880", "#9cc9e3", "#b9d98c", "#d9a6d6", "#e8d27c", "#a7b4c9"];
  var STATUS_SHAPES = {
    reported: '<circle cx="8" cy="8" r="5.5" fill="#fff" stroke="COLOR" stroke-width="2.5"/>',
    under_verification: '<path d="M8 1.5 L14.5 14 H1.5 Z" fill="COLOR" stroke="#fff" stroke-width="1.2"/>',
    confirmed: '<circle cx="8" cy="8" r="6" fill="COLOR" stroke="#fff" stroke-width="1.5"/>',
    not_confirmed: '<path d="M3 3 L13 13 M13 3 L3 13" stroke="COLOR" stroke-width="3.2" stroke-linecap="round"/>',
    disputed: '<path d="M8 0.8 L10.1 5.6 L15.3 6 L11.3 9.4 L12.5 14.6 L8 11.8 L3.5 14.6 L4.7 9.4 L0.7 6 L5.9 5.6 Z" fill="COLOR" stroke="#fff" stroke-width="0.9"/>',
    inconclusive: '<rect x="2.5" y="2.5" width="11" height="11" fill="COLOR" stroke="#fff" stroke-width="1.2"/>',
    retracted: '<rect x="2" y="6" width="12" height="4" fill="COLOR"/>'
  };
  var STATUS_COLORS = {
    reported: "#4b5563", under_verification: "#b45309", confirmed: "#1d4ed8", not_confirmed: "#15803d",
    disputed: "#b91c1c", inconclusive: "#7c3aed", retracted: "#9ca3af"
  };

  function statusSvg(status, size) {
    var shape = (STATUS_SHAPES[status] || STATUS_SHAPES.reported).replace(/COLOR/g, STATUS_COLORS[status] || "#333");
    return '<svg xmlns="http://www.w3.org/2000/svg" width="' + size + '" height="' + size +
      '" viewBox="0 0 16 16" aria-hidden="true">' + shape + "</svg>";
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function partyColors(parties) {
    var colors = {};
    Object.keys(parties).forEach(function (code, i) { colors[code] = PALETTE[i % PALETTE.length]; });
    return colors;
  }

  function siteLabel(p) {
    // The server names the site in the reader's language with its other names (places.json's `label`).
    if (p.label) { return String(p.label); }
    var names = String(p.name).split(" / ");
    (p.alt_names || []).forEach(function (n) {
      var name = typeof n === "string" ? n : (n && n.name);
      if (name && names.indexOf(name) < 0) { names.push(name); }
    });
    return names.join(" / ");
  }

  function graticule(map, step) {
    var lines = [];
    for (var lon = -180; lon <= 180; lon += step) { lines.push([[-85, lon], [85, lon]]); }
    for (var lat = -80; lat <= 80; lat += step) { lines.push([[lat, -180], [lat, 180]]); }
    L.polyline(lines, { color: "#b8c4cf", weight: 0.6, interactive: false }).addTo(map);
  }

  /* Draw the places; returns {bounds, colors} for fitting the view and the legend. */
  function drawPlaces(map, places, text, passive) {
    var live = !passive;
    var colors = partyColors(places.parties || {});
    var focus = L.latLngBounds([]);
    var areas = (places.areas.features || []).slice().sort(function (a, b) {
      var order = { zone_of_control: 0, area_of_responsibility: 2, corridor: 3 };
      return (order[a.properties.kind] || 1) - (order[b.properties.kind] || 1);
    });
    areas.forEach(function (f) {
      var p = f.properties, code = p.controlled_by, style;
      if (p.kind === "zone_of_control") {
        style = { color: "#6b7785", weight: 1, fillColor: colors[code] || "#ddd", fillOpacity: 0.55 };
      } else if (p.kind === "corridor") {
        style = { color: "#7a3e00", weight: 2, dashArray: "6 4", fillColor: "#ffe08a", fillOpacity: 0.7 };
      } else {
        style = { color: "#334155", weight: 1.5, dashArray: "2 5", fill: false };
      }
      var layer = L.geoJSON(f, { style: style, interactive: live }).addTo(map);
      var owner = code && places.parties[code] ? " (" + escapeHtml(places.parties[code].name) + ")" : "";
      layer.bindTooltip(escapeHtml(p.name) + owner, { sticky: true });
      if (p.kind !== "zone_of_control") { focus.extend(layer.getBounds()); }
    });
    (places.lines.features || []).forEach(function (f) {
      var p = f.properties;
      var style = p.kind === "line_of_contact"
        ? { color: "#7f1d1d", weight: 4, dashArray: "10 5" }
        : { color: "#57534e", weight: 2 };
      var layer = L.geoJSON(f, { style: style, interactive: live }).addTo(map);
      layer.bindTooltip(escapeHtml(p.name), { sticky: true });
      if (p.kind === "line_of_contact") { focus.extend(layer.getBounds()); }
    });
    (places.sites.features || []).forEach(function (f) {
      var p = f.properties, ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.kind === "settlement") {
        L.circleMarker(ll, { radius: 4, color: "#111827", weight: 1, fillColor: "#fff", fillOpacity: 1, interactive: live })
          .bindTooltip(escapeHtml(siteLabel(p)), { permanent: true, direction: "right", className: "place-label" })
          .addTo(map);
      } else {
        var icon = L.divIcon({
          className: "site-icon site-" + p.kind,
          html: '<span aria-hidden="true" data-site-kind="' + escapeHtml(p.kind) + '"></span>',
          iconSize: [12, 12]
        });
        L.marker(ll, { icon: icon, keyboard: false, title: siteLabel(p), alt: siteLabel(p), interactive: live })
          .bindTooltip(escapeHtml((p.code ? p.code + " · " : "") + siteLabel(p)))
          .addTo(map);
      }
    });
    declutter(map);
    return { bounds: focus, colors: colors };
  }

  /* Permanent labels that would overlap an earlier one are hidden until a zoom makes room (greedy, in drawing
     order: the first settlements named keep their labels). Runs after each zoom or move. */
  function declutter(map) {
    function run() {
      var kept = [];
      map.getContainer().querySelectorAll(".leaflet-tooltip.place-label").forEach(function (label) {
        label.classList.remove("label-hidden");
        var box = label.getBoundingClientRect();
        var clash = kept.some(function (other) {
          return box.left < other.right && box.right > other.left && box.top < other.bottom && box.bottom > other.top;
        });
        if (clash) { label.classList.add("label-hidden"); } else { kept.push(box); }
      });
      map.getContainer().dataset.labelsHidden = String(map.getContainer().querySelectorAll(".label-hidden").length);
    }
    map.on("zoomend moveend", run);
    run();
  }

  function legendRow(symbol, label) {
    return '<li><span class="legend-symbol">' + symbol + "</span> " + escapeHtml(label) + "</li>";
  }

  function addLegend(map, places, drawn, text, withStatuses) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      var rows = [];
      Object.keys(places.parties || {}).forEach(function (code) {
        var used = (places.areas.features || []).some(function (f) {
          return f.properties.kind === "zone_of_control" && f.properties.controlled_by === code;
        });
        if (used) {
          // The colour is set from script below: the pages' CSP refuses style attributes in markup.
          rows.push(legendRow('<span class="swatch" data-color="' + escapeHtml(drawn.colors[code]) + '"></span>',
            text.controlled_by.replace("%s", places.parties[code].name)));
        }
      });
      rows.push(legendRow('<span class="swatch line-of-contact"></span>', text.line_of_contact));
      rows.push(legendRow('<span class="swatch corridor"></span>', text.corridor));
      var kinds = {};
      (places.sites.features || []).forEach(function (f) { kinds[f.properties.kind] = true; });
      Object.keys(text.site_kinds).forEach(function (kind) {
        if (kinds[kind]) {
          rows.push(legendRow('<span class="site-icon site-' + kind + '"><span></span></span>', text.site_kinds[kind]));
        }
      });
      rows.push(legendRow('<span class="settlement-dot"></span>', text.settlement));
      if (withStatuses) {
        text.status_order.forEach(function (s) { rows.push(legendRow(statusSvg(s, 14), text.statuses[s])); });
      }
      // On a phone the legend starts folded, so that it does not hide the map.
      var open = window.matchMedia("(min-width: 40rem)").matches ? " open" : "";
      div.innerHTML = "<details" + open + "><summary>" + escapeHtml(text.legend) + "</summary><ul>" + rows.join("") + "</ul></details>";
      div.querySelectorAll("[data-color]").forEach(function (swatch) {
        swatch.style.background = swatch.getAttribute("data-color");
      });
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);
  }

  function createMap(element, text) {
    var map = L.map(element, { zoomControl: true, keyboard: true, minZoom: 5, maxZoom: 17 });
    var tiles = element.getAttribute("data-tiles");
    var archive = element.getAttribute("data-pmtiles");
    if (archive && window.pmtiles) {
      // The mission's own PMTiles file, read by ranges from this server (kept by the service worker offline).
      window.pmtiles.leafletRasterLayer(new window.pmtiles.PMTiles(archive), { maxZoom: 17 }).addTo(map);
    } else if (tiles) {
      L.tileLayer(tiles, { maxZoom: 17, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      graticule(map, 0.25);
    }
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    map.setView([40, 46.7], 8);  // replaced by the places' extent once they arrive
    return map;
  }

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  window.TruceBase = {
    createMap: createMap, drawPlaces: drawPlaces, addLegend: addLegend, statusSvg: statusSvg, statusColors: STATUS_COLORS,
    escapeHtml: escapeHtml, fetchJson: fetchJson, siteLabel: siteLabel, declutter: declutter
  };
})();

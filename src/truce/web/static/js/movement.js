/* Freedom of movement on the incident map: planned routes, tracks, deviations, restrictions (their own symbols,
   coloured by category) and UAV flights, as layers a visitor turns on and off, with restrictions filtered by the
   controlling party and the category. Runs after map.js, on the same map (window.truceMap). */
(function () {
  "use strict";
  var B = window.TruceBase;
  var map = window.truceMap;
  var element = document.getElementById("map");
  var url = element && element.getAttribute("data-movement");
  if (!map || !url) { return; }
  var text = JSON.parse(document.getElementById("map-text").textContent).movement;
  var COLORS = { denial: "#b2182b", delay: "#e08214", conditional_access: "#8073ac", other_impediment: "#35978f" };

  // A restriction is a diamond (incidents are circles and squares), its colour the category's.
  function restrictionIcon(category) {
    var svg = '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true"><path d="M8 1 L15 8 L8 15 L1 8 Z" ' +
      'fill="' + (COLORS[category] || "#555") + '" stroke="#fff" stroke-width="1.5"/></svg>';
    return L.divIcon({ className: "restriction-icon", html: svg, iconSize: [16, 16] });
  }

  function popup(p) {
    var lines = [
      "<strong>" + B.escapeHtml(text.categories[p.category] || p.category) + "</strong>",
      B.escapeHtml(text.kinds[p.kind] || p.kind),
      B.escapeHtml(p.start.slice(0, 16).replace("T", " ")) + (p.duration_min != null ? " (" + p.duration_min + " min)" : ""),
    ];
    if (p.controlled_by) { lines.push(B.escapeHtml(p.controlled_by)); }
    if (p.reason_given) { lines.push("\u201c" + B.escapeHtml(p.reason_given) + "\u201d"); }
    return lines.join("<br>");
  }

  function build(data) {
    var layers = {};
    layers.routes = L.geoJSON(data.routes, {
      style: { color: "#2166ac", weight: 3, dashArray: "6 6", opacity: 0.8 },
      onEachFeature: function (f, layer) { layer.bindPopup(B.escapeHtml(f.properties.name)); }
    });
    layers.tracks = L.geoJSON(data.tracks, {
      style: { color: "#1a9850", weight: 2, opacity: 0.9 },
      onEachFeature: function (f, layer) { layer.bindPopup(B.escapeHtml(f.properties.name)); }
    });
    layers.deviations = L.geoJSON(data.deviations, {
      style: { color: "#d73027", weight: 4, opacity: 0.9 },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(B.escapeHtml(text.layers.off_route.replace("%s", p.distance_km).replace("%s", p.duration_min == null ? "?" : p.duration_min)));
      }
    });
    layers.uav = L.geoJSON(data.uav, {
      style: { color: "#762a83", weight: 1, fillOpacity: 0.08 },
      onEachFeature: function (f, layer) { layer.bindPopup(B.escapeHtml(f.properties.name)); }
    });
    layers.restrictions = L.layerGroup();
    var markers = (data.restrictions.features || []).map(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], { icon: restrictionIcon(f.properties.category), keyboard: true,
                                             title: text.categories[f.properties.category] || f.properties.category });
      marker.bindPopup(popup(f.properties));
      marker.restriction = f.properties;
      return marker;
    });
    return { layers: layers, markers: markers };
  }

  function filterControl(drawn) {
    var parties = {};
    drawn.markers.forEach(function (m) { if (m.restriction.controlled_by) { parties[m.restriction.controlled_by] = true; } });
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar movement-filters");
      var party = '<label>' + B.escapeHtml(text.layers.restrictions) + ' <select id="restriction-party"><option value="">' +
        B.escapeHtml(text.layers.all_parties) + "</option>" + Object.keys(parties).sort().map(function (code) {
          return '<option value="' + B.escapeHtml(code) + '">' + B.escapeHtml(code) + "</option>";
        }).join("") + "</select></label>";
      var category = ' <select id="restriction-category" aria-label="' + B.escapeHtml(text.layers.all_categories) +
        '"><option value="">' + B.escapeHtml(text.layers.all_categories) + "</option>" +
        Object.keys(text.categories).map(function (code) {
          return '<option value="' + code + '">' + B.escapeHtml(text.categories[code]) + "</option>";
        }).join("") + "</select>";
      var record = element.getAttribute("data-restriction-new");
      var link = record ? '<a class="restriction-new" href="' + B.escapeHtml(record) + '">' + B.escapeHtml(text.layers.record) + "</a>" : "";
      // On a phone the box starts folded, as the legend does: open, it covered the lower third of the map.
      var open = window.matchMedia("(min-width: 40rem)").matches ? " open" : "";
      div.innerHTML = "<details" + open + "><summary>" + B.escapeHtml(text.layers.filter) + "</summary>" +
        party + category + link + "</details>";
      L.DomEvent.disableClickPropagation(div);
      div.addEventListener("change", function () { show(drawn); });
      return div;
    };
    control.addTo(map);
  }

  function show(drawn) {
    var party = document.getElementById("restriction-party");
    var category = document.getElementById("restriction-category");
    drawn.layers.restrictions.clearLayers();
    drawn.markers.forEach(function (m) {
      var r = m.restriction;
      if ((!party || !party.value || r.controlled_by === party.value) && (!category || !category.value || r.category === category.value)) {
        drawn.layers.restrictions.addLayer(m);
      }
    });
    document.body.dataset.restrictionsShown = String(drawn.layers.restrictions.getLayers().length);
  }

  B.fetchJson(url).then(function (data) {
    var drawn = build(data);
    var overlays = {};
    ["routes", "tracks", "deviations", "restrictions", "uav"].forEach(function (key) {
      drawn.layers[key].addTo(map);
      overlays[B.escapeHtml(text.layers[key])] = drawn.layers[key];
    });
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    filterControl(drawn);
    show(drawn);
  }).catch(function (error) { if (window.console) { window.console.error(error); } });
})();

/* The administrators' map editor (Leaflet.draw): draw a new area, line or site, or reshape one place.
   Drawing only fills the form beside the map (the GeoJSON box, or a site's latitude and longitude); the
   server checks and stores what is submitted, through the same flow as the API. Without JavaScript the
   forms work as before, by typing the coordinates or pasting GeoJSON. */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("place-draw");
  if (!element || !B || !L.Control.Draw) { return; }
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var words = JSON.parse(document.getElementById("draw-text").textContent);
  var map = B.createMap(element, text);
  var drawn = new L.FeatureGroup().addTo(map);
  var status = document.getElementById("draw-status");
  var editing = element.getAttribute("data-mode") === "edit";

  L.drawLocal.draw.toolbar.buttons.polygon = words.polygon;
  L.drawLocal.draw.toolbar.buttons.polyline = words.polyline;
  L.drawLocal.draw.toolbar.buttons.marker = words.marker;
  L.drawLocal.edit.toolbar.buttons.edit = words.edit;

  function field(form, name) { return form ? form.querySelector('[name="' + name + '"]') : null; }

  function say(message) { if (status) { status.textContent = message; } }

  function chooseKind(select, prefix) {
    // A drawn polygon is an area and a drawn line a line: pick the first kind of that table if another is chosen.
    if (!select || select.value.indexOf(prefix) === 0) { return; }
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value.indexOf(prefix) === 0) { select.value = select.options[i].value; return; }
    }
  }

  function fill(layer) {
    var geometry = layer.toGeoJSON().geometry;
    if (editing) {
      field(document.getElementById("place-form"), "geometry").value = JSON.stringify(geometry);
      say(words.reshaped);
      return;
    }
    if (geometry.type === "Point") {
      var site = document.getElementById("site-form");
      field(site, "lat").value = geometry.coordinates[1].toFixed(6);
      field(site, "lon").value = geometry.coordinates[0].toFixed(6);
      say(words.site_drawn);
      field(site, "name").focus();
      return;
    }
    var shape = document.getElementById("shape-form");
    field(shape, "geometry").value = JSON.stringify(geometry);
    chooseKind(field(shape, "kind"), geometry.type === "Polygon" ? "area:" : "line:");
    say(geometry.type === "Polygon" ? words.area_drawn : words.line_drawn);
    var details = shape.querySelector("details");
    if (details) { details.open = true; }
    field(shape, "name").focus();
  }

  var options = editing
    ? { draw: false, edit: { featureGroup: drawn, remove: false } }
    : {
        draw: { polygon: { allowIntersection: false, showArea: false }, polyline: {}, marker: {},
                circle: false, circlemarker: false, rectangle: false },
        edit: { featureGroup: drawn, remove: false }
      };
  map.addControl(new L.Control.Draw(options));

  map.on(L.Draw.Event.CREATED, function (event) {
    drawn.clearLayers();
    drawn.addLayer(event.layer);
    fill(event.layer);
  });
  map.on(L.Draw.Event.EDITED, function (event) { event.layers.eachLayer(fill); });

  if (editing) {
    var current = JSON.parse(field(document.getElementById("place-form"), "geometry").value || "null");
    if (current) {
      L.geoJSON(current, { style: { color: "#b45309", weight: 3 } }).eachLayer(function (layer) {
        // A multi-part shape is edited part by part by Leaflet.draw only as a whole; one layer keeps it whole.
        drawn.addLayer(layer);
      });
    }
  }

  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    var shown = B.drawPlaces(map, data, text, true);
    var bounds = editing && drawn.getLayers().length ? drawn.getBounds() : shown.bounds;
    if (bounds && bounds.isValid()) { map.fitBounds(bounds.pad(editing ? 0.5 : 0.05), { maxZoom: 13 }); }
    document.body.dataset.mapReady = "1";
  });
})();

/* Patrol planning: each click on the map adds a turn of the route, drawn as a line and written into the route
   field as "lon lat; lon lat" (which can also be typed or corrected by hand). */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("patrol-map");
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var field = document.getElementById("f-route");
  var map = B.createMap(element, text);
  var line = L.polyline([], { color: "#2166ac", weight: 3 }).addTo(map);

  function read() {
    return field.value.split(";").map(function (pair) {
      var parts = pair.trim().replace(",", " ").split(/\s+/);
      return [parseFloat(parts[1]), parseFloat(parts[0])];
    }).filter(function (p) { return isFinite(p[0]) && isFinite(p[1]); });
  }

  function write(latlngs) {
    field.value = latlngs.map(function (p) { return p[1].toFixed(5) + " " + p[0].toFixed(5); }).join("; ");
    line.setLatLngs(latlngs);
    document.body.dataset.routePoints = String(latlngs.length);
  }

  map.on("click", function (event) { write(read().concat([[event.latlng.lat, event.latlng.lng]])); });
  field.addEventListener("change", function () { write(read()); });
  document.getElementById("route-undo").addEventListener("click", function () { write(read().slice(0, -1)); });
  document.getElementById("route-clear").addEventListener("click", function () { write([]); });

  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    var drawn = B.drawPlaces(map, data, text, true);
    var points = read();
    if (points.length) { line.setLatLngs(points); map.fitBounds(line.getBounds().pad(0.2)); }
    else if (drawn.bounds.isValid()) { map.fitBounds(drawn.bounds.pad(0.05)); }
    document.body.dataset.mapReady = "0";
  });
})();

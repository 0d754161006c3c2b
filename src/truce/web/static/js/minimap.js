/* A small map of one incident: the mission's places around it and the incident's marker, shaped by status. */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("verify-map");
  if (!element) { return; }
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var map = B.createMap(element, text);
  var here = [parseFloat(element.getAttribute("data-lat")), parseFloat(element.getAttribute("data-lon"))];
  var status = element.getAttribute("data-status");
  var icon = L.divIcon({ className: "incident-icon status-" + status, html: B.statusSvg(status, 22), iconSize: [22, 22] });
  map.setView(here, 11);
  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    B.drawPlaces(map, data, text, true);
    L.marker(here, { icon: icon, keyboard: false, title: text.statuses[status] || status }).addTo(map);
    document.body.dataset.mapReady = "1";
  });
})();

/* The overview's small map: the mission's places and the incidents of the week to the "as of" day, each marker
   shaped by its status and linked to its record. Sets #overview-map's data-drawn once they are on the map. */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("overview-map");
  if (!element) { return; }
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var map = B.createMap(element, text);
  var incidents = B.fetchJson(element.getAttribute("data-incidents"));
  B.fetchJson(element.getAttribute("data-places")).then(function (places) {
    var drawn = B.drawPlaces(map, places, text, true);
    if (drawn.bounds.isValid()) { map.fitBounds(drawn.bounds.pad(0.05)); }
    return incidents;
  }).then(function (data) {
    /* Row: [id, lon, lat, status, type, day, allegation, subtype, local time, source, nearest site]. */
    data.rows.forEach(function (row) {
      var status = row[3];
      var title = "#" + row[0] + " " + (text.types[row[4]] || row[4]) + ", " + (text.statuses[status] || status);
      var icon = L.divIcon({ className: "incident-icon status-" + status, html: B.statusSvg(status, 14), iconSize: [14, 14] });
      L.marker([row[2], row[1]], { icon: icon, title: title, alt: title })
        .bindPopup('<a href="' + element.getAttribute("data-detail") + row[0] + '">' + B.escapeHtml(title) + "</a><br>" +
          B.escapeHtml(row[8] || row[5]))
        .addTo(map);
    });
    element.dataset.drawn = String(data.rows.length);
  }).catch(function (error) {
    element.dataset.drawn = "failed";
    if (window.console) { window.console.error(error); }
  });
})();

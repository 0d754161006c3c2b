/* Incident entry: clicking the map fills in latitude and longitude (which can also be typed), and the
   subtype list follows the chosen type. */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("entry-map");
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var lat = document.getElementById("f-lat"), lon = document.getElementById("f-lon");
  var map = B.createMap(element, text);
  var marker = null;

  function place(latlng, pan) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
    if (pan) { map.panTo(latlng); }
  }

  function fromInputs() {
    var la = parseFloat(lat.value.replace(",", ".")), lo = parseFloat(lon.value.replace(",", "."));
    if (isFinite(la) && isFinite(lo)) { place([la, lo], true); }
  }

  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(5);
    lon.value = event.latlng.lng.toFixed(5);
    document.getElementById("p-map").checked = true;
    place(event.latlng, false);
    lat.dispatchEvent(new Event("change"));
  });
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);

  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    var drawn = B.drawPlaces(map, data, text, true);
    B.addLegend(map, data, drawn, text, false);
    if (drawn.bounds.isValid()) { map.fitBounds(drawn.bounds.pad(0.05)); } else { map.setView([40, 46.7], 8); }
    fromInputs();
    document.body.dataset.mapReady = "0";
  });

  var type = document.getElementById("f-type"), subtype = document.getElementById("f-subtype");
  function filterSubtypes() {
    Array.prototype.forEach.call(subtype.querySelectorAll("optgroup"), function (group) {
      var shown = !type.value || group.getAttribute("data-type") === type.value;
      group.hidden = !shown;
      group.disabled = !shown;
    });
    var chosen = subtype.options[subtype.selectedIndex];
    if (chosen && chosen.value && type.value && chosen.getAttribute("data-type") !== type.value) { subtype.value = ""; }
  }
  type.addEventListener("change", filterSubtypes);
  filterSubtypes();
})();

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

  /* Only the chosen way of placing the incident is shown: its fields, never the others'. */
  var radios = document.querySelectorAll("input[name=placement]");
  function showPlacement() {
    var chosen = document.querySelector("input[name=placement]:checked");
    var way = chosen ? chosen.value : "map";
    Array.prototype.forEach.call(document.querySelectorAll(".placement-block"), function (block) {
      block.hidden = block.getAttribute("data-placement").split(" ").indexOf(way) < 0;
    });
    element.hidden = way === "post";
    if (!element.hidden) { map.invalidateSize(); }
  }
  Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", showPlacement); });

  var locate = document.getElementById("locate"), status = document.getElementById("locate-status");
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = status.getAttribute("data-failed"); return; }
    status.textContent = status.getAttribute("data-finding");
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude.toFixed(5);
      lon.value = position.coords.longitude.toFixed(5);
      status.textContent = status.getAttribute("data-found");
      fromInputs();
    }, function () { status.textContent = status.getAttribute("data-failed"); }, { enableHighAccuracy: true, timeout: 15000 });
  });
  locate.disabled = false;  // enabled only once it listens: a tap before then would be lost

  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(5);
    lon.value = event.latlng.lng.toFixed(5);
    var post = document.getElementById("p-post");
    if (post.checked) { document.getElementById("p-map").checked = true; showPlacement(); }
    place(event.latlng, false);
    lat.dispatchEvent(new Event("change"));
  });
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);

  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    var drawn = B.drawPlaces(map, data, text, true);
    B.addLegend(map, data, drawn, text, false);
    // The map opens on the mission's zones, not on every settlement it names (capitals lie far away).
    var zones = L.latLngBounds([]);
    (data.areas.features || []).forEach(function (f) { zones.extend(L.geoJSON(f).getBounds()); });
    var focus = zones.isValid() ? zones : drawn.bounds;
    if (focus.isValid()) { map.fitBounds(focus.pad(0.02)); } else { map.setView([40, 46.7], 8); }
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
  showPlacement();
})();

/* The incident map: places, then incidents clustered, shaped and coloured by status, with filters and popups.
   Sets document.body.dataset.mapReady (the number of incidents drawn) once the map responds. */
(function () {
  "use strict";
  var B = window.TruceBase;
  var element = document.getElementById("map");
  var text = JSON.parse(document.getElementById("map-text").textContent);
  var statusLine = document.getElementById("map-status");
  var map = B.createMap(element, text);
  var iconCache = {};
  var rowsById = {};
  var whenLoaded = null;
  // Chunked loading keeps the page responsive while thousands of markers are clustered; the last chunk
  // reports completion (the markers are drawn in the same task, so the next frame shows them all).
  /* A cluster shows the mix of its statuses as a ring (so ten disputed incidents cannot hide among seventy
     confirmed ones), its count in the middle, and the mix in words for screen readers and tooltips. */
  function clusterIcon(group) {
    var counts = {}, total = 0;
    group.getAllChildMarkers().forEach(function (m) { counts[m.status] = (counts[m.status] || 0) + 1; total += 1; });
    var r = 15, circumference = 2 * Math.PI * r, offset = 0, rings = "", words = [];
    text.status_order.forEach(function (status) {
      var n = counts[status];
      if (!n) { return; }
      var length = circumference * n / total;
      rings += '<circle cx="20" cy="20" r="' + r + '" fill="none" stroke="' + (B.statusColors[status] || "#333") +
        '" stroke-width="7" stroke-dasharray="' + length.toFixed(2) + " " + (circumference - length).toFixed(2) +
        '" stroke-dashoffset="' + (-offset).toFixed(2) + '" transform="rotate(-90 20 20)"/>';
      offset += length;
      words.push(n + " " + (text.statuses[status] || status));
    });
    var label = total + ": " + words.join(", ");
    var html = '<svg viewBox="0 0 40 40" width="40" height="40" role="img" aria-label="' + B.escapeHtml(label) + '">' +
      "<title>" + B.escapeHtml(label) + "</title>" + rings +
      '<circle cx="20" cy="20" r="11" fill="#fff"/><text x="20" y="24" text-anchor="middle" font-size="11" font-weight="700" fill="#111">' +
      total + "</text></svg>";
    var disputed = counts.disputed ? " has-disputed" : "";
    return L.divIcon({ html: html, className: "status-cluster" + disputed, iconSize: [40, 40] });
  }

  var cluster = L.markerClusterGroup({
    chunkedLoading: true, chunkInterval: 200, chunkDelay: 1, showCoverageOnHover: false, maxClusterRadius: 45,
    // Clusters are computed for every zoom level up to this one; past it (a few km across) markers stand alone.
    disableClusteringAtZoom: 13,
    iconCreateFunction: clusterIcon,
    chunkProgress: function (processed, total) {
      if (processed === total && whenLoaded) { var done = whenLoaded; whenLoaded = null; done(); }
    }
  });
  cluster.addTo(map);
  window.truceMap = map;

  function icon(status) {
    if (!iconCache[status]) {
      iconCache[status] = L.divIcon({ className: "incident-icon status-" + status, html: B.statusSvg(status, 16), iconSize: [16, 16] });
    }
    return iconCache[status];
  }

  /* Row: [id, lon, lat, status, type, day, allegation, subtype, local time, source, nearest site]. */
  function popup(row) {
    var id = row[0], status = row[3], type = row[4];
    var label = text.statuses[status] || status;
    var what = (text.types[type] || type) + (row[7] ? ": " + (text.subtypes[row[7]] || row[7]) : "");
    var place = row[10] ? "<br>" + B.escapeHtml(text.near.replace("%s", row[10])) : "";
    var source = row[9] ? "<br>" + B.escapeHtml(text.sources[row[9]] || row[9]) : "";
    return '<div class="popup"><strong>#' + id + " " + B.escapeHtml(what) + "</strong><br>" +
      B.escapeHtml(row[8] || row[5]) + place + source + "<br>" + B.statusSvg(status, 12) + " " + B.escapeHtml(label) +
      (row[6] ? "<br><em>" + B.escapeHtml(text.allegation) + "</em>" : "") +
      '<br><a href="' + element.getAttribute("data-detail") + id + '">' + B.escapeHtml(text.details) + "</a></div>";
  }

  function markerFor(row) {
    var title = "#" + row[0] + " " + (text.types[row[4]] || row[4]) + ", " + (text.statuses[row[3]] || row[3]);
    var marker = L.marker([row[2], row[1]], { icon: icon(row[3]), title: title, alt: title });
    marker.incidentId = row[0];
    marker.status = row[3];
    marker.bindPopup(function () { return popup(row); });
    return marker;
  }

  // Marks on the page's performance timeline, for benchmarks/map_page.py's breakdown.
  function mark(name) {
    if (window.performance && window.performance.mark) { window.performance.mark(name); }
  }

  function ready(count) {
    window.requestAnimationFrame(function () {
      // Milliseconds since navigation started: what benchmarks/map_page.py reads.
      window.truceMapReadyAt = window.performance.now();
      document.body.dataset.mapReady = String(count);
      window.dispatchEvent(new CustomEvent("truce:map-ready", { detail: { count: count } }));
    });
  }

  function openFromHash() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    var id = Number(params.get("incident"));
    if (!id) { return; }
    var row = rowsById[id];
    if (row) {
      // No animation, and a popup of the map's own rather than the marker's: past zoom 13 no marker is clustered,
      // and this popup opens whatever markercluster is still doing (zoomToShowLayer's callback did not always come).
      var here = L.latLng(row[2], row[1]);
      map.setView(here, Math.max(Number(params.get("zoom")) || 13, 13), { animate: false });
      L.popup({ offset: [0, -6] }).setLatLng(here).setContent(popup(row)).openOn(map);
    } else if (params.get("lat") && params.get("lon")) {
      // Not among the incidents loaded (a filter, or not readable): the place at least.
      map.setView([Number(params.get("lat")), Number(params.get("lon"))], Number(params.get("zoom")) || 13);
    }
  }

  function loadIncidents(query) {
    delete document.body.dataset.mapReady;
    statusLine.textContent = text.loading;
    return draw(B.fetchJson(incidentsUrl(query)));
  }

  function incidentsUrl(query) {
    return element.getAttribute("data-incidents") + (query ? "?" + query : "");
  }

  /* The time slider: the days of the loaded incidents (local, as the popups print them); the map shows the
     incidents up to the chosen day. The filters' own dates say which days are loaded. */
  var slider = document.getElementById("time-slider");
  var sliderInput = document.getElementById("time-slider-day");
  var sliderShown = document.getElementById("time-slider-shown");
  var loaded = { rows: [], markers: [], days: [] };

  function dayOf(row) { return (row[8] || row[5]).slice(0, 10); }

  function setUpSlider() {
    var seen = {};
    loaded.rows.forEach(function (row) { seen[dayOf(row)] = true; });
    loaded.days = Object.keys(seen).sort();
    slider.hidden = loaded.days.length < 2;
    sliderInput.max = String(Math.max(loaded.days.length - 1, 0));
    sliderInput.value = sliderInput.max;
    sayDay(loaded.rows.length);
  }

  function sayDay(count) {
    var day = loaded.days[Number(sliderInput.value)] || "";
    sliderShown.textContent = text.up_to.replace("%s", day) + " · " + text.shown.replace("%s", count.toLocaleString());
    sliderInput.setAttribute("aria-valuetext", text.up_to.replace("%s", day));
  }

  function showUpTo() {
    var last = loaded.days[Number(sliderInput.value)];
    var chosen = loaded.markers.filter(function (m, i) { return dayOf(loaded.rows[i]) <= last; });
    cluster.clearLayers();
    cluster.addLayers(chosen, true);
    element.dataset.drawn = String(chosen.length);
    sayDay(chosen.length);
  }

  sliderInput.addEventListener("input", showUpTo);

  function draw(fetched) {
    return fetched.then(function (data) {
      mark("truce:incidents-fetched");
      cluster.clearLayers();
      rowsById = {};
      var markers = data.rows.map(function (row) { rowsById[row[0]] = row; return markerFor(row); });
      loaded.rows = data.rows;
      loaded.markers = markers;
      setUpSlider();
      mark("truce:markers-made");
      var counted = text.shown.replace("%s", data.rows.length.toLocaleString());
      statusLine.textContent = data.truncated ? counted + " " + text.truncated : counted;
      element.dataset.drawn = String(data.rows.length);
      return new Promise(function (resolve) {
        whenLoaded = function () { ready(data.rows.length); resolve(); };
        if (markers.length) { cluster.addLayers(markers, true); } else { whenLoaded(); }
      });
    }).catch(function (error) {
      statusLine.textContent = text.failed;
      if (window.console) { window.console.error(error); }
    });
  }

  var form = document.getElementById("map-filters");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form)).toString();
    // Only the filled-in fields, like the server's own links.
    query = query.split("&").filter(function (p) { return !/=$/.test(p); }).join("&");
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    loadIncidents(query);
  });

  // Places and incidents are fetched at once; the incidents are drawn over the places.
  var incidents = B.fetchJson(incidentsUrl(window.location.search.slice(1)));
  statusLine.textContent = text.loading;
  B.fetchJson(element.getAttribute("data-places")).then(function (data) {
    var drawn = B.drawPlaces(map, data, text);
    B.addLegend(map, data, drawn, text, true);
    // Not animated: a zoom animation still running when "show on the map" set its view ended by restoring its own
    // target (Leaflet's zoom transition end), leaving the whole area in view under the incident's popup.
    if (drawn.bounds.isValid()) {
      map.fitBounds(drawn.bounds.pad(0.05), { animate: false });
    } else {
      map.setView([40, 46.7], 8, { animate: false });
    }
    mark("truce:places-drawn");
  }).then(function () { return draw(incidents); }).then(openFromHash);
})();

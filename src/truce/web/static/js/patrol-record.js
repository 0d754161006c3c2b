/* The patrol screen: while the user lets it, the phone's position (with its time and accuracy) is recorded with
   navigator.geolocation.watchPosition and posted in batches to the patrol's track. A batch that fails to send is
   kept and sent again with the next one. */
(function () {
  "use strict";
  var form = document.getElementById("record-form");
  var text = JSON.parse(document.getElementById("record-text").textContent);
  var start = document.getElementById("record-start");
  var stop = document.getElementById("record-stop");
  var message = document.getElementById("record-message");
  var BATCH = 5;            // positions per batch
  var EVERY_MS = 30000;     // or this long since the last batch
  var pending = [];
  var recorded = 0;
  var sent = 0;
  var trackId = "";
  var watch = null;
  var sending = null;
  var lastSent = Date.now();

  function say(key) { message.textContent = text[key] || ""; }
  function show() {
    document.getElementById("record-count").textContent = String(recorded);
    document.getElementById("record-sent").textContent = String(sent);
    document.body.dataset.positionsSent = String(sent);
    document.body.dataset.trackId = trackId;
  }

  function send() {
    if (sending || !pending.length) { return sending || Promise.resolve(); }
    var batch = pending.slice();
    var body = new FormData(form);
    body.set("points", JSON.stringify(batch));
    body.set("track_id", trackId);
    sending = fetch(form.getAttribute("data-positions"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      })
      .then(function (answer) {
        trackId = String(answer.track_id);
        pending = pending.slice(batch.length);
        sent += batch.length;
        lastSent = Date.now();
        show();
      }, function () { say("failed"); })
      .then(function () { sending = null; });
    return sending;
  }

  function position(p) {
    var c = p.coords;
    pending.push([c.longitude, c.latitude, Math.round(p.timestamp), isFinite(c.accuracy) ? c.accuracy : null]);
    recorded += 1;
    document.getElementById("record-accuracy").textContent = isFinite(c.accuracy) ?
      Math.round(c.accuracy) + " " + text.metres : "–";
    show();
    if (pending.length >= BATCH || Date.now() - lastSent >= EVERY_MS) { send(); }
  }

  function failed(error) {
    say(error.code === 1 ? "denied" : "unavailable");
    if (error.code === 1) { finish(); }
  }

  function finish() {
    if (watch !== null) { navigator.geolocation.clearWatch(watch); watch = null; }
    start.disabled = false;
    stop.disabled = true;
    document.body.dataset.recording = "0";
  }

  start.addEventListener("click", function () {
    if (!("geolocation" in navigator)) { say("unsupported"); return; }
    watch = navigator.geolocation.watchPosition(position, failed,
      { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
    start.disabled = true;
    stop.disabled = false;
    document.body.dataset.recording = "1";
    say("recording");
  });

  stop.addEventListener("click", function () {
    finish();
    send().then(function () { return send(); }).then(function () { if (!pending.length) { say("stopped"); } });
  });
  show();
  start.disabled = false;  // the button works only once this script listens: a click before then would be lost
})();

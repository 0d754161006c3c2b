/* The outbox in the pages: registers the service worker, keeps the forms and the map's layers for offline use,
   queues the incident form (with its photos), the crossing count form and the restriction form on the device,
   sends the queue when the network is back (the `online` event, opening the app, a timer, and Background Sync
   where the browser has it), and shows every record's state in the header; a record the server refused can be
   edited and sent again. */
(function () {
  "use strict";
  var O = window.TruceOutbox;
  var root = document.getElementById("outbox");
  if (!O || !root || !window.indexedDB) { return; }
  var text = JSON.parse(document.getElementById("outbox-text").textContent);
  var count = document.getElementById("outbox-count");
  var list = document.getElementById("outbox-list");
  var toggle = document.getElementById("outbox-toggle");
  var panel = document.getElementById("outbox-panel");
  var TIMER_MS = 15000;
  var LISTED = 200;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return String(values[name]); });
  }

  function element(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function render() {
    return O.all().then(function (records) {
      var waiting = records.filter(function (r) { return r.state === "waiting" || r.state === "sending"; });
      var held = records.filter(function (r) { return r.state === "refused" || r.state === "conflict"; });
      count.textContent = say(text.count, { waiting: waiting.length, held: held.length });
      root.dataset.waiting = String(waiting.length);
      root.dataset.held = String(held.length);
      root.dataset.sent = String(records.length - waiting.length - held.length);
      root.classList.toggle("has-waiting", waiting.length > 0);
      root.classList.toggle("has-held", held.length > 0);
      list.textContent = "";
      // The newest first; the counts above cover them all, the list the latest LISTED.
      records.slice(-LISTED).reverse().forEach(function (r) { list.appendChild(item(r)); });
    });
  }

  function item(record) {
    var li = element("li", { "class": "outbox-item state-" + record.state, "data-id": record.id, "data-state": record.state });
    li.appendChild(element("strong", {}, text.states[record.state] || record.state));
    li.appendChild(document.createTextNode(" · " + summary(record) + " · "));
    li.appendChild(element("span", { "class": "when" }, say(text.made, { time: record.createdAt.replace("T", " ").slice(0, 16) })));
    if (record.files && record.files.length) {
      li.appendChild(document.createTextNode(" · " + say(text.files, { n: record.files.length })));
    }
    if (record.receivedAt) {
      li.appendChild(element("span", { "class": "when" }, " · " + say(text.received, { time: record.receivedAt.replace("T", " ").slice(0, 16) })));
    }
    if (record.skewMinutes) {
      li.appendChild(element("p", { "class": "outbox-skew" }, say(text.skew, { minutes: record.skewMinutes })));
    }
    if (record.error) { li.appendChild(element("p", { "class": "outbox-error" }, record.error)); }
    if ((record.state === "refused" || record.state === "conflict") && !record.serverId && FORMS[record.kind]) {
      var page = record.form || "/m/" + encodeURIComponent(record.slug) + "/" + FORMS[record.kind];
      var edit = element("a", { href: page + "#outbox=" + record.id }, text.edit);
      li.appendChild(edit);
    } else if (record.state === "refused" && record.needsLogin) {
      li.appendChild(element("a", { href: "/login?next=" + encodeURIComponent(location.pathname) }, text.login));
    } else if (record.state === "refused") {
      var again = element("button", { type: "button" }, text.retry);
      again.addEventListener("click", function () {
        record.state = "waiting"; record.error = null;
        O.put(record).then(send);
      });
      li.appendChild(again);
    }
    return li;
  }

  // The page of each kind's form, under /m/{slug}/ (a record made before `form` was kept has none).
  var FORMS = { incident: "incidents/new", movement: "movements/new", restriction: "restrictions/new" };

  function summary(record) {
    var body = record.body || {};
    if (record.kind === "movement") {
      return (text.kinds.movement || "") + " " + (body.on_date || "") + ", " + say(text.individuals, { n: body.individuals });
    }
    var properties = body.properties || {};
    if (record.kind === "restriction") {
      return (text.kinds.restriction || "") + " " + (record.fields.start || "").replace("T", " ");
    }
    return (properties.type || "") + " " + (properties.subtype || "");
  }

  function send() {
    return O.drain().then(render, render);
  }

  function refreshToken() {
    return fetch(root.getAttribute("data-token-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok || r.redirected) { return null; }
        return r.json().then(function (data) {
          return O.setToken({ value: data.token, user: data.user, expiresAt: data.expires_at }).then(function () {
            return data;
          });
        });
      }).catch(function () { return null; });
  }

  function showSession() {
    return O.token().then(function (token) {
      var node = document.getElementById("outbox-session");
      if (!token) { node.textContent = text.no_session; return; }
      var expired = Date.parse(token.expiresAt) < Date.now();
      node.textContent = say(expired ? text.session_over : text.session_until,
                             { time: token.expiresAt.replace("T", " ").slice(0, 16) });
    });
  }

  function askPersistence() {
    var node = document.getElementById("outbox-storage");
    if (!navigator.storage || !navigator.storage.persisted) { node.textContent = text.storage_unknown; return; }
    navigator.storage.persisted().then(function (already) {
      if (already) { return true; }
      return navigator.storage.persist ? navigator.storage.persist() : false;
    }).then(function (granted) {
      node.textContent = granted ? text.storage_kept : text.storage_not_kept;
      root.dataset.persistent = granted ? "yes" : "no";
    }, function () { node.textContent = text.storage_unknown; });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(null); }
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var keepUrls = JSON.parse(root.getAttribute("data-keep") || "[]");
      if (!navigator.onLine || !keepUrls.length || !registration.active) { return registration; }
      // Wait (a while) for the worker to say the forms and layers are kept: then the page is ready offline.
      return new Promise(function (resolve) {
        var timer = setTimeout(resolve, 15000);
        navigator.serviceWorker.addEventListener("message", function (event) {
          if (event.data && event.data.type === "kept") {
            clearTimeout(timer);
            root.dataset.kept = event.data.version;
            resolve(registration);
          }
        });
        // Only the URLs the page lists: the current one may be a GET that records something (a download).
        // The reader (account and language): pages kept for another are fetched again, not taken as fresh.
        var reader = (root.getAttribute("data-account") || "") + "|" + document.documentElement.lang;
        registration.active.postMessage({ type: "keep", urls: keepUrls, reader: reader });
      });
    }).catch(function () { return null; });
  }

  function askSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register("truce-outbox"); }
      return null;
    }).catch(function () { return null; });
  }

  /* The incident form: queued on the device, then sent. */
  function zoneOffset(zone, y, m, d, hh, mm) {
    var guess = Date.UTC(y, m - 1, d, hh, mm);
    var parts = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"
    }).formatToParts(new Date(guess));
    var get = function (t) { return Number(parts.filter(function (p) { return p.type === t; })[0].value); };
    return Math.round((Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) - guess) / 60000);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function startOf(day, clock, zone) {
    var d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day), t = /^(\d{2}):(\d{2})$/.exec(clock || "00:00");
    if (!d || !t) { return null; }
    var offset = zoneOffset(zone, +d[1], +d[2], +d[3], +t[1], +t[2]);
    var sign = offset < 0 ? "-" : "+", abs = Math.abs(offset);
    return day + "T" + clock + ":00" + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function number(text) { var v = parseFloat(String(text || "").replace(",", ".")); return isFinite(v) ? v : null; }

  function fieldsOf(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      fields[el.name] = el.value;
    });
    return fields;
  }

  function featureOf(fields, zone) {
    var properties = {
      type: fields.type, subtype: fields.subtype, start: startOf(fields.date, fields.time || "00:00", zone),
      time_precision: fields.time_precision || "minute", source: fields.source, means: fields.means || null,
      narrative: fields.narrative || "", classification: fields.classification || "mission",
      restricted_to: Object.keys(fields).filter(function (k) { return k.indexOf("restricted_to.") === 0; })
        .map(function (k) { return fields[k]; })
    };
    var geometry = null;
    if (fields.placement === "post") {
      properties.observer_site = /^\d+$/.test(fields.observer_site || "") ? Number(fields.observer_site) : null;
      properties.bearing_deg = number(fields.bearing_deg);
      properties.distance_km = number(fields.distance_km);
    } else {
      var lat = number(fields.lat), lon = number(fields.lon);
      if (lat !== null && lon !== null) { geometry = { type: "Point", coordinates: [lon, lat] }; }
    }
    return { type: "Feature", geometry: geometry, properties: properties };
  }

  /* The crossing count form (movements/new) as the API takes it: what the page's movement_from keeps. */
  var MOVEMENT_NUMBERS = ["site_id", "individuals", "families", "adults_male", "adults_female", "children_male",
                          "children_female", "unaccompanied_children", "vehicles", "origin_site_id", "destination_site_id"];
  var MOVEMENT_TEXTS = ["direction", "kind", "on_date", "origin", "destination", "escort", "note", "classification",
                        "transport_mode", "convoy"];
  function movementOf(fields) {
    var body = {};
    MOVEMENT_TEXTS.forEach(function (name) { if (fields[name]) { body[name] = fields[name]; } });
    MOVEMENT_NUMBERS.forEach(function (name) {
      var typed = String(fields[name] || "").trim();
      // Not a whole number: sent as typed, for the server to refuse by name (the record can then be edited).
      if (typed) { body[name] = /^\d+$/.test(typed) ? Number(typed) : typed; }
    });
    return body;
  }

  /* The restriction form (restrictions/new) as the API takes it: what the page's restriction_from builds. */
  var RESTRICTION_MOMENTS = ["liaison_informed_at", "centre_informed_at", "answered_at", "resolved_at"];
  function localMoment(value, zone) {
    // A datetime-local field, read in the mission's time zone (as the page reads it).
    var parts = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value || "");
    return parts ? startOf(parts[1], parts[2], zone) : null;
  }
  function whole(typed) {
    typed = String(typed || "").trim();
    return /^\d{1,11}$/.test(typed) ? Number(typed) : typed;
  }
  function restrictionOf(fields, zone) {
    var start = localMoment(fields.start, zone);
    var properties = {
      category: fields.category, kind: fields.kind, start: start, classification: fields.classification || "parties",
      reason_given: (fields.reason_given || "").trim(), answer: (fields.answer || "").trim(),
      narrative: (fields.narrative || "").trim(),
      restricted_to: Object.keys(fields).filter(function (k) { return k.indexOf("restricted_to.") === 0; })
        .map(function (k) { return fields[k]; }).sort()
    };
    var minutes = number(fields.duration_min);
    if (minutes !== null && start) { properties.end = new Date(Date.parse(start) + minutes * 60000).toISOString(); }
    RESTRICTION_MOMENTS.forEach(function (name) {
      var moment = localMoment(fields[name], zone);
      if (moment) { properties[name] = moment; }
    });
    ["site_id", "patrol_id", "uav_flight_id"].forEach(function (name) {
      if (String(fields[name] || "").trim()) { properties[name] = whole(fields[name]); }
    });
    if (fields.controlled_by) { properties.controlled_by = fields.controlled_by; }
    var lat = number(fields.lat), lon = number(fields.lon);
    var geometry = lat !== null && lon !== null ? { type: "Point", coordinates: [lon, lat] } : null;
    return { type: "Feature", geometry: geometry, properties: properties };
  }

  var KINDS = {
    incident: { body: function (fields, zone) { return featureOf(fields, zone); }, missing: missing },
    movement: {
      body: movementOf,
      missing: function (fields) {
        return ["site_id", "direction", "kind", "on_date", "individuals"].filter(function (name) { return !fields[name]; });
      }
    },
    restriction: {
      body: restrictionOf,
      missing: function (fields) {
        var absent = ["category", "kind", "start"].filter(function (name) { return !fields[name]; });
        if (!fields.site_id && !(fields.lat && fields.lon)) { absent.push("site_id"); }
        return absent;
      }
    }
  };

  function missing(fields) {
    var needed = ["type", "subtype", "date", "source"];
    if (fields.placement === "post") { needed.push("observer_site", "bearing_deg", "distance_km"); } else { needed.push("lat", "lon"); }
    return needed.filter(function (name) { return !fields[name]; });
  }

  function fill(form, fields) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token") { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = fields[el.name] === el.value; } else if (el.name in fields) { el.value = fields[el.name]; }
      el.dispatchEvent(new Event("change"));
    });
  }

  function wireForm() {
    var form = document.querySelector("form[data-outbox]");
    var kind = form && KINDS[form.getAttribute("data-outbox")];
    if (!kind) { return; }
    var note = document.getElementById("outbox-note");
    var picker = document.getElementById("f-evidence");
    var editing = null;
    function loadFromHash() {
      var match = /#outbox=([0-9a-f-]{36})$/.exec(location.hash);
      if (!match) { return; }
      O.get(match[1]).then(function (record) {
        if (!record) { return; }
        editing = record;
        fill(form, record.fields);
        note.className = "notice";
        note.textContent = say(text.editing, { files: record.files.length });
        form.scrollIntoView();
      });
    }
    window.addEventListener("hashchange", loadFromHash);
    loadFromHash();
    form.addEventListener("submit", function (event) {
      var files = picker ? Array.prototype.slice.call(picker.files) : [];
      if (!editing && navigator.onLine) {
        // Online: the form posts as it always did (with its files, and a progress bar: upload.js), and the
        // server answers at once. The outbox keeps what is filed offline, and a held record being edited.
        return;
      }
      event.preventDefault();
      var fields = fieldsOf(form);
      var absent = kind.missing(fields);
      if (absent.length) {
        note.textContent = say(text.missing, { fields: absent.join(", ") });
        note.className = "field-error";
        return;
      }
      var zone = form.getAttribute("data-time-zone") || "UTC";
      var body = kind.body(fields, zone);
      var saved;
      if (editing) {
        // Nothing of a refused record was stored, so its key is still free; a record in conflict gets a new one.
        var previous = editing.id, conflict = editing.state === "conflict";
        editing.body = body; editing.fields = fields; editing.state = "waiting"; editing.error = null;
        if (conflict) { editing.id = O.uuid7(); }
        saved = O.put(editing).then(function () { return conflict ? O.remove(previous) : null; });
      } else {
        saved = O.queue(form.getAttribute("data-outbox"), form.getAttribute("data-slug"), body, fields, files, location.pathname);
      }
      saved.then(function () {
        editing = null;
        if (location.hash) { history.replaceState(null, "", location.pathname); }
        form.reset();
        form.dispatchEvent(new Event("outbox-queued"));
        note.className = "notice";
        note.textContent = navigator.onLine ? text.queued_online : text.queued_offline;
        askSync();
        return render().then(send);
      });
    });
  }

  toggle.addEventListener("click", function () {
    var open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  });
  document.getElementById("outbox-send").addEventListener("click", send);
  var pending = null;
  function renderSoon() {
    // Many changes come at once while the outbox drains: show them at most a few times a second.
    if (pending === null) { pending = setTimeout(function () { pending = null; render(); }, 150); }
  }
  if (window.BroadcastChannel) { new BroadcastChannel(O.CHANNEL).onmessage = renderSoon; }
  window.addEventListener("online", send);
  setInterval(function () { if (navigator.onLine) { send(); } }, TIMER_MS);

  root.hidden = false;
  wireForm();
  askPersistence();
  var token = navigator.onLine ? refreshToken() : Promise.resolve(null);
  Promise.all([registerWorker(), token.then(showSession)]).then(render).then(function () {
    document.body.dataset.outboxReady = "1";
    return send();
  });
})();

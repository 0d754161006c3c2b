/* The outbox on the device, shared by the pages and the service worker: records and their files wait in
   IndexedDB until the server confirms them. Each record has a UUIDv7 made here and is sent with it as its
   Idempotency-Key; each file goes with the SHA-256 computed here (WebCrypto), so a repeat is harmless and a
   file that arrives changed is refused. Nothing is ever deleted here before the server has confirmed it. */
(function (scope) {
  "use strict";
  // Records are small (the body and their files' names and hashes); the files' bytes are kept apart, so that
  // listing or updating records never reads megabytes.
  var DB = "truce-outbox", VERSION = 1, RECORDS = "records", FILES = "files", META = "meta";
  var SKEW_MINUTES = 5;
  var FIXABLE = [400, 403, 404, 413, 422];
  // Where each kind of record is sent (POST /api/v1/missions/{slug}/...).
  var ENDPOINTS = { incident: "incidents", movement: "movements", restriction: "restrictions" };
  var sending = false;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    var req = scope.indexedDB.open(DB, VERSION);
    req.onupgradeneeded = function () {
      var db = req.result;
      if (!db.objectStoreNames.contains(RECORDS)) { db.createObjectStore(RECORDS, { keyPath: "id" }); }
      if (!db.objectStoreNames.contains(FILES)) { db.createObjectStore(FILES); }
      if (!db.objectStoreNames.contains(META)) { db.createObjectStore(META); }
    };
    return request(req);
  }

  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode), result;
        var stores = Array.isArray(name) ? name.map(function (n) { return tx.objectStore(n); }) : [tx.objectStore(name)];
        Promise.resolve(work.apply(null, stores)).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all() {
    return withStore(RECORDS, "readonly", function (store) { return request(store.getAll()); }).then(function (rows) {
      return rows.sort(function (a, b) { return a.id < b.id ? -1 : 1; });  // UUIDv7: oldest first
    });
  }
  function get(id) { return withStore(RECORDS, "readonly", function (s) { return request(s.get(id)); }); }
  function put(record) {
    return withStore(RECORDS, "readwrite", function (s) { return request(s.put(record)); }).then(announce);
  }
  function remove(id) {
    return withStore(RECORDS, "readwrite", function (s) { return request(s.delete(id)); }).then(announce);
  }
  // Where a file's bytes are kept: under the id the record was made with (a record in conflict gets a new id).
  function fileKey(record, file) { return (record.store || record.id) + "." + file.sha256; }
  function fileData(record, file) {
    return withStore(FILES, "readonly", function (s) { return request(s.get(fileKey(record, file))); });
  }
  function forgetFiles(record) {
    // The server has confirmed the record and every file: the bytes are no longer needed on the device.
    return withStore(FILES, "readwrite", function (s) {
      return Promise.all(record.files.map(function (f) { return request(s.delete(fileKey(record, f))); }));
    });
  }
  function meta(key) { return withStore(META, "readonly", function (s) { return request(s.get(key)); }); }
  function setMeta(key, value) { return withStore(META, "readwrite", function (s) { return request(s.put(value, key)); }); }

  function announce() {
    if (scope.BroadcastChannel) {
      var channel = new scope.BroadcastChannel(DB);
      channel.postMessage("changed");
      channel.close();
    }
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) { out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16); }
    return out;
  }

  /* RFC 9562 UUID version 7: 48 bits of Unix time in milliseconds, then random bits. */
  function uuid7() {
    var bytes = new Uint8Array(16), now = Date.now();
    scope.crypto.getRandomValues(bytes);
    for (var i = 5; i >= 0; i--) { bytes[i] = now % 256; now = Math.floor(now / 256); }
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var h = hex(bytes);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function sha256(buffer) {
    return scope.crypto.subtle.digest("SHA-256", buffer).then(function (digest) { return hex(new Uint8Array(digest)); });
  }

  /* A new record: the record's body as the API takes it, with its files and the form's values. A file is kept
     as its bytes (an ArrayBuffer), not as a Blob: Firefox could not read a Blob kept in IndexedDB back after the
     browser restarted (UnknownError), and bytes are what was hashed. */
  function queue(kind, slug, body, fields, files, form) {
    return Promise.all(files.map(function (file) {
      return file.arrayBuffer().then(function (data) {
        return sha256(data).then(function (digest) {
          return { name: file.name, type: file.type, size: file.size, sha256: digest, sent: false, data: data };
        });
      });
    })).then(function (kept) {
      var record = {
        id: uuid7(), kind: kind, slug: slug, body: body, fields: fields, state: "waiting",
        files: kept.map(function (f) { return { name: f.name, type: f.type, size: f.size, sha256: f.sha256, sent: false }; }),
        createdAt: new Date().toISOString(), attempts: 0, serverId: null, error: null,
        form: form || null  // the page whose form edits it again
      };
      record.store = record.id;
      // The files and the record in one transaction: a record never points at bytes that are not there.
      return withStore([FILES, RECORDS], "readwrite", function (files, records) {
        return Promise.all(kept.map(function (f) { return request(files.put(f.data, fileKey(record, f))); }))
          .then(function () { return request(records.put(record)); });
      }).then(announce).then(function () { return record; });
    });
  }

  function withLock(work) {
    // One sender at a time across the pages and the service worker (Web Locks), else within this scope.
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("truce-outbox-send", work);
    }
    if (sending) { return Promise.resolve(); }
    sending = true;
    return Promise.resolve().then(work).finally(function () { sending = false; });
  }

  function skew(record, response) {
    var date = Date.parse(response.headers.get("Date") || "");
    if (isFinite(date)) {
      var minutes = Math.round((Date.now() - date) / 60000);
      record.skewMinutes = Math.abs(minutes) > SKEW_MINUTES ? minutes : 0;
    }
    record.receivedAt = response.headers.get("X-Received-At") || record.receivedAt || null;
  }

  /* True when the answer is a success; otherwise the record's new state is set and false returned. */
  function judge(record, response) {
    if (response.ok) { return Promise.resolve(true); }
    return response.json().catch(function () { return {}; }).then(function (problem) {
      var detail = problem.detail || ("HTTP " + response.status);
      var field = problem.errors && problem.errors[0] && problem.errors[0].field;
      if (response.status === 422 && field === "Idempotency-Key") {
        record.state = "conflict";
      } else if (response.status === 401) {
        record.state = "refused";
        record.needsLogin = true;
      } else if (FIXABLE.indexOf(response.status) >= 0) {
        record.state = "refused";
      } else {
        record.state = "waiting";  // busy (409 in progress, 429, 503) or broken: try again later
      }
      record.error = detail;
      return false;
    });
  }

  function sendOne(record, token) {
    var base = "/api/v1/missions/" + encodeURIComponent(record.slug) + "/" + (ENDPOINTS[record.kind] || "incidents");
    var auth = "Bearer " + token;
    record.state = "sending";
    record.attempts += 1;
    record.lastTry = new Date().toISOString();
    return put(record).then(function () {
      if (record.serverId) { return true; }
      return scope.fetch(base, {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Authorization": auth, "Content-Type": "application/json", "Idempotency-Key": record.id,
                   "X-Device-Time": record.createdAt, "X-Device-Clock": new Date().toISOString() },
        body: JSON.stringify(record.body)
      }).then(function (response) {
        skew(record, response);
        return judge(record, response).then(function (ok) {
          if (!ok) { return false; }
          return response.json().then(function (created) { record.serverId = created.id; return put(record); })
            .then(function () { return true; });
        });
      });
    }).then(function (ok) {
      if (!ok) { return false; }
      return record.files.reduce(function (chain, file) {
        return chain.then(function (going) {
          if (!going || file.sent) { return going; }
          return fileData(record, file).then(function (data) {
            var form = new FormData();
            form.append("file", new Blob([data], { type: file.type || "application/octet-stream" }), file.name || "evidence");
            form.append("sha256", file.sha256);
            return scope.fetch(base + "/" + record.serverId + "/evidence", {
              method: "POST", credentials: "omit", cache: "no-store",
              headers: { "Authorization": auth, "Idempotency-Key": record.id + "." + file.sha256 }, body: form
            });
          }).then(function (response) {
            return judge(record, response).then(function (fine) {
              if (!fine) { return false; }
              return response.json().then(function (stored) {
                // A server that lost its answer after storing the file names the record instead (no sha256).
                var recovered = !stored.sha256 && stored.record_type === "evidence";
                if (!recovered && stored.sha256 !== file.sha256) {
                  record.state = "refused";
                  record.error = "sha256 " + stored.sha256 + " != " + file.sha256;
                  return false;
                }
                file.sent = true;
                return put(record).then(function () { return true; });
              });
            });
          });
        });
      }, Promise.resolve(true));
    }).then(function (done) {
      if (!done) { return put(record); }
      record.state = "sent";
      record.error = null;
      record.sentAt = new Date().toISOString();
      return put(record).then(function () { return forgetFiles(record); });
    }, function () {
      // The network failed: the answer may or may not have been given; the same key makes the retry safe.
      record.state = "waiting";
      return put(record);
    });
  }

  /* Send every waiting record, oldest first; returns how many still wait. */
  function drain() {
    return meta("token").then(function (token) {
      if (!token || !token.value) { return null; }
      return withLock(function () {
        return all().then(function (records) {
          return records.reduce(function (chain, record) {
            return chain.then(function () {
              if (record.state !== "waiting" && record.state !== "sending") { return null; }
              return sendOne(record, token.value);
            });
          }, Promise.resolve());
        });
      });
    }).then(function () { return all(); }).then(function (records) {
      return records.filter(function (r) { return r.state === "waiting" || r.state === "sending"; }).length;
    });
  }

  /* A fresh token from a new login: records refused for want of one go back to waiting. */
  function setToken(token) {
    return setMeta("token", token).then(all).then(function (records) {
      return Promise.all(records.filter(function (r) { return r.needsLogin && r.state === "refused"; }).map(function (r) {
        r.state = "waiting"; r.needsLogin = false; r.error = null;
        return put(r);
      }));
    });
  }

  scope.TruceOutbox = {
    all: all, get: get, put: put, remove: remove, queue: queue, drain: drain, uuid7: uuid7, sha256: sha256,
    token: function () { return meta("token"); }, setToken: setToken, CHANNEL: DB
  };
})(self);

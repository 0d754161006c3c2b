/* Truce's service worker. Its caches carry its version (served at /sw.js with the version filled in), so a new
   release installs beside the old one; on activation the pages the old version kept are copied into the new
   cache before the old one goes, and the outbox (IndexedDB, never a cache) is not touched at all. */
"use strict";
var VERSION = "__SHELL_VERSION__";
var SHELL = "truce-shell-" + VERSION;
var PAGES = "truce-pages-" + VERSION;
// The mission's PMTiles basemap, kept whole under its own version (its URL's ?v=): a new release of the
// worker keeps it, a new file replaces it. Larger files are read from the server only.
var BASEMAP = "truce-basemap-";
var BASEMAP_MAX_BYTES = 512 * 1024 * 1024;
var PRECACHE = [
  "/static/css/truce.css",
  "/static/js/outbox-store.js",
  "/static/js/outbox.js",
  "/static/js/basemap.js",
  "/static/js/entry.js",
  "/static/js/map.js",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/markercluster/leaflet.markercluster.js",
  "/static/vendor/markercluster/MarkerCluster.css",
  "/static/vendor/markercluster/MarkerCluster.Default.css",
  "/static/vendor/pmtiles/pmtiles.js",
  "/static/icons/truce.svg",
  "/manifest.webmanifest"
];

importScripts("/static/js/outbox-store.js");

self.addEventListener("install", function (event) {
  // A new version takes over at once: the outbox lives in IndexedDB and the kept pages are carried over.
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(PRECACHE); }).then(function () {
    return self.skipWaiting();
  }));
});

function carryPages(names) {
  // Pages a monitor opened with an older version stay available offline under the new one.
  var old = names.filter(function (n) { return n.indexOf("truce-pages-") === 0 && n !== PAGES; });
  return caches.open(PAGES).then(function (fresh) {
    return Promise.all(old.map(function (name) {
      return caches.open(name).then(function (cache) {
        return cache.keys().then(function (keys) {
          return Promise.all(keys.map(function (key) {
            return fresh.match(key).then(function (have) {
              return have ? null : cache.match(key).then(function (r) { return r && fresh.put(key, r); });
            });
          }));
        });
      });
    }));
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return carryPages(names).then(function () {
      return Promise.all(names.filter(function (n) {
        return n.indexOf("truce-") === 0 && n !== SHELL && n !== PAGES && n.indexOf(BASEMAP) !== 0;
      }).map(function (n) { return caches.delete(n); }));
    });
  }).then(function () { return self.clients.claim(); }).then(function () {
    return self.TruceOutbox.drain().catch(function () { return null; });
  }));
});

function keep(request, response) {
  if (response && response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function fromCache(request) {
  return caches.match(request, { ignoreVary: true }).then(function (found) {
    if (found) { return found; }
    throw new Error("offline and not kept: " + request.url);
  });
}

function isBasemap(url) { return /^\/m\/[^/]+\/basemap\.pmtiles$/.test(url.pathname); }

/* The kept basemap's bytes a Range header asks for (one range: what the pmtiles library sends), as a 206. */
function basemapRange(request, kept) {
  return kept.blob().then(function (blob) {
    var range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("Range") || "");
    if (!range) { return new Response(blob, { status: 200, headers: { "Content-Type": blob.type, "Content-Length": String(blob.size) } }); }
    var start = range[1] === "" ? Math.max(blob.size - Number(range[2]), 0) : Number(range[1]);
    var end = range[1] === "" || range[2] === "" ? blob.size - 1 : Math.min(Number(range[2]), blob.size - 1);
    if (start > end || start >= blob.size) {
      return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + blob.size } });
    }
    var part = blob.slice(start, end + 1);
    return new Response(part, { status: 206, headers: {
      "Content-Type": blob.type || "application/vnd.pmtiles", "Content-Length": String(part.size),
      "Content-Range": "bytes " + start + "-" + end + "/" + blob.size
    } });
  });
}

function keptBasemap(url) {
  return caches.keys().then(function (names) {
    var kept = names.filter(function (n) { return n.indexOf(BASEMAP) === 0; });
    return kept.reduce(function (found, name) {
      return found.then(function (r) { return r || caches.open(name).then(function (c) { return c.match(url.href); }); });
    }, Promise.resolve(undefined));
  });
}

/* Keep the whole basemap file under its version, then drop every other version of it. */
function keepBasemap(href) {
  var url = new URL(href, self.location.origin);
  var name = BASEMAP + (url.searchParams.get("v") || "0");
  return caches.open(name).then(function (cache) {
    return cache.match(url.href).then(function (have) {
      if (have) { return null; }
      return fetch(url.href, { credentials: "same-origin" }).then(function (r) {
        var size = Number(r.headers.get("Content-Length") || "0");
        if (!r.ok || r.status !== 200 || r.redirected || size > BASEMAP_MAX_BYTES) { return null; }
        return cache.put(url.href, r);
      });
    });
  }).then(function () {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n.indexOf(BASEMAP) === 0 && n !== name; })
        .map(function (n) { return caches.delete(n); }));
    });
  }).catch(function () { return null; });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (isBasemap(url)) {
    // Tiles by ranges from the kept file, else from the server.
    event.respondWith(keptBasemap(url).then(function (kept) { return kept ? basemapRange(request, kept) : fetch(request); }));
    return;
  }
  if (url.pathname.indexOf("/api/") === 0 || url.pathname === "/sw.js" || url.pathname.indexOf("/outbox/") === 0) {
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // The shell: from the cache, else the network (and kept).
    event.respondWith(caches.match(request, { ignoreVary: true }).then(function (found) {
      return found || fetch(request).then(function (r) { return keep(request, r); });
    }));
    return;
  }
  // Evidence is never touched: each download joins the chain of custody, and goes to the server once, as asked.
  var page = request.mode === "navigate" || /\.json$/.test(url.pathname);
  if ((url.pathname.indexOf("/m/") === 0 || url.pathname === "/") && page && url.pathname.indexOf("/evidence/") < 0) {
    // Pages and the map's layers: the network first (fresh record), the kept copy when there is none.
    event.respondWith(fetch(request).then(function (r) { return keep(request, r); }, function () {
      return fromCache(request);
    }));
  }
});

/* When this worker last kept each page, and for whom (account and language). Every page a member opens asks for
   the same forms and layers: fetched again on each of them, they multiplied the server's work and a phone's data
   by six. A page kept for the same reader less than KEEP_AGAIN_MS ago is not fetched again; a worker the browser
   stopped and started again has forgotten, and keeps everything anew. */
var KEEP_AGAIN_MS = 60 * 1000;
var lastKept = {};

function keepPage(cache, url, reader) {
  var last = lastKept[url];
  if (reader && last && last.reader === reader && Date.now() - last.at < KEEP_AGAIN_MS) { return Promise.resolve(null); }
  var at = Date.now();
  return fetch(url, { credentials: "same-origin" }).then(function (r) {
    if (!r.ok || r.redirected) { return null; }
    return cache.put(url, r).then(function () { lastKept[url] = { reader: reader, at: at }; });
  }).catch(function () { return null; });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) {
    // A page asks for what a monitor needs offline: the forms and the mission's map layers.
    var reader = typeof data.reader === "string" ? data.reader : "";
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      var urls = data.urls.filter(function (u) { return !isBasemap(new URL(u, self.location.origin)); });
      var basemaps = data.urls.filter(function (u) { return isBasemap(new URL(u, self.location.origin)); });
      return Promise.all(basemaps.map(keepBasemap).concat(urls.filter(function (u) {
        var path = new URL(u, self.location.origin);
        return path.origin === self.location.origin && path.pathname.indexOf("/m/") === 0 && path.pathname.indexOf("/evidence/") < 0;
      }).map(function (u) { return keepPage(cache, u, reader); })));
    }).then(function () {
      if (event.source) { event.source.postMessage({ type: "kept", version: VERSION }); }
    }));
  } else if (data.type === "drain") {
    event.waitUntil(self.TruceOutbox.drain().catch(function () { return null; }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "truce-outbox") {
    event.waitUntil(self.TruceOutbox.drain().then(function (left) {
      if (left) { throw new Error("records still waiting"); }  // the browser tries the sync again later
    }));
  }
});

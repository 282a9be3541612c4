/* AidCase's service worker (visits/offline_views.py renders it; F12).
 * - The stylesheet, scripts and icons of this release are kept from the start (hashed names:
 *   a new release is a new worker, and the old files go).
 * - A teacher's own pages (/me/, their students, the log and incident forms) are asked of
 *   the server first; when the phone has no network, the copy kept on the phone is shown, with
 *   the time it was fetched, for 7 days at most. Which pages are kept is decided by the page
 *   (static/js/offline.js, from /me/offline.json): this worker only refreshes a copy that is
 *   there already, so nothing else is ever kept (no other role's pages, no photos, PDFs or
 *   exports), and it wipes nothing itself.
 * - Forms are never answered here: they go to the server, or to the outbox on the page.
 */
"use strict";

var VERSION = "{{ version }}";
var STATIC_CACHE = "aidcase-static-" + VERSION;
var PAGES = "aidcase-pages";
var STATIC_URLS = {{ static_urls }};
var PAGE_MS = {{ page_ms }};
var STORED = "X-AidCase-Stored";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    // One by one: a file missing from a release must not stop the worker.
    return Promise.all(STATIC_URLS.map(function (url) {
      return cache.add(url).catch(function () { return null; });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("aidcase-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// The name a page is kept under, or null for a page that is never kept. A log form is kept
// once per pairing; the kind asked for is chosen on the page.
function pageKey(url) {
  if (url.origin !== self.location.origin) { return null; }
  var path = url.pathname;
  if (path === "/logs/new/") {
    var pairing = url.searchParams.get("pairing") || "";
    return /^[0-9]{1,12}$/.test(pairing) ? "/logs/new/?pairing=" + pairing : null;
  }
  if (url.search) { return null; }
  if (path === "/me/" || /^\/students\/[0-9]{1,12}\/(incidents\/new\/)?$/.test(path)) {
    return path;
  }
  return null;
}

function stamped(response) {
  return response.blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set(STORED, String(Date.now()));
    return new Response(body, { status: 200, headers: headers });
  });
}

// The kept copy, marked for the page (its banner) with when it was fetched; none after
// PAGE_MS.
function keptCopy(key) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(key).then(function (kept) {
      if (!kept) { return null; }
      var at = Number(kept.headers.get(STORED) || 0);
      if (!at || Date.now() - at > PAGE_MS) {
        return cache.delete(key).then(function () { return null; });
      }
      return kept.text().then(function (html) {
        var headers = new Headers();
        ["Content-Type", "Content-Security-Policy", "Referrer-Policy", "X-Frame-Options",
         "X-Content-Type-Options"].forEach(function (name) {
          if (kept.headers.get(name)) { headers.set(name, kept.headers.get(name)); }
        });
        headers.set("Cache-Control", "no-store");
        return new Response(html.replace("<body ", "<body data-offline-copy=\"" + at + "\" "),
                            { status: 200, headers: headers });
      });
    });
  });
}

function networkFirst(request, key, exact) {
  return fetch(request).then(function (response) {
    if (exact && response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) {
        return cache.match(key).then(function (kept) {
          // Refreshed only when kept already: the page decides what is kept.
          if (kept) { return stamped(copy).then(function (fresh) { return cache.put(key, fresh); }); }
          return null;
        });
      }).catch(function () { return null; });
    }
    return response;
  }).catch(function (error) {
    return keptCopy(key).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (STATIC_URLS.indexOf(url.pathname) !== -1) {
    // A hashed name never changes its content: the kept file first. Without hashes (debug),
    // the server first, so that an edited file is seen.
    var hashed = /\.[0-9a-f]{12}\.[a-z]+$/.test(url.pathname);
    event.respondWith(caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (kept) {
        if (kept && hashed) { return kept; }
        return fetch(request).catch(function (error) {
          if (kept) { return kept; }
          throw error;
        });
      });
    }));
    return;
  }
  if (request.mode !== "navigate") { return; }
  var key = pageKey(url);
  if (!key) { return; }
  event.respondWith(networkFirst(request, key, url.pathname + url.search === key));
});

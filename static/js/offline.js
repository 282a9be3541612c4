/* A teacher's phone without signal (F12). Every page works without this script; only the
 * offline use needs it.
 * - Whose phone: the page says (body data-offline, from visits/templatetags/offline.py). A
 *   teacher's page registers the service worker (/sw.js) and, when /me/ is opened online,
 *   keeps the teacher's own pages on the phone (the list is /me/offline.json's). Another
 *   role's page wipes everything kept; a page seen logged out (the login page after a
 *   timeout) wipes the kept pages, and says when unsent records wait for their owner's login.
 * - Kept pages are shown by the worker when there is no network, for 7 days at most, with a
 *   banner naming when they were fetched. A kept form gets today's date.
 * - Outbox (IndexedDB): a log or incident form saved without network (or whose send the
 *   network broke: aidcase.js hands it over) is kept with its fields, its photos made
 *   smaller (aidcase.js's shrink), a one-time key and when it was written. /me/ lists the
 *   records, each readable, correctable and deletable. They are sent by themselves when the
 *   phone is online again (on load, on the `online` event, and with a button), two at a time,
 *   each with its key, so that one sent twice is stored once. One the server refuses stays
 *   with the server's messages until it is corrected or deleted; nothing is dropped.
 * - Wiped: at logout (asking first when records are unsent), when another user or a changed
 *   password is seen on the phone (asked at the password form), and on another role's page.
 */
(function () {
  "use strict";

  var body = document.body;
  var role = body.getAttribute("data-offline");
  if (!role || !window.indexedDB || !window.caches || !window.Promise) {
    return;
  }
  var wordsNode = document.getElementById("offline-words");
  var words = wordsNode ? JSON.parse(wordsNode.textContent) : {};
  var DB_NAME = "aidcase-offline";
  var OUTBOX = "outbox";
  var META = "meta";
  var PAGES = "aidcase-pages";
  var PAGE_DAYS = 7;
  var KEEP_EVERY_MS = 30 * 60 * 1000;
  var SAVED_FLAG = "aidcase-offline-saved";
  var owner = body.getAttribute("data-offline-owner") || "";
  var pagesUrl = body.getAttribute("data-offline-pages") || "";
  var sentUrl = body.getAttribute("data-offline-sent") || "";
  var pending = 0;

  function counted(forms, n) {
    var form = forms ? forms[n === 1 ? "one" : "other"] : "";
    return String(form || "").replace("{n}", String(n));
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function localTime(value) {
    var d = new Date(value);
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function localDay(d) {
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  // IndexedDB, as small as it can be -----------------------------------------------------

  // Made on a teacher's page only; elsewhere an absent database stays absent.
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        if (role !== "teacher") {
          request.transaction.abort();
          return;
        }
        var db = request.result;
        db.createObjectStore(OUTBOX, { keyPath: "id", autoIncrement: true });
        db.createObjectStore(META, { keyPath: "name" });
      };
      request.onsuccess = function () {
        var db = request.result;
        // A wipe (deleteDatabase, here or in another tab) must not wait on this connection.
        db.onversionchange = function () { db.close(); };
        resolve(db);
      };
      request.onerror = function () { reject(request.error); };
    });
  }

  // Whether the phone holds the database, without making it (a parent's phone, a login page).
  function dbExists() {
    if (!indexedDB.databases) { return Promise.resolve(true); }
    return indexedDB.databases().then(function (list) {
      return list.some(function (db) { return db.name === DB_NAME; });
    });
  }

  function run(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var request = work(tx.objectStore(store));
        if (request) {
          request.onsuccess = function () { result = request.result; };
        }
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function records() {
    return run(OUTBOX, "readonly", function (s) { return s.getAll(); }).then(function (all) {
      return all || [];
    });
  }
  function record(id) { return run(OUTBOX, "readonly", function (s) { return s.get(id); }); }
  function put(item) { return run(OUTBOX, "readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return run(OUTBOX, "readwrite", function (s) { return s.delete(id); }); }
  function meta(name) {
    return run(META, "readonly", function (s) { return s.get(name); }).then(function (row) {
      return row ? row.value : null;
    });
  }
  function setMeta(name, value) {
    return run(META, "readwrite", function (s) { return s.put({ name: name, value: value }); });
  }

  function wipePages() {
    return caches.delete(PAGES);
  }

  function deleteDb() {
    return new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = function () { resolve(); };
      // Another tab holds it open: it is deleted once that tab lets go; not waited for.
      request.onblocked = function () { window.setTimeout(resolve, 1000); };
    });
  }

  // Everything the phone keeps: the pages, the outbox, the worker's files.
  function wipeAll() {
    pending = 0;
    return Promise.all([
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("aidcase-") === 0;
        }).map(function (name) { return caches.delete(name); }));
      }),
      deleteDb(),
    ]);
  }

  function unregister() {
    if (!navigator.serviceWorker) { return Promise.resolve(); }
    return navigator.serviceWorker.getRegistrations().then(function (registrations) {
      return Promise.all(registrations.map(function (r) { return r.unregister(); }));
    });
  }

  // Page parts ------------------------------------------------------------------------

  function main() { return document.getElementById("main") || body; }

  function notice(className, text) {
    var p = document.createElement("p");
    p.className = className;
    p.setAttribute("role", "status");
    p.textContent = text;
    main().insertBefore(p, main().firstChild);
    return p;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Kept pages -------------------------------------------------------------------------

  function stampOf(response) {
    return response.blob().then(function (blob) {
      var headers = new Headers(response.headers);
      headers.set("X-AidCase-Stored", String(Date.now()));
      return new Response(blob, { status: 200, headers: headers });
    });
  }

  // The list of pages and a fresh CSRF token; "gone" when the session has ended, "refused"
  // when this account may keep nothing (no longer a teacher).
  function askPages() {
    return fetch(pagesUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) { return "gone"; }
        if (response.status === 403) { return "refused"; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      });
  }

  function onAccountChange(answer) {
    if (answer === "refused") {
      return wipeAll().then(unregister).then(function () { return null; });
    }
    if (answer === "gone") {
      return wipePages().then(function () { return null; });
    }
    if (answer.owner !== owner) {
      return wipeAll().then(function () { return null; });
    }
    return answer;
  }

  function inPairs(items, work) {
    var queue = items.slice();
    function next() {
      var item = queue.shift();
      if (item === undefined) { return Promise.resolve(); }
      return work(item).then(next, next);
    }
    return Promise.all([next(), next()]);
  }

  function keepPages(answer) {
    return caches.open(PAGES).then(function (cache) {
      var wanted = {};
      return inPairs(answer.pages, function (path) {
        var url = new URL(path, location.href).href;
        wanted[url] = true;
        return fetch(path, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
          if (!response.ok || response.type !== "basic") { return null; }
          return stampOf(response).then(function (copy) { return cache.put(path, copy); });
        });
      }).then(function () {
        return cache.keys().then(function (kept) {
          return Promise.all(kept.filter(function (request) { return !wanted[request.url]; })
            .map(function (request) { return cache.delete(request); }));
        });
      });
    }).then(function () { return setMeta("keptAt", Date.now()); });
  }

  function dropExpired() {
    return caches.has(PAGES).then(function (has) {
      if (!has) { return null; }
      return caches.open(PAGES).then(function (cache) {
        return cache.keys().then(function (kept) {
          return Promise.all(kept.map(function (request) {
            return cache.match(request).then(function (response) {
              var at = Number(response && response.headers.get("X-AidCase-Stored") || 0);
              if (!at || Date.now() - at > PAGE_DAYS * 24 * 3600 * 1000) {
                return cache.delete(request);
              }
              return null;
            });
          }));
        });
      });
    });
  }

  // The outbox -------------------------------------------------------------------------

  function randomKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function labelOf(form, name) {
    var field = form.elements[name];
    var label = field && field.id ? form.querySelector("label[for=\"" + field.id + "\"]") : null;
    return label ? label.textContent.replace(/\s+/g, " ").trim() : name;
  }

  function shownValue(form, name, value) {
    var field = form.elements[name];
    if (field && field.tagName === "SELECT") {
      var option = Array.prototype.filter.call(field.options, function (o) { return o.value === value; })[0];
      return option ? option.textContent.trim() : value;
    }
    return value;
  }

  var HIDDEN = { csrfmiddlewaretoken: 1, _form_key: 1, pairing: 1, next: 1, offline_written_at: 1 };

  function recordOf(form, data, key) {
    var fields = [];
    var files = [];
    var shown = [];
    data.forEach(function (value, name) {
      if (typeof value !== "string") {
        if (value.size) {
          files.push({ name: name, blob: value, filename: value.name || "photo.jpg", type: value.type,
                       label: labelOf(form, name) });
        }
        return;
      }
      if (name === "csrfmiddlewaretoken" || name === "_form_key" || name === "offline_written_at") {
        return;
      }
      fields.push([name, value]);
      if (!HIDDEN[name] && value.trim()) {
        shown.push([labelOf(form, name), shownValue(form, name, value)]);
      }
    });
    var kind = form.getAttribute("data-offline-form");
    var choice = form.elements.kind || form.elements.type;
    var url = kind === "log" ? "/logs/new/?pairing=" + encodeURIComponent(String(data.get("pairing") || ""))
      : location.pathname;
    return {
      key: key,
      url: url,
      form: kind,
      fields: fields,
      files: files,
      shown: shown,
      student: form.getAttribute("data-offline-student") || "",
      label: choice ? shownValue(form, choice.name, String(data.get(choice.name) || "")) : "",
      date: String(data.get("date") || ""),
      writtenAt: new Date().toISOString(),
      errors: [],
    };
  }

  function withPhotos(form) {
    var data = new FormData(form);
    var inputs = Array.prototype.filter.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length;
    });
    return Promise.all(inputs.map(function (input) {
      var shrunk = window.AidCase ? window.AidCase.shrunkFiles(input)
        : Promise.resolve(Array.prototype.slice.call(input.files));
      return shrunk.then(function (files) {
        data.delete(input.name);
        files.forEach(function (file) { data.append(input.name, file, file.name); });
      });
    })).then(function () { return data; });
  }

  function editedId() {
    var match = /^#outbox-([0-9]+)$/.exec(location.hash);
    return match ? Number(match[1]) : null;
  }

  // Kept: back to /me/ (kept on the phone), which lists the outbox.
  function keep(form, data, key, id) {
    var item = recordOf(form, data, key);
    var done = id === null ? put(item) : record(id).then(function (old) {
      if (old) {
        item.id = id;
        item.key = old.key;
      }
      return put(item);
    });
    return done.then(function () {
      try { sessionStorage.setItem(SAVED_FLAG, "1"); } catch (e) { /* only the notice is lost */ }
      location.assign("/me/");
    });
  }

  function fieldErrors(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var items = page.querySelectorAll("#error-summary li, .form-errors li");
    var found = Array.prototype.map.call(items, function (li) { return li.textContent.replace(/\s+/g, " ").trim(); });
    return found.filter(function (text, i) { return text && found.indexOf(text) === i; });
  }

  function sendOne(item, csrf) {
    var data = new FormData();
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("csrfmiddlewaretoken", csrf);
    data.set("_form_key", item.key);
    data.set("offline_written_at", item.writtenAt);
    // Stored, the form redirects here (a second send of the key gets the same answer): an
    // empty answer, not a page. A redirect to the login or password page stored nothing.
    data.set("next", sentUrl);
    item.files.forEach(function (f) { data.append(f.name, new File([f.blob], f.filename, { type: f.type })); });
    return fetch(item.url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) {
          if (new URL(response.url, location.href).pathname.indexOf("/accounts/") === 0) {
            return "gone";
          }
          return remove(item.id).then(function () { return "sent"; });
        }
        if (response.status === 409 || response.status >= 500) { return "busy"; }
        var refused = response.status === 200 ? response.text().then(fieldErrors)
          : Promise.resolve(response.status === 404 ? [words.gone] : ["HTTP " + response.status]);
        return refused.then(function (errors) {
          item.errors = errors.length ? errors : [words.refused];
          return put(item).then(function () { return "refused"; });
        });
      }, function () { return "network"; });
  }

  var sending = false;

  function sendOutbox(all) {
    if (sending || role !== "teacher" || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    var outcome = { sent: 0, stop: "" };
    return records().then(function (items) {
      var due = items.filter(function (item) { return all || !item.errors.length; });
      if (!due.length) { return null; }
      status(words.sending);
      return askPages().then(onAccountChange).then(function (answer) {
        if (!answer) {
          outcome.stop = words.login;
          return null;
        }
        return inPairs(due, function (item) {
          if (outcome.stop) { return Promise.resolve(); }
          return sendOne(item, answer.csrf).then(function (result) {
            if (result === "sent") { outcome.sent += 1; }
            if (result === "network") { outcome.stop = words.network; }
            if (result === "busy") { outcome.stop = words.busy; }
            if (result === "gone") { outcome.stop = words.login; }
          });
        });
      }, function () { outcome.stop = words.network; });
    }).then(function () {
      sending = false;
      return showOutbox().then(function () {
        var text = outcome.sent ? counted(words.sent, outcome.sent) : "";
        if (outcome.stop) { text = (text ? text + " " : "") + outcome.stop; }
        status(text);
        body.setAttribute("data-outbox-sent", String(outcome.sent));
        if (outcome.sent && location.pathname === "/me/" && !body.hasAttribute("data-offline-copy")) {
          // The duties just met, and the server's "saved" messages.
          location.reload();
        }
      });
    }, function () { sending = false; });
  }

  function withLock(work) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("aidcase-outbox", work);
    }
    return work();
  }

  function status(text) {
    var box = document.getElementById("outbox");
    var line = box && box.querySelector(".outbox-status");
    if (line) { line.textContent = text || ""; }
  }

  function showOutbox() {
    var box = document.getElementById("outbox");
    return records().then(function (items) {
      pending = items.length;
      if (!box) { return; }
      box.textContent = "";
      box.hidden = !items.length;
      if (!items.length) { return; }
      box.appendChild(element("h2", "", counted(words.pending, items.length)));
      box.appendChild(element("p", "outbox-status"));
      var list = element("ul", "plain-list outbox-list");
      items.forEach(function (item) {
        var li = element("li", "outbox-item" + (item.errors.length ? " refused" : ""));
        li.id = "outbox-item-" + item.id;
        var details = element("details");
        details.appendChild(element("summary", "", [item.student, item.label, item.date].filter(Boolean).join(" · ")));
        var facts = element("dl", "facts");
        item.shown.forEach(function (pair) {
          facts.appendChild(element("dt", "", pair[0]));
          facts.appendChild(element("dd", "", pair[1]));
        });
        item.files.forEach(function (f) {
          facts.appendChild(element("dt", "", f.label || f.name));
          facts.appendChild(element("dd", "", f.filename + " · " + Math.round(f.blob.size / 1024) + " KB"));
        });
        details.appendChild(facts);
        li.appendChild(details);
        li.appendChild(element("p", "meta", String(words.written || "").replace("{time}", localTime(item.writtenAt))));
        if (item.errors.length) {
          var errors = element("div", "form-errors");
          errors.setAttribute("role", "alert");
          errors.appendChild(element("p", "", words.refused));
          var ul = element("ul");
          item.errors.forEach(function (text) { ul.appendChild(element("li", "", text)); });
          errors.appendChild(ul);
          li.appendChild(errors);
        }
        var actions = element("p", "actions");
        var correct = element("a", "button small", words.correct);
        correct.href = item.url + "#outbox-" + item.id;
        var drop = element("button", "small danger", words.delete);
        drop.type = "button";
        drop.addEventListener("click", function () {
          if (window.confirm(words.confirm_delete)) {
            remove(item.id).then(showOutbox);
          }
        });
        actions.appendChild(correct);
        actions.appendChild(document.createTextNode(" "));
        actions.appendChild(drop);
        li.appendChild(actions);
        list.appendChild(li);
      });
      box.appendChild(list);
      var send = element("button", "primary", words.send_now);
      send.type = "button";
      send.addEventListener("click", function () {
        if (!navigator.onLine) {
          status(words.network);
          return;
        }
        withLock(function () { return sendOutbox(true); });
      });
      box.appendChild(send);
    });
  }

  // A form of a kept page, and a record opened to be corrected ----------------------------

  function prepareForm() {
    var form = document.querySelector("form[data-offline-form]");
    if (!form) { return Promise.resolve(); }
    if (body.hasAttribute("data-offline-copy")) {
      // The copy was fetched on another day: the record is dated the day it is written.
      var date = form.elements.date;
      if (date) {
        date.value = localDay(new Date());
        date.max = date.value;
      }
      var wanted = new URLSearchParams(location.search).get("kind");
      var kind = form.elements.kind;
      if (kind && wanted && Array.prototype.some.call(kind.options, function (o) { return o.value === wanted; })) {
        kind.value = wanted;
        kind.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    var id = editedId();
    if (id === null) { return Promise.resolve(); }
    return record(id).then(function (item) {
      if (!item) { return; }
      item.fields.forEach(function (pair) {
        var field = form.elements[pair[0]];
        if (!field || HIDDEN[pair[0]] || field.type === "file" || field.length > 1 && !field.tagName) { return; }
        field.value = pair[1];
      });
      var byInput = {};
      item.files.forEach(function (f) { (byInput[f.name] = byInput[f.name] || []).push(f); });
      Object.keys(byInput).forEach(function (name) {
        var input = form.querySelector("input[type=file][name=\"" + name + "\"]");
        if (!input || !window.DataTransfer) { return; }
        var kept = new DataTransfer();
        byInput[name].forEach(function (f) { kept.items.add(new File([f.blob], f.filename, { type: f.type })); });
        input.files = kept.files;
      });
      if (form.elements.kind) { form.elements.kind.dispatchEvent(new Event("change", { bubbles: true })); }
      var note = element("div", "form-errors outbox-editing");
      note.setAttribute("role", "status");
      note.appendChild(element("p", "", words.editing));
      if (item.errors.length) {
        var ul = element("ul");
        item.errors.forEach(function (text) { ul.appendChild(element("li", "", text)); });
        note.appendChild(ul);
      }
      form.insertBefore(note, form.firstChild);
    });
  }

  // Submits the page's script takes over: offline forms, logout, a password change.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-logout")) {
      event.preventDefault();
      if (pending && !window.confirm(counted(words.logout, pending))) { return; }
      wipeAll().then(unregister).then(function () { form.submit(); }, function () { form.submit(); });
      return;
    }
    if (location.pathname === "/accounts/password/" && form.querySelector("input[type=password]")) {
      if (pending && !window.confirm(counted(words.password, pending))) { event.preventDefault(); }
      return;
    }
    if (role !== "teacher" || !form.hasAttribute("data-offline-form")) { return; }
    var id = editedId();
    if (navigator.onLine && id === null) { return; } // sent as usual; a broken send comes back below
    event.preventDefault();
    event.stopImmediatePropagation();
    withPhotos(form).then(function (data) {
      // A page kept on the phone may have served several records: each gets its own key.
      return keep(form, data, randomKey(), id);
    });
  }, true);

  // aidcase.js could not send the form (the network broke): the outbox keeps it, with the
  // key it was sent with, since the server may have stored it before the answer was lost.
  document.addEventListener("aidcase:unsent", function (event) {
    var form = event.target;
    if (role !== "teacher" || !form.hasAttribute("data-offline-form")) { return; }
    event.preventDefault();
    var data = event.detail.data;
    keep(form, data, String(data.get("_form_key") || randomKey()), editedId());
  });

  // Start ------------------------------------------------------------------------------

  function showCopyBanner() {
    var at = Number(body.getAttribute("data-offline-copy") || 0);
    if (at) {
      notice("offline-banner", String(words.banner || "").replace("{time}", localTime(at)));
    }
  }

  function showSaved() {
    var saved = null;
    try {
      saved = sessionStorage.getItem(SAVED_FLAG);
      sessionStorage.removeItem(SAVED_FLAG);
    } catch (e) { saved = null; }
    if (saved) { notice("offline-saved", words.saved); }
  }

  function startTeacher() {
    if (navigator.serviceWorker) {
      navigator.serviceWorker.register(body.getAttribute("data-offline-sw"), { scope: "/" })
        .catch(function () { return null; });
    }
    showCopyBanner();
    showSaved();
    return meta("owner").then(function (stored) {
      // Another account, or a changed password, on this phone: nothing kept is theirs.
      if (stored && stored !== owner) { return wipeAll().then(function () { return setMeta("owner", owner); }); }
      return stored ? null : setMeta("owner", owner);
    }).then(dropExpired).then(prepareForm).then(showOutbox).then(function () {
      var online = navigator.onLine && !body.hasAttribute("data-offline-copy");
      if (!online) { return null; }
      // Not while a record is open to be corrected: it is sent once saved.
      var sent = editedId() === null ? withLock(function () { return sendOutbox(false); })
        : Promise.resolve();
      if (location.pathname !== "/me/") { return sent; }
      // After the outbox: the pages kept must not take the server's "saved" messages.
      return sent.then(function () { return meta("keptAt"); }).then(function (keptAt) {
        return caches.has(PAGES).then(function (has) {
          if (has && keptAt && Date.now() - keptAt < KEEP_EVERY_MS) { return null; }
          return askPages().then(onAccountChange).then(function (answer) {
            return answer ? keepPages(answer) : null;
          });
        });
      });
    }).then(function () {
      var ready = navigator.serviceWorker ? navigator.serviceWorker.ready : Promise.resolve();
      return ready.then(function () { body.setAttribute("data-offline-ready", "1"); });
    }).catch(function () { return null; });
  }

  function startLoggedOut() {
    // The session has ended (or nobody has logged in): the kept pages go; unsent records
    // wait for their owner's login, and the page says so.
    return dbExists().then(function (exists) {
      return wipePages().then(function () {
        return exists ? records().catch(function () { return []; }) : [];
      });
    }).then(function (items) {
      pending = items.length;
      if (!items.length) { return; }
      var box = notice("slip-warning offline-kept", counted(words.kept, items.length) + " ");
      var drop = element("button", "small danger", words.delete_all);
      drop.type = "button";
      drop.addEventListener("click", function () {
        if (window.confirm(words.confirm_delete_all)) {
          wipeAll().then(function () { box.remove(); });
        }
      });
      box.appendChild(drop);
    }).catch(function () { return null; });
  }

  function startOther() {
    // Another role's page: nothing of a teacher's stays on this phone.
    return Promise.all([wipeAll(), unregister()]).catch(function () { return null; });
  }

  if (role === "teacher") {
    startTeacher();
    window.addEventListener("online", function () {
      // "No network: saved on the phone" is no longer true; the outbox now says what happens.
      Array.prototype.forEach.call(document.querySelectorAll(".offline-saved"), function (n) {
        n.remove();
      });
      if (editedId() === null) { withLock(function () { return sendOutbox(false); }); }
    });
    // aidcase.js put the server's answer in place of the form page.
    document.addEventListener("aidcase:page", function () { showOutbox(); });
  } else if (role === "other") {
    startOther();
  } else {
    startLoggedOut();
  }
})();

/* AidCase's own script; every page works without it.
 * - While a form is being filled in, the session is kept alive: the server ends a session after
 *   30 minutes without a request, and typing a long home-visit note sends none.
 * - A second tap on a submit button while the form is being sent is ignored (the server also
 *   stores a form sent twice only once).
 * - The header's menus (<details>, which open and close without script) close when another
 *   opens, on a tap elsewhere, and on Escape (focus back on the menu's name).
 * - A refused form's error summary takes the focus (and so is read out and scrolled to).
 * - Photos (a form marked data-photos) are made smaller on the phone before they are sent
 *   (longest side 1280 px, JPEG 60 %: a 4 MB camera photo becomes about 160 KB, seconds instead
 *   of a minute and a half at 400 kbps) as soon as they are chosen, sent with a progress bar,
 *   and kept when the server
 *   refuses the form, so that a teacher corrects the form without choosing them again. The
 *   server re-encodes them and strips their metadata either way; without script the form
 *   sends the originals.
 * - A form that a teacher may also fill in offline (data-offline-form) is sent the same way, so
 *   that a send the network breaks is handed to the phone's outbox (static/js/offline.js, which
 *   also uses shrink() for the photos it keeps) instead of being lost.
 * - A table wider than the screen is a named region that the keyboard can focus and scroll,
 *   with a hint that it scrolls sideways.
 */
(function () {
  "use strict";

  var ALIVE_EVERY_MS = 4 * 60 * 1000;
  var DOUBLE_TAP_MS = 3000;
  var aliveUrl = document.body.getAttribute("data-alive-url");
  var lastAlive = Date.now();
  var typedSince = false;

  function keepAlive() {
    if (!aliveUrl || !typedSince || Date.now() - lastAlive < ALIVE_EVERY_MS) {
      return;
    }
    lastAlive = Date.now();
    typedSince = false;
    fetch(aliveUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" })
      .catch(function () { /* offline: the form is kept through the next login instead */ });
  }

  document.addEventListener("input", function (event) {
    var form = event.target && event.target.form;
    if (form && (form.getAttribute("method") || "").toLowerCase() === "post") {
      typedSince = true;
      keepAlive();
    }
  });
  window.setInterval(keepAlive, 60 * 1000);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var sentAt = Number(form.getAttribute("data-sent-at") || 0);
    if (Date.now() - sentAt < DOUBLE_TAP_MS) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent-at", String(Date.now()));
  });

  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }
  focusSummary();

  // Photos: smaller on the phone, sent with progress, kept through a refusal.
  var PHOTO_SIDE = 1280;
  var PHOTO_QUALITY = 0.6;

  function shrink(file) {
    if (!/^image\//.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) {
            resolve(file); // already small: sent as it is
            return;
          }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified }));
        }, "image/jpeg", PHOTO_QUALITY);
      });
    }).catch(function () { return file; }); // a file the browser cannot draw: the server says why
  }

  // The outbox (offline.js) keeps photos made smaller the same way.
  window.AidCase = { shrink: shrink, shrunkFiles: function (input) { return shrunkFiles(input); } };

  // Made smaller as soon as they are chosen, while the teacher types the rest.
  var shrunk = new WeakMap();

  function shrinkChosen(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var entry = { files: files, ready: Promise.all(files.map(shrink)) };
    shrunk.set(input, entry);
    return entry.ready;
  }

  function shrunkFiles(input) {
    var entry = shrunk.get(input);
    var files = Array.prototype.slice.call(input.files || []);
    var same = entry && entry.files.length === files.length && entry.files.every(function (f, i) {
      return f === files[i];
    });
    return same ? entry.ready : shrinkChosen(input);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && input.form && input.form.hasAttribute("data-photos")) {
      shrinkChosen(input);
    }
  });

  function photoInputs(form) {
    return Array.prototype.filter.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length;
    });
  }

  function keepFiles(input, files) {
    if (!input || !window.DataTransfer) { return false; }
    var kept = new DataTransfer();
    files.forEach(function (file) { kept.items.add(file); });
    input.files = kept.files;
    return true;
  }

  function progressOf(form) {
    var bar = form.querySelector(".upload-progress");
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "upload-progress";
      bar.setAttribute("role", "status");
      bar.innerHTML = "<progress max=\"100\" value=\"0\"></progress> <span></span>";
      var button = form.querySelector("button[type=submit]");
      form.insertBefore(bar, button);
    }
    return bar;
  }

  function sendWithPhotos(form, inputs) {
    var bar = progressOf(form);
    var label = bar.querySelector("span");
    var meter = bar.querySelector("progress");
    var sending = form.getAttribute("data-photos-sending") || "";
    label.textContent = sending + " …";
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    var chosen = {};
    return Promise.all(inputs.map(function (input) {
      return shrunkFiles(input).then(function (files) {
        chosen[input.name] = files;
      });
    })).then(function () {
      var data = new FormData(form);
      Object.keys(chosen).forEach(function (name) {
        data.delete(name);
        chosen[name].forEach(function (file) { data.append(name, file, file.name); });
      });
      var xhr = new XMLHttpRequest();
      var target = form.action || window.location.href;
      xhr.open("POST", target);
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          document.body.setAttribute("data-photos-sent-bytes", String(event.total));
          var percent = Math.round(100 * event.loaded / event.total);
          meter.value = percent;
          label.textContent = sending + " " + percent + "%";
        }
      };
      xhr.onload = function () {
        var posted = new URL(target, window.location.href).href;
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        if (!page.body || !page.querySelector("main")) {
          window.location.assign(xhr.responseURL || posted); // not a page of ours: load it
          return;
        }
        // The page the server answered with (it already holds the one-time "saved" message,
        // so it is shown rather than loaded again), at its own address.
        document.title = page.title;
        document.body.innerHTML = page.body.innerHTML;
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        if (window.htmx) { window.htmx.process(document.body); }
        document.dispatchEvent(new CustomEvent("aidcase:page"));
        window.scrollTo(0, 0);
        if (xhr.responseURL && xhr.responseURL.split("#")[0] !== posted) {
          markScrollingTables();
          return; // saved
        }
        // Refused: the form again, with its messages, and the photos still chosen.
        var again = document.querySelector("form[data-photos]");
        var kept = false;
        Object.keys(chosen).forEach(function (name) {
          if (again && chosen[name].length) {
            kept = keepFiles(again.querySelector("input[type=file][name=\"" + name + "\"]"), chosen[name]) || kept;
          }
        });
        if (again && kept) {
          var note = document.createElement("p");
          note.className = "meta photos-kept";
          note.setAttribute("role", "status");
          note.textContent = again.getAttribute("data-photos-kept") || "";
          var photos = again.querySelector("input[type=file]");
          photos.parentNode.appendChild(note);
        }
        markScrollingTables();
        focusSummary();
      };
      xhr.onerror = function () {
        // The outbox takes it when it can (the event is cancelled); otherwise the teacher
        // is told to send it again.
        var unsent = new CustomEvent("aidcase:unsent", { detail: { data: data }, bubbles: true, cancelable: true });
        if (!form.dispatchEvent(unsent)) { return; }
        label.textContent = form.getAttribute("data-photos-failed") || "";
        meter.value = 0;
        if (button) { button.disabled = false; }
        form.removeAttribute("data-sent-at");
      };
      xhr.send(data);
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var offline = form.hasAttribute("data-offline-form");
    if (event.defaultPrevented || !(form.hasAttribute("data-photos") || offline) ||
        !window.FormData || !window.XMLHttpRequest) {
      return;
    }
    var inputs = photoInputs(form);
    if (!inputs.length && !offline) {
      return; // nothing to make smaller: the form is sent as usual
    }
    event.preventDefault();
    sendWithPhotos(form, inputs);
  });

  var scrollLabel = document.body.getAttribute("data-scroll-label") || "";

  function markScrollingTables() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls === wrap.classList.contains("scrolls")) { return; }
      wrap.classList.toggle("scrolls", scrolls);
      if (scrolls) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        var caption = wrap.querySelector("caption");
        var heading = wrap.previousElementSibling;
        var name = caption ? caption.textContent : (heading && /^H[1-6]$/.test(heading.tagName) ? heading.textContent : "");
        wrap.setAttribute("aria-label", (name ? name.trim() + " · " : "") + scrollLabel);
        if (!(wrap.nextElementSibling && wrap.nextElementSibling.classList.contains("scroll-hint"))) {
          var hint = document.createElement("p");
          hint.className = "scroll-hint";
          hint.setAttribute("aria-hidden", "true");
          hint.textContent = scrollLabel;
          wrap.parentNode.insertBefore(hint, wrap.nextSibling);
        }
      } else {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  markScrollingTables();
  window.addEventListener("resize", markScrollingTables);
  document.addEventListener("htmx:afterSettle", markScrollingTables);

  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.menu[open], details.nav-more[open]"));
  }

  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (opened.open && opened.matches && opened.matches("details.menu, details.nav-more")) {
      openMenus().forEach(function (menu) {
        if (menu !== opened) { menu.open = false; }
      });
    }
  }, true);

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    openMenus().forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary && menu.contains(document.activeElement)) { summary.focus(); }
    });
  });
})();

/* AidCase's own script; every page works without it.
 * - While a form is being filled in, the session is kept alive: the server ends a session after
 *   30 minutes without a request, and typing a long home-visit note sends none.
 * - A second tap on a submit button while the form is being sent is ignored (the server also
 *   stores a form sent twice only once).
 * - The header's menus (<details>, which open and close without script) close when another
 *   opens, on a tap elsewhere, and on Escape (focus back on the menu's name).
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

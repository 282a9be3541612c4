/* AidCase's own script; every page works without it.
 * - While a form is being filled in, the session is kept alive: the server ends a session after
 *   30 minutes without a request, and typing a long home-visit note sends none.
 * - A second tap on a submit button while the form is being sent is ignored (the server also
 *   stores a form sent twice only once).
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
})();

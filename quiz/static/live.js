// Fact or opinion? — live mode: follow the class's session by polling; every page works without this file.
// The page names its state URL and the ETag of what it shows. An unchanged poll is a 304 with no body.
// When the page itself must change (a question opens or closes), the page reloads and, once loaded,
// says what changed in its live region; counts (joined, answered) are updated in place.
(function () {
  "use strict";

  var ANNOUNCE_KEY = "live-announce";

  function start(root) {
    var url = root.getAttribute("data-live-state");
    var etag = root.getAttribute("data-live-etag");
    var page = root.getAttribute("data-live-page");
    var every = 1000 * (parseFloat(root.getAttribute("data-live-every")) || 2);
    var region = document.getElementById("live-announce");
    var timer = null;

    try {
      if (window.sessionStorage.getItem(ANNOUNCE_KEY) === url) {
        window.sessionStorage.removeItem(ANNOUNCE_KEY);
        // filled after load, so screen readers announce it as a change
        window.setTimeout(function () { region.textContent = root.getAttribute("data-live-say"); }, 300);
      }
    } catch (e) { /* storage off: no announcement after a reload, the page title still says it */ }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay === undefined ? every : delay);
    }

    function follow(state) {
      if (state.page !== page) {
        try { window.sessionStorage.setItem(ANNOUNCE_KEY, url); } catch (e) { /* see above */ }
        window.location.reload();
        return true;
      }
      root.querySelectorAll("[data-live-count]").forEach(function (el) {
        var value = state[el.getAttribute("data-live-count")];
        if (value !== undefined) { el.textContent = String(value); }
      });
      return false;
    }

    function poll() {
      var request = new XMLHttpRequest();
      request.open("GET", url);
      request.setRequestHeader("If-None-Match", etag);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (request.status === 404) { window.location.reload(); return; }  // no longer ours: say so
        if (request.status === 200) {
          etag = request.getResponseHeader("ETag") || etag;
          try { if (follow(JSON.parse(request.responseText))) { return; } } catch (e) { /* keep polling */ }
        }
        schedule(request.status >= 500 ? every * 2 : every);
      };
      request.onerror = function () { schedule(every * 2); };  // the network dropped: keep trying
      request.send();
    }

    // A timer counts down on the screen; when it runs out, ask at once (the server closes the question).
    root.querySelectorAll("[data-live-timer]").forEach(function (el) {
      var left = parseInt(el.getAttribute("data-live-timer"), 10);
      var shown = el.querySelector(".timer-left");
      var ends = Date.now() + left * 1000;
      function tick() {
        var s = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
        shown.textContent = (shown.getAttribute("data-format") || "{n} s").replace("{n}", s);
        if (s > 0) { window.setTimeout(tick, 250); } else { schedule(100); }
      }
      tick();
    });

    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { schedule(0); }  // back on the page: catch up now
    });
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-live-state]");
    if (root) { start(root); }
  });
})();

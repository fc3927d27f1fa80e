// Countdowns on cards and the lot page, counted from the SERVER's time, never the visitor's clock.
// The page renders <meta name="server-now-ms"> and each deadline as data-countdown-to (epoch ms);
// elapsed time since load comes from performance.now(), which a wrong or changed system clock does
// not affect. Other scripts (the live panel) may rewrite data-countdown-to when a round is extended.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="server-now-ms"]');
  if (!meta) return;
  var serverAtLoad = Number(meta.content);
  var loadedAt = performance.now();
  var script = document.currentScript || document.querySelector("script[data-days]");
  var daysLabel = (script && script.dataset.days) || "d";
  var doneLabel = (script && script.dataset.done) || "";

  function serverNow() {
    return serverAtLoad + (performance.now() - loadedAt);
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(ms) {
    var total = Math.floor(ms / 1000);
    var days = Math.floor(total / 86400);
    var clock = pad(Math.floor((total % 86400) / 3600)) + ":" + pad(Math.floor((total % 3600) / 60)) + ":" + pad(total % 60);
    return days > 0 ? days + " " + daysLabel + " " + clock : clock;
  }

  function tick() {
    var now = serverNow();
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
      var left = Number(el.dataset.countdownTo) - now;
      el.textContent = left > 0 ? format(left) : doneLabel;
    });
  }

  tick();
  setInterval(tick, 1000);
})();

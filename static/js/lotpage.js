// Lot page tabs, and the counts that move while a round runs (watchers, registrations, bids,
// extensions, price), read from a tiny JSON document every few seconds while the page is visible.
// The same poller serves "my auctions", whose document has one entry per row: {"rows": [{id, …}]}.
(function () {
  "use strict";

  // Tabs: every panel stays in the page (and readable without JavaScript); with it, one shows.
  var tabs = document.querySelector("[data-tabs]");
  if (tabs) {
    var links = Array.prototype.slice.call(tabs.querySelectorAll("[data-tab]"));
    var show = function (id, focus) {
      links.forEach(function (link) {
        var active = link.getAttribute("href") === "#" + id;
        link.classList.toggle("active", active);
        if (active) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current");
        var panel = document.getElementById(link.getAttribute("href").slice(1));
        if (panel) panel.hidden = !active;
      });
      if (focus) {
        var heading = document.querySelector("#" + id + " h2");
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
      }
    };
    var ids = links.map(function (link) { return link.getAttribute("href").slice(1); });
    var initial = location.hash.slice(1);
    show(ids.indexOf(initial) >= 0 ? initial : ids[0], false);
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var id = link.getAttribute("href").slice(1);
        show(id, true);
        if (history.replaceState) history.replaceState(null, "", "#" + id);
      });
    });
  }

  // Moving facts.
  function apply(scope, facts) {
    Object.keys(facts).forEach(function (key) {
      var value = facts[key];
      if (value === null || typeof value === "object") return;
      scope.querySelectorAll('[data-fact="' + key + '"]').forEach(function (el) {
        if (el.textContent !== String(value)) {
          el.textContent = String(value);
          el.classList.remove("fact-changed");
          void el.offsetWidth;
          el.classList.add("fact-changed");
        }
      });
      if (key === "standing") {
        scope.querySelectorAll("[data-standing]").forEach(function (el) {
          el.setAttribute("data-standing", value);
          el.className = el.className.replace(/\bstanding-\S+/, "standing-" + value);
        });
      }
    });
  }

  document.querySelectorAll("[data-facts-url]").forEach(function (source) {
    var url = source.getAttribute("data-facts-url");
    var every = Math.max(1000, Number(source.getAttribute("data-poll-ms")) || 5000);
    var busy = false;
    function poll() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) return;
          if (Array.isArray(body.rows)) {
            body.rows.forEach(function (row) {
              var scope = document.querySelector('[data-row="' + row.id + '"]');
              if (scope) apply(scope, row);
            });
            if (body.totals) apply(document, body.totals);
          } else {
            apply(document, body);
          }
        })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    setInterval(poll, every);
    document.addEventListener("visibilitychange", poll);
  });
})();

// Open data page: the filter form's values become the download links' query strings.
(function () {
  "use strict";
  var form = document.getElementById("open-data-form");
  if (!form) return;
  var links = document.querySelectorAll("[data-download]");
  function update() {
    var params = new URLSearchParams();
    ["from", "to", "court"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) params.set(name, value);
    });
    var query = params.toString();
    links.forEach(function (link) {
      var base = link.getAttribute("href").split("?")[0];
      link.setAttribute("href", query ? base + "?" + query : base);
    });
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
  update();
})();

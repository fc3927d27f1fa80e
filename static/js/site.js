// Behaviour that would otherwise be inline handlers, which the Content-Security-Policy forbids:
// <select data-autosubmit> submits its form on change, [data-print] prints the page, and
// <form data-confirm="…"> asks before it submits.
(function () {
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) target.form.submit();
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) window.print();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();

// Behaviour pages ask for with data- attributes, so that no page needs an inline script or an
// on* handler: the Content-Security-Policy (config/settings/base.py) runs scripts from this
// site's own files only.
(function () {
  "use strict";

  // <select data-autosubmit>: choosing an option submits its form (language switch, filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLElement && el.matches("[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });

  // <button data-print>: the browser's print dialog (the A4 report).
  document.addEventListener("click", function (event) {
    var el = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (el) {
      event.preventDefault();
      window.print();
    }
  });

  // The dashboards' period picker: only the parts of the kind chosen show. Without this
  // script every part shows and the form still works: the server reads only the parts of the
  // kind chosen.
  function periodPickers(root) {
    root.querySelectorAll("form[data-period-form]").forEach(function (form) {
      var kind = form.querySelector("[name=kind]");
      if (!kind) return;
      var show = function () {
        form.querySelectorAll("[data-period-part]").forEach(function (el) {
          el.hidden = el.dataset.periodPart.split(" ").indexOf(kind.value || "year") < 0;
        });
      };
      kind.addEventListener("change", show);
      show();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { periodPickers(document); });
  } else {
    periodPickers(document);
  }
})();

// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-autofocus]");
    if (summary) summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.target);
  });
})();

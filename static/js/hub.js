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

  // The header's account menu is a <details>: it opens and closes without this. Escape closes
  // it (focus back on its button), and so does a click or a focus outside it.
  function closeUserMenus(except, refocus) {
    document.querySelectorAll("details[data-user-menu][open]").forEach(function (menu) {
      if (menu === except) return;
      menu.open = false;
      if (refocus) menu.querySelector("summary").focus();
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details[data-user-menu][open]");
    if (menu) closeUserMenus(null, true);
  });
  document.addEventListener("click", function (event) {
    closeUserMenus(event.target.closest && event.target.closest("details[data-user-menu]"), false);
  });
  document.addEventListener("focusin", function (event) {
    closeUserMenus(event.target.closest && event.target.closest("details[data-user-menu]"), false);
  });
})();

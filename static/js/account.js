// The account page: offer the browser's own time zone (from Intl) beside the list.
// Progressive enhancement only: without this file the list is the whole question.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-browser-zone]");
    var select = document.querySelector("[data-time-zone-select]");
    if (!box || !select || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!zone || !known || select.value === zone) return;
    box.querySelector("[data-browser-zone-name]").textContent = zone.replace(/_/g, " ");
    box.hidden = false;
    box.querySelector("[data-browser-zone-use]").addEventListener("click", function () {
      select.value = zone;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      box.querySelector("[data-browser-zone-done]").textContent = box.getAttribute("data-done-text");
    });
  });
})();

// The contact forms, progressive enhancement only: every form works without this file.
//
// R-FALLBACK: when the page says cover in the chosen language is thin
// (#fallback-dialog[data-suggest="true"], redrawn by htmx as the language changes), the
// submit opens the dialog instead; the choice sets the language, marks the choice as made
// and submits. Without this file the server shows the same choice as a page.
(function () {
  "use strict";

  function choiceInput(form) {
    return form.querySelector("input[name='english_choice_made']");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-fallback-form]")) return;
    var dialog = document.getElementById("fallback-dialog");
    var decided = choiceInput(form);
    if (!dialog || dialog.dataset.suggest !== "true" || !decided) return;
    if (decided.value === "True" || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    dialog.showModal();
  });

  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("[data-fallback-language]");
    if (!button) return;
    var form = document.querySelector("form[data-fallback-form]");
    var dialog = button.closest("dialog");
    if (!form) return;
    var language = form.querySelector("[name='language']");
    if (language) language.value = button.getAttribute("data-fallback-language");
    var decided = choiceInput(form);
    if (decided) decided.value = "True";
    if (dialog && dialog.open) dialog.close();
    button.disabled = true;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  });

  // A double click sends one request; the idempotency key covers whatever gets through.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.closest(".contact") || event.defaultPrevented) return;
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
  });
})();

// Coming back to the page (back button, page cache): the form may be sent again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitting]").forEach(function (form) {
    delete form.dataset.submitting;
  });
});

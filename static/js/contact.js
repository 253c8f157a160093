// The contact forms, progressive enhancement only: every form works without this file.
//
// R-FALLBACK: when the page says cover in the chosen language is thin
// (#fallback-dialog[data-suggest="true"], redrawn by htmx as the language changes), the
// submit opens the dialog instead; the choice sets the language, marks the choice as made
// and submits. Without this file the server shows the same choice as a page.
(function () {
  "use strict";

  // Buttons that stand in for htmx when there is no JavaScript (the phone form's "Update
  // the wait"): with htmx here they are not needed, and must not be the form's default
  // button, which Enter in a text box would press.
  if (window.htmx) {
    document.querySelectorAll("[data-without-js]").forEach(function (element) {
      element.remove();
    });
  }

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

// R-PHONE: the country drop-down puts its calling code into the number box, keeping what
// was typed after any earlier code; a +code typed by hand chooses its country. Each option
// carries its code (data-calling-code); the main country of a shared code is marked
// (data-main-country). Without this file the server reads the country and the number as
// typed, as it always has.
(function () {
  "use strict";

  function numberBox(select) {
    return select.form && select.form.querySelector("input[name='number']");
  }

  function codeOf(option) {
    return option ? option.getAttribute("data-calling-code") || "" : "";
  }

  function hasCode(select, code) {
    return select.querySelector("option[data-calling-code='" + code + "']") !== null;
  }

  // Calling codes are a prefix code: the first 1, 2 or 3 digits after the + that make a
  // known code are the code, whatever follows them.
  function typedCode(value, select) {
    var match = /^\s*\+\s*([0-9]{1,3})/.exec(value);
    if (!match) return null;
    var digits = match[1];
    for (var length = 1; length <= digits.length; length++) {
      var code = digits.slice(0, length);
      if (hasCode(select, code)) {
        var end = match[0].length - digits.length + length;
        return { code: code, rest: value.slice(end).replace(/^[\s.\-\/]+/, "") };
      }
    }
    return null;
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-phone-country")) return;
    var number = numberBox(select);
    var code = codeOf(select.selectedOptions[0]);
    if (!number || !code) return;
    var typed = typedCode(number.value, select);
    var rest = typed ? typed.rest : number.value.trim();
    number.value = "+" + code + " " + rest;
  });

  document.addEventListener("input", function (event) {
    var number = event.target;
    if (!(number instanceof HTMLInputElement) || number.name !== "number" || !number.form) return;
    var select = number.form.querySelector("select[data-phone-country]");
    if (!select) return;
    var typed = typedCode(number.value, select);
    if (!typed || codeOf(select.selectedOptions[0]) === typed.code) return;
    var country =
      select.querySelector("option[data-calling-code='" + typed.code + "'][data-main-country]") ||
      select.querySelector("option[data-calling-code='" + typed.code + "']");
    if (country) select.value = country.value;
  });
})();

// Coming back to the page (back button, page cache): the form may be sent again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-submitting]").forEach(function (form) {
    delete form.dataset.submitting;
  });
});

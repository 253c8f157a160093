// The assistant, progressive enhancement only: every form posts and redirects without this.
//
// - After htmx has appended an answer: empty the question box, keep the focus in it, and
//   bring the new turn into view (the turns list is a polite live region, so screen readers
//   hear the answer).
// - After htmx has drawn an error in its place: mark the question box invalid and described
//   by the error, as the page drawn without JavaScript does; an answer clears the mark.
// - "Ask another question" moves the focus to the question box.
// - On support pages the launcher opens the panel in place (htmx); Close puts it back.
(function () {
  "use strict";

  var launcherMarkup = null;

  function questionBox(root) {
    return (root || document).querySelector("[data-assistant-form] input[name='question']");
  }

  var ERROR_BOX = "assistant-error";

  function markQuestion(box, invalid) {
    var field = box.closest(".field");
    if (field) field.classList.toggle("field--error", invalid);
    var described = (box.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== ERROR_BOX;
    });
    if (invalid) {
      box.setAttribute("aria-invalid", "true");
      described.push(ERROR_BOX);
    } else {
      box.removeAttribute("aria-invalid");
    }
    if (described.length) box.setAttribute("aria-describedby", described.join(" "));
    else box.removeAttribute("aria-describedby");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var panel = document.getElementById("assistant-panel");
    if (panel && event.detail.elt && event.detail.elt.matches("[data-assistant-launcher]")) {
      launcherMarkup = panel.innerHTML;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-assistant-form]")) return;
    if (!event.detail.successful) return;
    var box = questionBox(form);
    if (form.querySelector("#assistant-error .field__error")) {
      if (box) {
        markQuestion(box, true);
        box.focus();
      }
      return;
    }
    if (box) {
      markQuestion(box, false);
      box.value = "";
      box.focus();
    }
    var turns = document.querySelectorAll("#assistant-turns > .turn");
    var newest = turns[turns.length - 1];
    if (newest && typeof newest.scrollIntoView === "function") {
      var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      newest.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
    }
  });

  // After settling, not after swapping: htmx wires the panel's form up only when it settles,
  // and focus tells a keyboard user the panel is ready to take a question.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target || event.target;
    if (target && target.id === "assistant-panel") {
      var title = target.querySelector("#assistant-panel-title");
      target.classList.add("assistant-panel--open");
      if (title) title.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var element = event.target instanceof Element ? event.target : null;
    if (!element) return;
    var focus = element.closest("[data-assistant-focus]");
    if (focus) {
      var box = questionBox(document);
      if (box) {
        event.preventDefault();
        box.focus();
      }
      return;
    }
    var close = element.closest("[data-assistant-close]");
    if (close) {
      var panel = document.getElementById("assistant-panel");
      if (panel && launcherMarkup !== null) {
        panel.innerHTML = launcherMarkup;
        panel.classList.remove("assistant-panel--open");
        if (window.htmx) window.htmx.process(panel);
        var launcher = panel.querySelector("[data-assistant-launcher]");
        if (launcher) launcher.focus();
      }
    }
  });
})();

// Live chat, progressive enhancement only: the chat works without this file (the forms post
// and redirect, and a Refresh link redraws the conversation). htmx does the polling and the
// sending; this file adds what htmx cannot do under our Content Security Policy:
// - Enter sends, Shift+Enter makes a new line;
// - a message that could not be sent stays in its box with a note, and the same key, so
//   pressing Send again makes one message;
// - a lost connection is shown while the poll retries;
// - a draft survives a reload of the page;
// - a message is never shown twice, whatever the network did.
(function () {
  "use strict";

  document.documentElement.classList.add("chat-js");

  function draftKey(form) {
    return "chat-draft:" + form.getAttribute("action");
  }

  function box(form) {
    return form.querySelector("textarea");
  }

  function restoreDrafts(root) {
    root.querySelectorAll("form[data-chat-composer]").forEach(function (form) {
      var textarea = box(form);
      if (!textarea || textarea.value) return;
      try {
        var draft = window.sessionStorage.getItem(draftKey(form));
        if (draft) textarea.value = draft;
      } catch (error) { /* storage refused: nothing to restore */ }
    });
  }

  function dedupe(root) {
    (root.matches && root.matches(".chat-log__list") ? [root] : root.querySelectorAll(".chat-log__list")).forEach(function (log) {
      var seen = {};
      Array.prototype.slice.call(log.children).forEach(function (item) {
        var id = item.getAttribute("data-message-id");
        if (!id) return;
        if (seen[id]) item.remove();
        else seen[id] = true;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    var textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement)) return;
    var form = textarea.closest("form[data-chat-composer]");
    if (!form || event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    event.preventDefault();
    if (!textarea.value.trim()) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  });

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement)) return;
    var form = textarea.closest("form[data-chat-composer]");
    if (!form) return;
    try { window.sessionStorage.setItem(draftKey(form), textarea.value); } catch (error) { /* ignore */ }
  });

  function problem(elt, selector, shown) {
    var note = elt && elt.querySelector(selector);
    if (note) note.hidden = !shown;
  }

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail.elt;
    if (elt.matches("form[data-chat-composer]")) problem(elt, "[data-send-problem]", true);
    if (elt.matches("[data-chat-poller]")) problem(elt, "[data-poll-problem]", true);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (elt.matches("form[data-chat-composer]")) problem(elt, "[data-send-problem]", true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!event.detail.successful) return;
    if (elt.matches("[data-chat-poller]")) problem(elt, "[data-poll-problem]", false);
    if (elt.matches("form[data-chat-composer]")) {
      try { window.sessionStorage.removeItem(draftKey(elt)); } catch (error) { /* ignore */ }
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    dedupe(document);
    restoreDrafts(event.target);
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    dedupe(event.detail.target || document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    restoreDrafts(document);
  });
})();

// Live chat, progressive enhancement only: the chat works without this file (the forms post
// and redirect, and a Refresh link redraws the conversation). htmx does the polling and the
// sending; this file adds what htmx cannot do under our Content Security Policy:
// - Enter sends, Shift+Enter makes a new line;
// - a message that could not be sent stays in its box with a note, and the same key, so
//   pressing Send again makes one message;
// - a lost connection is shown while the poll retries;
// - a draft survives a reload of the page, until the message it became is in the log (the
//   draft remembers the form's key, and the server marks each of your messages with its
//   key), so a reload never refills the box with what was already sent;
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

  function composers(root) {
    var found = Array.prototype.slice.call(root.querySelectorAll("form[data-chat-composer]"));
    if (root.matches && root.matches("form[data-chat-composer]")) found.push(root);
    return found;
  }

  function clientKey(form) {
    var input = form.querySelector("input[name='client_key']");
    return input ? input.value : "";
  }

  function readDraft(form) {
    try {
      var raw = window.sessionStorage.getItem(draftKey(form));
      if (!raw) return null;
      var draft = JSON.parse(raw);
      return draft && typeof draft.text === "string" ? draft : null;
    } catch (error) { return null; /* storage refused, or a draft in an older shape */ }
  }

  function forgetDraft(form) {
    try { window.sessionStorage.removeItem(draftKey(form)); } catch (error) { /* ignore */ }
  }

  function wasSent(draft) {
    return Boolean(draft.key) && document.querySelector("[data-client-key='" + CSS.escape(draft.key) + "']") !== null;
  }

  // Drafts whose message is in the log are forgotten; the others refill an empty box.
  function settleDrafts(root) {
    composers(root).forEach(function (form) {
      var draft = readDraft(form);
      if (!draft) return;
      if (wasSent(draft)) {
        forgetDraft(form);
        return;
      }
      var textarea = box(form);
      if (textarea && !textarea.value && draft.text) textarea.value = draft.text;
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
    try {
      window.sessionStorage.setItem(draftKey(form), JSON.stringify({ key: clientKey(form), text: textarea.value }));
    } catch (error) { /* ignore */ }
  });

  // "Do not send it" (the repeat question): the page comes back with an empty box.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element && event.target.closest("[data-chat-discard]");
    var form = link && link.closest("form[data-chat-composer]");
    if (form) forgetDraft(form);
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
  // The composer is replaced by its answer, so this event reaches the document from an
  // ancestor with detail.elt no longer the form: the draft is settled from the log instead.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!event.detail.successful) return;
    if (elt.matches("[data-chat-poller]")) problem(elt, "[data-poll-problem]", false);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    dedupe(document);
    settleDrafts(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    dedupe(event.detail.target || document);
  });
  document.addEventListener("DOMContentLoaded", function () {
    settleDrafts(document);
  });
})();

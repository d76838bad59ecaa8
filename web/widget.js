/*
 * Safeguarding chat widget. Dependency-free, no build step.
 *
 * A school adds it with one tag:
 *   <script src=".../widget.js" data-server="https://bot.example.org" data-audience="pupil"
 *           data-age="" data-exit-url="https://www.bbc.co.uk/weather" data-session-storage="false"></script>
 *
 * It loads widget.css and widget-text.json from beside itself, talks to the Rasa REST channel, keeps the
 * conversation in memory only (sessionStorage holds the sender id only when data-session-storage="true"),
 * and offers a quick exit (button, or Esc twice) that wipes the chat and replaces the page in history.
 * All text goes into the page through textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[src*='widget.js'][data-server]");
  if (!script || window.sgwChatWidgetLoaded) {
    return;
  }
  window.sgwChatWidgetLoaded = true;

  var DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  var STORAGE_KEYS = { sender: "sgw-chat-sender", started: "sgw-chat-started" };
  var AUDIENCES = ["pupil", "parent", "teacher"];
  var ESCAPE_WINDOW_MS = 1000;
  var REQUEST_TIMEOUT_MS = 30000;
  var LOAD_TIMEOUT_MS = 4000;
  var MAX_INPUT = 500;
  var MAX_BUTTONS = 10;

  // Used only when widget-text.json cannot be loaded. The numbers repeat those in the JSON on purpose:
  // a pupil must always see how to get help.
  var FALLBACK_TEXT = {
    title: "Ask about staying safe",
    launcher: "Ask the chatbot",
    quickExit: "Quick exit",
    quickExitLabel: "Quick exit: leave this page now and clear the chat",
    exitHint: "To leave fast, press Quick exit or press Esc twice.",
    close: "Close",
    closeLabel: "Close the chat",
    logLabel: "Chat messages",
    inputLabel: "Type your question",
    inputPlaceholder: "Type your question",
    send: "Send",
    suggestionsLabel: "Suggested replies",
    botPrefix: "Chatbot said:",
    userPrefix: "You said:",
    typing: "The chatbot is writing a reply…",
    empty: "Sorry, I didn't understand that. Could you ask it in a different way?",
    badRequest: "Sorry, I couldn't read that message. Please try again in plain words.",
    offline: "Sorry, the chatbot isn't working right now. If you need help now, call Childline free on " +
      "0800 1111, any time. If you are in danger, call 999.",
    notice: {
      pupil: "I'm a chatbot, not a person, and nobody reads this chat live.\nIf you are in danger, call 999.\n" +
        "You can call Childline free on 0800 1111 any time.",
      parent: "I'm a chatbot, not a person, and nobody reads this chat live.\nIf a child is in danger, call 999.\n" +
        "Children can call Childline on 0800 1111 any time.",
      teacher: "I'm a chatbot, not a person, and nobody reads this chat live.\nIf a child is in danger, call 999.\n" +
        "Pupils can call Childline on 0800 1111 any time."
    }
  };

  var base = new URL(script.src, document.baseURI);
  var config = readConfig(script);
  var text = FALLBACK_TEXT;
  var ui = null;
  var state = freshState();
  var lastEscape = 0;

  // ---------------------------------------------------------------- configuration

  function readConfig(tag) {
    var audience = (tag.getAttribute("data-audience") || "").trim().toLowerCase();
    return {
      server: httpUrl(tag.getAttribute("data-server")),
      audience: AUDIENCES.indexOf(audience) >= 0 ? audience : "pupil",
      age: parseAge(tag.getAttribute("data-age")),
      exitUrl: httpUrl(tag.getAttribute("data-exit-url")) || DEFAULT_EXIT_URL,
      useSession: tag.getAttribute("data-session-storage") === "true"
    };
  }

  function httpUrl(value) {
    if (!value || !value.trim()) {
      return "";
    }
    try {
      var url = new URL(value.trim(), document.baseURI);
      if (url.protocol === "https:" || url.protocol === "http:") {
        return url.href.replace(/\/+$/, "");
      }
    } catch (err) {
      // not a URL: fall through
    }
    return "";
  }

  function parseAge(value) {
    var age = parseInt(value, 10);
    return age >= 5 && age <= 25 ? age : null;
  }

  // ---------------------------------------------------------------- state and storage

  function freshState() {
    return { sender: null, started: false, exiting: false, pending: 0, queue: Promise.resolve(), controller: null };
  }

  function storage() {
    if (!config.useSession) {
      return null;
    }
    try {
      return window.sessionStorage;
    } catch (err) {
      return null;
    }
  }

  function restoreSession() {
    var store = storage();
    if (!store) {
      return;
    }
    var sender = store.getItem(STORAGE_KEYS.sender);
    if (sender && /^[0-9a-f-]{36}$/.test(sender)) {
      state.sender = sender;
      state.started = store.getItem(STORAGE_KEYS.started) === "1";
    }
  }

  function saveSession() {
    var store = storage();
    if (store && state.sender) {
      store.setItem(STORAGE_KEYS.sender, state.sender);
      store.setItem(STORAGE_KEYS.started, state.started ? "1" : "0");
    }
  }

  function clearSession() {
    try {
      Object.keys(STORAGE_KEYS).forEach(function (name) {
        window.sessionStorage.removeItem(STORAGE_KEYS[name]);
      });
    } catch (err) {
      // storage blocked: nothing was stored
    }
  }

  function newSenderId() {
    var cryptoApi = window.crypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === "function") {
      return cryptoApi.randomUUID();
    }
    var bytes = cryptoApi.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function senderId() {
    if (!state.sender) {
      state.sender = newSenderId();
      saveSession();
    }
    return state.sender;
  }

  // ---------------------------------------------------------------- loading texts and styles

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (value) { clearTimeout(timer); resolve(value); },
                   function (err) { clearTimeout(timer); reject(err); });
    });
  }

  function loadText() {
    var request = fetch(new URL("widget-text.json", base).href, { credentials: "omit", cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : {}; });
    return withTimeout(request, LOAD_TIMEOUT_MS).then(mergeText, function () { return FALLBACK_TEXT; });
  }

  function mergeText(loaded) {
    var merged = {};
    Object.keys(FALLBACK_TEXT).forEach(function (key) {
      var value = loaded && loaded[key];
      merged[key] = typeof value === typeof FALLBACK_TEXT[key] && value ? value : FALLBACK_TEXT[key];
    });
    AUDIENCES.forEach(function (who) {
      if (typeof merged.notice[who] !== "string") {
        merged.notice[who] = FALLBACK_TEXT.notice[who];
      }
    });
    return merged;
  }

  function loadStyles() {
    return new Promise(function (resolve) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = new URL("widget.css", base).href;
      link.setAttribute("data-sgw-styles", "");
      link.addEventListener("load", resolve);
      link.addEventListener("error", resolve);
      setTimeout(resolve, LOAD_TIMEOUT_MS);
      document.head.appendChild(link);
    });
  }

  // ---------------------------------------------------------------- building the DOM

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function buildUi() {
    var root = el("div", { "class": "sgw-root", "data-sgw-chat": "" });
    root.hidden = true;

    var exit = el("button", { type: "button", "class": "sgw-exit", "aria-label": text.quickExitLabel },
                  [text.quickExit]);
    var launcher = el("button", { type: "button", "class": "sgw-launcher", "aria-expanded": "false",
                                  "aria-controls": "sgw-panel" }, [text.launcher]);
    var title = el("h2", { "class": "sgw-title", id: "sgw-title" }, [text.title]);
    var close = el("button", { type: "button", "class": "sgw-close", "aria-label": text.closeLabel },
                   [text.close]);
    var hint = el("p", { "class": "sgw-hint" }, [text.exitHint]);
    var log = el("div", { "class": "sgw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                          "aria-label": text.logLabel, tabindex: "0" });
    var typing = el("p", { "class": "sgw-typing", role: "status" });
    var input = el("input", { type: "text", id: "sgw-input", "class": "sgw-input", autocomplete: "off",
                              maxlength: String(MAX_INPUT), placeholder: text.inputPlaceholder,
                              spellcheck: "true", enterkeyhint: "send" });
    var label = el("label", { "for": "sgw-input", "class": "sgw-sr" }, [text.inputLabel]);
    var sendButton = el("button", { type: "submit", "class": "sgw-send" }, [text.send]);
    var form = el("form", { "class": "sgw-form", novalidate: "" }, [label, input, sendButton]);
    var header = el("div", { "class": "sgw-header" }, [el("div", { "class": "sgw-heading" }, [title, hint]), close]);
    var panel = el("section", { "class": "sgw-panel", id: "sgw-panel", "aria-labelledby": "sgw-title" },
                   [header, log, typing, form]);
    panel.hidden = true;
    var dock = el("div", { "class": "sgw-dock" }, [exit, launcher]);

    root.appendChild(dock);
    root.appendChild(panel);

    exit.addEventListener("click", quickExit);
    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = input.value;
      input.value = "";
      send(message, message);
    });

    return { root: root, launcher: launcher, panel: panel, log: log, typing: typing, input: input, exit: exit };
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      scrollLog();
      ui.input.focus();
    } else {
      ui.launcher.focus();
    }
  }

  function scrollLog() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // ---------------------------------------------------------------- messages

  function addMessage(who, message) {
    var body = el("span", { "class": "sgw-text" });
    if (who === "bot") {
      appendLinkified(body, message);
    } else {
      body.textContent = message;
    }
    var prefix = el("span", { "class": "sgw-sr" }, [(who === "bot" ? text.botPrefix : text.userPrefix) + " "]);
    var item = el("div", { "class": "sgw-msg sgw-msg-" + who }, [prefix, body]);
    ui.log.appendChild(item);
    scrollLog();
    return item;
  }

  function addReplies(buttons) {
    var group = el("div", { "class": "sgw-replies", role: "group", "aria-label": text.suggestionsLabel });
    buttons.slice(0, MAX_BUTTONS).forEach(function (button) {
      if (!button || typeof button !== "object") {
        return;
      }
      var title = typeof button.title === "string" ? button.title.trim() : "";
      var payload = typeof button.payload === "string" && button.payload.trim() ? button.payload.trim() : title;
      if (!title) {
        return;
      }
      var node = el("button", { type: "button", "class": "sgw-reply" }, [title]);
      node.addEventListener("click", function () { send(payload, title); });
      group.appendChild(node);
    });
    if (group.childNodes.length) {
      ui.log.appendChild(group);
      scrollLog();
    }
  }

  function clearReplies() {
    var groups = ui.log.querySelectorAll(".sgw-replies");
    var hadFocus = false;
    Array.prototype.forEach.call(groups, function (group) {
      hadFocus = hadFocus || group.contains(document.activeElement);
      group.parentNode.removeChild(group);
    });
    if (hadFocus) {
      ui.input.focus();
    }
  }

  function renderReply(messages) {
    var shown = 0;
    (Array.isArray(messages) ? messages : []).forEach(function (message) {
      if (!message || typeof message !== "object") {
        return;
      }
      if (typeof message.text === "string" && message.text.trim()) {
        addMessage("bot", message.text);
        shown += 1;
      }
      if (Array.isArray(message.buttons) && message.buttons.length) {
        addReplies(message.buttons);
        shown += 1;
      }
    });
    if (!shown) {
      addMessage("bot", text.empty);
    }
  }

  function renderError(err) {
    var message = err && err.kind === "bad-request" ? text.badRequest : text.offline;
    addMessage("bot", message).classList.add("sgw-msg-error");
  }

  function setBusy(delta) {
    state.pending += delta;
    ui.typing.textContent = state.pending > 0 ? text.typing : "";
    ui.typing.classList.toggle("sgw-typing-on", state.pending > 0);
  }

  // ---------------------------------------------------------------- talking to Rasa

  function send(message, shown) {
    message = (message || "").trim().slice(0, MAX_INPUT);
    if (!message || state.exiting) {
      return;
    }
    clearReplies();
    addMessage("user", (shown || message).trim());
    setBusy(1);
    // A wipe replaces `state`; replies to a wiped conversation are dropped, never shown.
    var owner = state;
    function current() { return state === owner && !state.exiting; }
    owner.queue = owner.queue
      .then(function () { return current() ? post(message) : []; })
      .then(function (messages) { if (current()) { renderReply(messages); } },
            function (err) { if (current()) { renderError(err); } })
      .then(function () { if (current()) { setBusy(-1); } });
  }

  function requestError(kind) {
    var err = new Error(kind);
    err.kind = kind;
    return err;
  }

  function post(message) {
    if (!config.server) {
      return Promise.reject(requestError("no-server"));
    }
    var body = { sender: senderId(), message: message };
    if (!state.started) {
      body.metadata = { audience: config.audience };
      if (config.age !== null && config.audience === "pupil") {
        body.metadata.age = config.age;
      }
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    state.controller = controller;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, REQUEST_TIMEOUT_MS);
    return fetch(config.server + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      clearTimeout(timer);
      if (res.status === 429) {
        return res.json();  // too many messages from this chat: the server's polite reply, with help routes
      }
      if (res.status >= 400 && res.status < 500) {
        throw requestError("bad-request");
      }
      if (!res.ok) {
        throw requestError("server");
      }
      if (!state.started) {
        state.started = true;
        saveSession();
      }
      return res.json();
    }, function (err) {
      clearTimeout(timer);
      throw err;
    });
  }

  // ---------------------------------------------------------------- links and phone numbers

  var TLDS = "uk|com|org|net|gov|info|scot|wales|cymru|ie|io|app|edu|nhs|police";
  var LINK_PATTERN = new RegExp(
    "(https?:\\/\\/[^\\s<>\"]+)" +                                                    // 1 full web address
    "|([a-z0-9._%+-]+@(?:[a-z0-9-]+\\.)+[a-z]{2,}(?![a-z0-9-]))" +                     // 2 email address
    "|((?:[a-z0-9-]+\\.)+(?:" + TLDS + ")(?![a-z0-9-])(?:\\/[^\\s<>\"]*)?)" +          // 3 bare domain
    "|(85258(?!\\d))" +                                                                // 4 text number (Shout)
    "|((?:0\\d{2,4}(?:[ -]?\\d{3,4}){1,2}|116 ?\\d{3}|999|112|111|101)(?!\\d))",        // 5 UK phone number
    "gi"
  );
  var TRAILING = /[.,;:!?)\]'"]+$/;

  function appendLinkified(parent, message) {
    var last = 0;
    var match;
    LINK_PATTERN.lastIndex = 0;
    while ((match = LINK_PATTERN.exec(message)) !== null) {
      var before = match.index > 0 ? message.charAt(match.index - 1) : "";
      var found = match[0];
      var trailing = "";
      if (match[1] || match[3]) {
        var cut = TRAILING.exec(found);
        if (cut) {
          trailing = cut[0];
          found = found.slice(0, found.length - trailing.length);
        }
      }
      var href = /[\w@.\/-]/.test(before) ? "" : linkTarget(match, found);
      if (!href) {
        LINK_PATTERN.lastIndex = match.index + 1; // part of a longer word or number: look again further on
        continue;
      }
      parent.appendChild(document.createTextNode(message.slice(last, match.index)));
      parent.appendChild(makeLink(href, found, Boolean(match[1] || match[3])));
      last = match.index + found.length;
      LINK_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(message.slice(last)));
  }

  function linkTarget(match, found) {
    if (match[1]) {
      return httpUrl(found) ? found : "";
    }
    if (match[2]) {
      return "mailto:" + found;
    }
    if (match[3]) {
      return "https://" + found;
    }
    if (match[4]) {
      return "sms:" + found;
    }
    return "tel:" + found.replace(/[ -]/g, "");
  }

  function makeLink(href, label, external) {
    var link = el("a", { href: href, "class": "sgw-link" }, [label]);
    if (external) {
      link.setAttribute("target", "_blank");
      link.setAttribute("rel", "noopener noreferrer");
    }
    return link;
  }

  // ---------------------------------------------------------------- quick exit and privacy

  function forgetOnServer(sender) {
    if (!sender || !config.server) {
      return;
    }
    var url = config.server + "/webhooks/privacy/forget";
    var body = JSON.stringify({ sender: sender });
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(url, body)) {
        return;
      }
      fetch(url, { method: "POST", body: body, keepalive: true, credentials: "omit", mode: "no-cors" })
        .catch(function () {});
    } catch (err) {
      // best effort only: never hold up the exit
    }
  }

  function wipe() {
    if (state.controller) {
      try { state.controller.abort(); } catch (err) { /* already finished */ }
    }
    state = freshState();
    clearSession();
    if (ui) {
      ui.input.value = "";
      ui.log.textContent = "";
      ui.typing.textContent = "";
    }
  }

  function quickExit() {
    // Once only: a second location.replace (Escape pressed a third time) would abort the first navigation.
    if (state.exiting) {
      return;
    }
    var sender = state.sender;
    forgetOnServer(sender);
    wipe();
    state.exiting = true;
    if (ui && ui.root.parentNode) {
      ui.root.parentNode.removeChild(ui.root);
    }
    window.location.replace(config.exitUrl);
  }

  function onKeyDown(event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape <= ESCAPE_WINDOW_MS) {
      quickExit();
    }
    lastEscape = now;
  }

  function onPageHide(event) {
    // Leaving the page (not via quick exit): do not let the back/forward cache bring the chat back
    // on a shared computer. With opt-in session storage the sender id survives, the text does not.
    if (!state.exiting && ui && !config.useSession) {
      wipe();
      showNotice();
    }
  }

  // ---------------------------------------------------------------- start

  function showNotice() {
    addMessage("bot", text.notice[config.audience]).classList.add("sgw-msg-notice");
  }

  function start(loadedText) {
    text = loadedText;
    ui = buildUi();
    document.body.insertBefore(ui.root, document.body.firstChild);
    restoreSession();
    showNotice();
  }

  window.addEventListener("keydown", onKeyDown, true);
  window.addEventListener("pagehide", onPageHide);

  function whenBodyReady(callback) {
    if (document.body) {
      callback();
    } else {
      document.addEventListener("DOMContentLoaded", callback);
    }
  }

  whenBodyReady(function () {
    var styles = loadStyles();
    loadText().then(function (loadedText) {
      start(loadedText);
      return styles;
    }).then(function () {
      if (ui) {
        ui.root.hidden = false;
      }
    });
  });
}());

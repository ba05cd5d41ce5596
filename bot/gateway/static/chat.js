/* 会泽务工助手 chat page.
 *
 * Talks to the gateway API: POST api/messages {message} -> [{text, buttons}],
 * GET api/history -> {messages: [{direction, text, buttons, at}]}. The conversation id is the server's,
 * in an HttpOnly cookie the page never sees; fetch sends it with every same-origin request.
 * Every text goes into the page as text nodes (never innerHTML). Plain ES2017, no libraries.
 */
(function () {
  "use strict";

  var OLD_SENDER_KEY = "huize-chat-sender"; // the id this page once made itself: no longer used
  var TITLES_KEY = "huize-chat-button-titles";
  var NETWORK_ERROR = "网络不通，消息没有发出去，请稍后再试";
  var HISTORY_ERROR = "网络不通，以前的聊天记录没有加载出来，请稍后刷新再试";
  var TYPING = "对方正在输入…";
  var TIME_GAP_MS = 5 * 60 * 1000; // a new time line after five quiet minutes, as in WeChat
  var REQUEST_TIMEOUT_MS = 60 * 1000;
  // landlines (area code-number), mobiles, and the five-digit 12xxx service hotlines, not inside longer numbers
  var PHONE = /(^|[^\d-])(0\d{2,3}-\d{7,8}|1[3-9]\d{9}|12\d{3})(?![\d-])/g;

  var app = document.querySelector(".app");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");

  var busy = false;
  var lastTime = null;
  var typingRow = null;

  // ---- storage -------------------------------------------------------------------------------

  var memoryStore = {};

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch (e) {
      memoryStore[key] = value;
    }
  }

  try {
    window.localStorage.removeItem(OLD_SENDER_KEY);
  } catch (e) {
    /* no storage: nothing to remove */
  }

  // payload -> title of the chips this browser has shown, so history shows "交通补助", not "/faq{...}"
  var buttonTitles = {};
  try {
    buttonTitles = JSON.parse(load(TITLES_KEY) || "{}") || {};
  } catch (e) {
    buttonTitles = {};
  }

  function rememberButtons(buttons) {
    var changed = false;
    (buttons || []).forEach(function (b) {
      if (b && b.payload && b.title && buttonTitles[b.payload] !== b.title) {
        buttonTitles[b.payload] = b.title;
        changed = true;
      }
    });
    if (changed) save(TITLES_KEY, JSON.stringify(buttonTitles));
  }

  function shownText(text) {
    return Object.prototype.hasOwnProperty.call(buttonTitles, text) ? buttonTitles[text] : text;
  }

  // ---- rendering -----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function formatTime(date) {
    var now = new Date();
    var hm = pad(date.getHours()) + ":" + pad(date.getMinutes());
    var day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
    var today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    var days = Math.round((today - day) / 86400000);
    if (days === 0) return hm;
    if (days === 1) return "昨天 " + hm;
    var md = date.getMonth() + 1 + "月" + date.getDate() + "日 " + hm;
    return date.getFullYear() === now.getFullYear() ? md : date.getFullYear() + "年" + md;
  }

  function parseTime(value) {
    if (!value) return null;
    var date = new Date(value);
    return isNaN(date.getTime()) ? null : date;
  }

  function addTimeLine(date) {
    if (!date) return;
    if (lastTime === null || date - lastTime > TIME_GAP_MS) {
      log.appendChild(el("div", "time", formatTime(date)));
    }
    lastTime = date;
  }

  function addNotice(text, isError) {
    var notice = el("p", isError ? "notice error" : "notice", text);
    if (isError) notice.setAttribute("role", "alert");
    log.appendChild(notice);
    return notice;
  }

  // text with phone numbers turned into tap-to-call links; line breaks kept by CSS (pre-wrap)
  function fillText(bubble, text) {
    text = String(text === undefined || text === null ? "" : text);
    var last = 0;
    var match;
    PHONE.lastIndex = 0;
    while ((match = PHONE.exec(text)) !== null) {
      var start = match.index + match[1].length;
      if (start > last) bubble.appendChild(document.createTextNode(text.slice(last, start)));
      var link = el("a", null, match[2]);
      link.href = "tel:" + match[2].replace(/-/g, "");
      bubble.appendChild(link);
      last = start + match[2].length;
    }
    if (last < text.length) bubble.appendChild(document.createTextNode(text.slice(last)));
  }

  function addRow(who, text) {
    var row = el("div", "row " + who);
    var avatar = el("img", "avatar");
    avatar.src = app.getAttribute(who === "user" ? "data-user-avatar" : "data-bot-avatar");
    avatar.alt = who === "user" ? "我" : "助手";
    var content = el("div", "content");
    var bubble = el("div", "bubble");
    fillText(bubble, text);
    content.appendChild(bubble);
    row.appendChild(avatar);
    row.appendChild(content);
    log.appendChild(row);
    return row;
  }

  function addChips(row, buttons) {
    var usable = (buttons || []).filter(function (b) {
      return b && b.title && b.payload;
    });
    if (!usable.length) return;
    rememberButtons(usable);
    var chips = el("div", "chips");
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", "可以直接点的问题");
    usable.forEach(function (b) {
      var chip = el("button", "chip", b.title);
      chip.type = "button";
      chip.disabled = busy;
      chip.addEventListener("click", function () {
        send(b.title, b.payload);
      });
      chips.appendChild(chip);
    });
    row.querySelector(".content").appendChild(chips);
  }

  function clearChips() {
    var all = log.querySelectorAll(".chips");
    for (var i = 0; i < all.length; i++) all[i].parentNode.removeChild(all[i]);
  }

  function addBotMessages(messages, date) {
    var first = null;
    messages.forEach(function (m) {
      if (!m || (!m.text && !(m.buttons && m.buttons.length))) return;
      addTimeLine(date);
      var row = addRow("bot", m.text || "");
      addChips(row, m.buttons);
      if (!first) first = row;
    });
    return first;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  // show the question and the beginning of its answer: a long answer should not open at its end
  function scrollToShow(row) {
    if (!row) return scrollToBottom();
    var before = row.previousElementSibling;
    if (before && before.className === "time") row = before;
    var top = row.offsetTop - 8; // .log is the offset parent (position: relative)
    log.scrollTop = Math.min(top, log.scrollHeight - log.clientHeight);
  }

  function showTyping() {
    hideTyping();
    typingRow = addRow("bot", "");
    typingRow.classList.add("typing");
    var bubble = typingRow.querySelector(".bubble");
    bubble.classList.add("typing-bubble");
    bubble.textContent = TYPING;
    scrollToBottom();
  }

  function hideTyping() {
    if (typingRow && typingRow.parentNode) typingRow.parentNode.removeChild(typingRow);
    typingRow = null;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    var chips = log.querySelectorAll(".chip");
    for (var i = 0; i < chips.length; i++) chips[i].disabled = value;
  }

  // ---- network -------------------------------------------------------------------------------

  function request(url, options) {
    options = options || {};
    var timer = null;
    if (typeof AbortController !== "undefined") {
      var controller = new AbortController();
      options.signal = controller.signal;
      timer = setTimeout(function () {
        controller.abort();
      }, REQUEST_TIMEOUT_MS);
    }
    return fetch(url, options)
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .finally(function () {
        if (timer) clearTimeout(timer);
      });
  }

  // the input's maxlength counts UTF-16 units: a paste cut there can end in half an emoji. Send whole
  // characters only: a trailing half (surrogate, joiner, variation selector) goes, any other lone
  // surrogate becomes U+FFFD
  function wholeText(text) {
    var trimmed = String(text).replace(/(?:[\uD800-\uDBFF]|\u200D|\uFE0F)+$/, "");
    return trimmed.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g, function (m, before) {
      return (before || "") + "\uFFFD";
    });
  }

  function postMessage(message) {
    return request("api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ message: wholeText(message) }),
    }).then(function (replies) {
      if (!Array.isArray(replies)) throw new Error("unexpected reply");
      return replies;
    });
  }

  function fetchHistory() {
    return request("api/history", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (body) {
      if (!body || !Array.isArray(body.messages)) throw new Error("unexpected history");
      return body.messages;
    });
  }

  // ---- sending -------------------------------------------------------------------------------

  // `shown` goes into the user's bubble; `payload` (a chip's) is what the bot receives
  function send(shown, payload) {
    var typed = payload === undefined;
    var message = typed ? shown : payload;
    if (busy || !String(message).trim()) return Promise.resolve();
    setBusy(true);
    if (typed) input.value = "";
    addTimeLine(new Date());
    var row = addRow("user", shown);
    showTyping();
    return postMessage(message).then(
      function (replies) {
        hideTyping();
        clearChips();
        setBusy(false);
        addBotMessages(replies, new Date());
        scrollToShow(row);
      },
      function () {
        hideTyping();
        row.classList.add("failed");
        row.querySelector(".content").appendChild(el("span", "failed-mark", "没发出去"));
        addNotice(NETWORK_ERROR, true);
        if (typed && !input.value) input.value = shown;
        setBusy(false);
        scrollToBottom();
      }
    );
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    send(text);
  });

  // keep the phone keyboard open when the send button is tapped
  sendButton.addEventListener("mousedown", function (event) {
    if (document.activeElement === input) event.preventDefault();
  });

  // ---- start ---------------------------------------------------------------------------------

  function showHistory(messages) {
    // chips stay only under the bot's messages after the user's last one
    var lastIn = -1;
    var lastQuestion = null;
    messages.forEach(function (m, i) {
      if (m && m.direction === "in") lastIn = i;
      if (m && m.direction === "out") rememberButtons(m.buttons);
    });
    messages.forEach(function (m, i) {
      if (!m) return;
      addTimeLine(parseTime(m.at));
      if (m.direction === "in") {
        var mine = addRow("user", shownText(m.text || ""));
        if (i === lastIn) lastQuestion = mine;
      } else {
        var row = addRow("bot", m.text || "");
        if (i > lastIn) addChips(row, m.buttons);
      }
    });
    scrollToShow(lastQuestion);
  }

  function start() {
    setBusy(true);
    fetchHistory().then(
      function (messages) {
        setBusy(false);
        if (messages.length) {
          showHistory(messages);
        } else {
          send("你好"); // first visit: the greeting brings the topic menu
        }
      },
      function () {
        setBusy(false);
        addNotice(HISTORY_ERROR, true);
      }
    );
  }

  start();
})();

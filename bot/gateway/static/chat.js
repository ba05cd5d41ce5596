/* 会泽务工助手 chat page.
 *
 * Talks to the gateway API (same origin, relative URLs):
 *   GET  api/welcome                 -> [{text, buttons}]   the greeting and topic menu of a first visit
 *   POST api/messages {message[, title]} -> [{text, buttons, id, handoff}]   title: the tapped chip's
 *   GET  api/history[?after=<id>]    -> {messages: [{direction, text, buttons, at, id, feedback, staff}]}
 *   POST api/feedback {id, value}    -> {ok}   value "up" | "down" | null
 *   POST api/callback {phone}        -> {ok, text}   400 {ok: false, error} for a number it cannot take
 * The conversation id is the server's, in an HttpOnly cookie the page never sees; fetch sends it with
 * every same-origin request. Every text goes into the page as text nodes (never innerHTML); no inline
 * styles (the CSP allows only chat.css): states are classes and the hidden attribute. Plain ES2017, no
 * libraries. A service worker (sw.js) keeps the page and its assets for a reload without network; the
 * last history is kept in localStorage and shown then.
 */
(function () {
  "use strict";

  var OLD_SENDER_KEY = "huize-chat-sender"; // the id this page once made itself: no longer used
  var TITLES_KEY = "huize-chat-button-titles";
  var HISTORY_KEY = "huize-chat-history"; // the last history seen, for a reload without network
  var NETWORK_ERROR = "网络不通，消息没有发出去，请稍后再试";
  var HISTORY_ERROR = "网络不通，以前的聊天记录没有加载出来，请稍后刷新再试";
  var WELCOME_ERROR = "网络不通，请稍后刷新再试，也可以直接打字问";
  var FEEDBACK_ERROR = "没有提交上，请稍后再试";
  var CALLBACK_ERROR = "网络不通，没有提交上，请稍后再试";
  var CALLBACK_INVALID = "请填11位手机号，或带区号的座机号";
  var CALLBACK_TAKEN = "工作人员会打这个电话给您回电。";
  var CALLBACK_TITLE = "留个电话，工作人员回电";
  var CALLBACK_WHY = "只有县转移就业服务中心的工作人员能看到，用来给您回电";
  var TYPING = "对方正在输入…";
  var STAFF = "工作人员";
  var COPIED = "已复制";
  var NOT_COPIED = "没复制上";
  var TIME_GAP_MS = 5 * 60 * 1000; // a new time line after five quiet minutes, as in WeChat
  var REQUEST_TIMEOUT_MS = 60 * 1000;
  var POLL_MS = 10 * 1000; // new messages (a staff member's reply) while the page is in front
  // the bot reads a forwarded job ad up to this length (policy_kb/understanding/ads.py MAX_AD_CHARS); a
  // question longer than 500 (bot/plugins/channels.py MAX_CHARS) gets the bot's "too long" answer
  var MAX_CHARS = 3000; // in characters
  var COUNT_FROM = 2900; // the counter shows from here on
  var MAX_ROWS = 6; // the box grows up to this many lines, then scrolls
  var KEEP_MESSAGES = 200; // as many as /api/history gives
  var SOURCE = /^来源：/;
  // landlines (area code-number), mobiles, and the five-digit 12xxx service hotlines, not inside longer numbers
  var PHONE = /(^|[^\d-])(0\d{2,3}-\d{7,8}|1[3-9]\d{9}|12\d{3})(?![\d-])/g;

  var app = document.querySelector(".app");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var counter = document.getElementById("counter");
  var cutNote = document.getElementById("cut-note");
  var offlineBanner = document.getElementById("offline");

  var busy = false;
  var lastTime = null;
  var typingRow = null;
  var group = null; // the bot bubbles answering one question: {rows: [{row, text}], answers: bool}
  var lastId = null; // the highest stored message id shown: polls ask for what came after it
  var shownIds = {};
  var transcript = []; // what is shown, in /api/history's shape: the copy kept for a reload offline
  var failures = []; // messages that did not go out: {row, notice, message}
  var polling = false;
  var sends = 0; // messages sent: a poll that overlapped one is not shown (its answer came with it)
  var callbackSeq = 0;

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

  function keep(item) {
    transcript.push(item);
    if (transcript.length > KEEP_MESSAGES) transcript = transcript.slice(-KEEP_MESSAGES);
  }

  function saveTranscript() {
    save(HISTORY_KEY, JSON.stringify({ saved: new Date().toISOString(), messages: transcript }));
  }

  function storedTranscript() {
    try {
      var stored = JSON.parse(load(HISTORY_KEY) || "null");
      return stored && Array.isArray(stored.messages) ? stored.messages : [];
    } catch (e) {
      return [];
    }
  }

  function noteId(id) {
    if (typeof id !== "number") return;
    shownIds[id] = true;
    if (lastId === null || id > lastId) lastId = id;
  }

  // ---- rendering -----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function button(className, text, label) {
    var b = el("button", className, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    return b;
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

  function remove(node) {
    if (node && node.parentNode) node.parentNode.removeChild(node);
  }

  // the text as it is, line breaks kept by CSS (pre-wrap); in the bot's bubbles phone numbers are kept
  // on one line, and returned so that each gets a call button under the bubble
  function fillText(bubble, text, findPhones) {
    text = String(text === undefined || text === null ? "" : text);
    if (!findPhones) {
      bubble.textContent = text;
      return [];
    }
    var phones = [];
    var last = 0;
    var match;
    PHONE.lastIndex = 0;
    while ((match = PHONE.exec(text)) !== null) {
      var start = match.index + match[1].length;
      if (start > last) bubble.appendChild(document.createTextNode(text.slice(last, start)));
      bubble.appendChild(el("span", "phone", match[2]));
      if (phones.indexOf(match[2]) < 0) phones.push(match[2]);
      last = start + match[2].length;
    }
    if (last < text.length) bubble.appendChild(document.createTextNode(text.slice(last)));
    return phones;
  }

  function addRow(who, text) {
    var row = el("div", "row " + who);
    var avatar = el("img", "avatar");
    avatar.src = app.getAttribute(who === "user" ? "data-user-avatar" : "data-bot-avatar");
    avatar.alt = who === "user" ? "我" : "助手";
    var content = el("div", "content");
    var bubble = el("div", "bubble");
    var phones = fillText(bubble, text, who === "bot");
    content.appendChild(bubble);
    row.appendChild(avatar);
    row.appendChild(content);
    log.appendChild(row);
    if (phones.length) {
      var calls = el("div", "calls");
      phones.forEach(function (phone) {
        var link = el("a", "call", "拨打 " + phone);
        link.href = "tel:" + phone.replace(/-/g, "");
        calls.appendChild(link);
      });
      content.appendChild(calls);
    }
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
      var chip = button("chip", b.title);
      chip.disabled = busy;
      chip.addEventListener("click", function () {
        send(b.title, b.payload, false, b.title);
      });
      chips.appendChild(chip);
    });
    row.querySelector(".content").appendChild(chips);
  }

  function clearChips() {
    var all = log.querySelectorAll(".chips");
    for (var i = 0; i < all.length; i++) remove(all[i]);
  }

  // one bot message: its bubble (labelled when a staff member wrote it), call buttons, tools
  // (🔊, 复制, 👍/👎), a call-back form after a handoff, and its chips
  function addBotMessage(m, date, withChips) {
    if (!m || (!m.text && !(m.buttons && m.buttons.length))) return null;
    addTimeLine(date);
    var text = m.text || "";
    var row = addRow("bot", text);
    if (m.staff) {
      row.classList.add("staff");
      row.querySelector(".content").insertBefore(el("div", "who", STAFF), row.querySelector(".bubble"));
      group = null; // a staff member's words are their own, not part of the bot's answer
    }
    if (!group) group = { rows: [], answers: false };
    var own = group;
    own.rows.push({ row: row, text: text });
    if (text) addTools(row, text, m, own);
    if (m.staff) group = null;
    if (m.handoff) addCallback(row);
    if (withChips) addChips(row, m.buttons);
    noteId(m.id);
    return row;
  }

  function addBotMessages(messages, date) {
    var first = null;
    messages.forEach(function (m) {
      var row = addBotMessage(m, date, true);
      if (row) {
        keep({
          direction: "out",
          text: m.text || "",
          buttons: m.buttons || [],
          at: date.toISOString(),
          id: typeof m.id === "number" ? m.id : null,
          feedback: null,
        });
        if (!first) first = row;
      }
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
    remove(typingRow);
    typingRow = null;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    var chips = log.querySelectorAll(".chip, .retry");
    for (var i = 0; i < chips.length; i++) chips[i].disabled = value;
  }

  // ---- answer tools: read aloud, copy, feedback ------------------------------------------------

  function sourceOf(rows) {
    var found = "";
    rows.forEach(function (r) {
      r.text.split("\n").forEach(function (line) {
        if (SOURCE.test(line)) found = line;
      });
    });
    return found;
  }

  // what a first-secretary pastes into a WeChat group: the bubble as it reads, with its answer's source
  function copyOne(text, own) {
    var hasSource = text.split("\n").some(function (line) {
      return SOURCE.test(line);
    });
    var source = hasSource ? "" : sourceOf(own.rows);
    return source ? text + "\n" + source : text;
  }

  function copyAll(own) {
    return own.rows
      .map(function (r) {
        return r.text;
      })
      .join("\n\n");
  }

  function copyWithTextarea(text) {
    var area = el("textarea", "copy-buffer");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.tabIndex = -1;
    var focused = document.activeElement;
    document.body.appendChild(area);
    var ok = false;
    try {
      area.focus({ preventScroll: true });
      area.select();
      area.setSelectionRange(0, text.length);
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    remove(area);
    if (focused && focused.focus) focused.focus({ preventScroll: true });
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
      return navigator.clipboard.writeText(text).catch(function () {
        if (!copyWithTextarea(text)) throw new Error("not copied");
      });
    }
    return copyWithTextarea(text) ? Promise.resolve() : Promise.reject(new Error("not copied"));
  }

  function copyButton(className, label, what) {
    var b = button(className, label);
    var timer = null;
    b.addEventListener("click", function () {
      copyText(what()).then(
        function () {
          b.textContent = COPIED;
        },
        function () {
          b.textContent = NOT_COPIED;
        }
      );
      clearTimeout(timer);
      timer = setTimeout(function () {
        b.textContent = label;
      }, 1500);
    });
    return b;
  }

  // 复制全部回答 only under the last bubble of an answer in several bubbles
  function placeCopyAll(own) {
    if (own.rows.length < 2) return;
    var all = null;
    own.rows.forEach(function (r) {
      var found = r.row.querySelector(".copy-all");
      if (found) all = found;
    });
    if (!all) {
      all = copyButton("tool copy-all", "复制全部回答", function () {
        return copyAll(own);
      });
    }
    own.rows[own.rows.length - 1].row.querySelector(".tools").appendChild(all);
  }

  var synth = null;
  try {
    synth = window.speechSynthesis || null;
  } catch (e) {
    synth = null;
  }
  var voice = null;
  var speaking = null; // the 🔊 button whose answer is being read

  function chineseVoice() {
    if (!synth || typeof synth.getVoices !== "function" || typeof window.SpeechSynthesisUtterance !== "function") {
      return null;
    }
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var lang = String(voices[i].lang || "").replace(/_/g, "-").toLowerCase();
      if (lang === "zh-cn" || lang === "zh-hans-cn" || lang === "cmn-hans-cn") return voices[i];
    }
    return null;
  }

  function updateVoice() {
    voice = chineseVoice();
    app.classList.toggle("can-speak", voice !== null);
  }

  function setSpeaking(b) {
    if (speaking) speaking.setAttribute("aria-pressed", "false");
    speaking = b;
    if (b) b.setAttribute("aria-pressed", "true");
  }

  function readAloud(b, text) {
    if (!voice) return;
    if (speaking === b) {
      synth.cancel();
      setSpeaking(null);
      return;
    }
    synth.cancel();
    var utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    try {
      utterance.voice = voice;
    } catch (e) {
      /* lang alone picks a Chinese voice */
    }
    utterance.rate = 0.9;
    utterance.onend = utterance.onerror = function () {
      if (speaking === b) setSpeaking(null);
    };
    synth.speak(utterance);
    setSpeaking(b);
  }

  if (synth) {
    updateVoice();
    if (typeof synth.addEventListener === "function") synth.addEventListener("voiceschanged", updateVoice);
    else synth.onvoiceschanged = updateVoice;
  }

  function postJSON(url, body) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
  }

  function addFeedback(tools, m) {
    var value = m.feedback === "up" || m.feedback === "down" ? m.feedback : null;
    var up = button("tool up", "👍", "有用");
    var down = button("tool down", "👎", "没用");
    var note = null;
    function show(v) {
      up.setAttribute("aria-pressed", v === "up" ? "true" : "false");
      down.setAttribute("aria-pressed", v === "down" ? "true" : "false");
    }
    function choose(v) {
      var before = value;
      value = value === v ? null : v; // a second tap on the pressed one takes it back
      show(value);
      remove(note);
      note = null;
      postJSON("api/feedback", { id: m.id, value: value }).then(
        function () {
          transcript.forEach(function (item) {
            if (item.id === m.id) item.feedback = value;
          });
          saveTranscript();
        },
        function () {
          value = before;
          show(value);
          note = el("span", "feedback-note", FEEDBACK_ERROR);
          note.setAttribute("role", "status");
          tools.appendChild(note);
        }
      );
    }
    up.addEventListener("click", function () {
      choose("up");
    });
    down.addEventListener("click", function () {
      choose("down");
    });
    show(value);
    tools.appendChild(up);
    tools.appendChild(down);
  }

  function addTools(row, text, m, own) {
    var tools = el("div", "tools");
    var speak = button("tool speak", "🔊", "朗读这条回答");
    speak.setAttribute("aria-pressed", "false");
    speak.addEventListener("click", function () {
      readAloud(speak, text);
    });
    tools.appendChild(speak);
    tools.appendChild(
      copyButton("tool copy", "复制", function () {
        return copyOne(text, own);
      })
    );
    if (own.answers && !m.staff && typeof m.id === "number") addFeedback(tools, m);
    row.querySelector(".content").appendChild(tools);
    placeCopyAll(own);
  }

  // ---- call back after a handoff ----------------------------------------------------------------

  function phoneNumber(value) {
    var compact = String(value)
      .replace(/[\uFF10-\uFF19]/g, function (d) {
        return String.fromCharCode(d.charCodeAt(0) - 0xfee0);
      })
      .replace(/[\uFF0D\u2010-\u2015\u2212]/g, "-")
      .replace(/[\s\u00a0\u3000]/g, "");
    var digits = compact.replace(/-/g, "");
    if (/^1[3-9]\d{9}$/.test(digits)) return digits;
    if (/^0\d{2,3}-?\d{7,8}$/.test(compact)) return compact;
    return null;
  }

  function addCallback(row) {
    var old = log.querySelectorAll("form.callback");
    for (var i = 0; i < old.length; i++) remove(old[i]); // one offer at a time: the latest
    callbackSeq += 1;
    var id = "callback-phone-" + callbackSeq;
    var box = el("form", "callback");
    box.noValidate = true;
    box.appendChild(el("p", "callback-title", CALLBACK_TITLE));
    box.appendChild(el("p", "callback-why", CALLBACK_WHY));
    var label = el("label", "visually-hidden", "您的电话");
    label.htmlFor = id;
    var line = el("div", "callback-line");
    var phone = el("input", "callback-phone");
    phone.id = id;
    phone.type = "tel";
    phone.name = "phone";
    phone.autocomplete = "tel";
    phone.inputMode = "tel";
    phone.placeholder = "手机号或座机号";
    var submit = el("button", "callback-send", "提交");
    submit.type = "submit";
    var error = el("p", "callback-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    line.appendChild(phone);
    line.appendChild(submit);
    box.appendChild(label);
    box.appendChild(line);
    box.appendChild(error);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var number = phoneNumber(phone.value);
      if (!number) {
        error.textContent = CALLBACK_INVALID;
        error.hidden = false;
        phone.focus();
        return;
      }
      error.hidden = true;
      submit.disabled = true;
      postJSON("api/callback", { phone: number }).then(
        function (body) {
          var said = body && typeof body.text === "string" && body.text ? body.text : CALLBACK_TAKEN;
          var done = el("p", "callback-done", "已收到：" + number + "。" + said);
          done.setAttribute("role", "status");
          box.parentNode.replaceChild(done, box);
        },
        function (failure) {
          submit.disabled = false;
          var said = failure && failure.body && typeof failure.body.error === "string" ? failure.body.error : "";
          error.textContent = failure && failure.status === 400 && said ? said : CALLBACK_ERROR;
          error.hidden = false;
        }
      );
    });
    row.querySelector(".content").appendChild(box);
  }

  // ---- network -------------------------------------------------------------------------------

  function setOffline(value) {
    offlineBanner.hidden = !value;
  }

  window.addEventListener("offline", function () {
    setOffline(true);
  });
  window.addEventListener("online", function () {
    setOffline(false);
    poll();
  });

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
        if (!response.ok) {
          var error = new Error("HTTP " + response.status);
          error.status = response.status;
          return response.json().then(
            function (body) {
              error.body = body;
              throw error;
            },
            function () {
              throw error;
            }
          );
        }
        return response.json();
      })
      .finally(function () {
        if (timer) clearTimeout(timer);
      });
  }

  // a cut can end in half an emoji: send whole characters only. A trailing half (surrogate, joiner,
  // variation selector) goes, any other lone surrogate becomes U+FFFD
  function wholeText(text) {
    var trimmed = String(text).replace(/(?:[\uD800-\uDBFF]|\u200D|\uFE0F)+$/, "");
    return trimmed.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g, function (m, before) {
      return (before || "") + "\uFFFD";
    });
  }

  function postMessage(message, title) {
    var body = { message: wholeText(message) };
    if (title) body.title = title; // stored as the text of the worker's message, with the payload kept
    return postJSON("api/messages", body).then(function (replies) {
      if (!Array.isArray(replies)) throw new Error("unexpected reply");
      return replies;
    });
  }

  function fetchHistory(after) {
    return request(after === undefined ? "api/history" : "api/history?after=" + encodeURIComponent(after), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (body) {
      if (!body || !Array.isArray(body.messages)) throw new Error("unexpected history");
      return body.messages;
    });
  }

  function fetchWelcome() {
    return request("api/welcome", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (items) {
      if (!Array.isArray(items)) throw new Error("unexpected welcome");
      return items;
    });
  }

  // ---- the box -------------------------------------------------------------------------------

  function fitInput() {
    input.rows = 1;
    var css = getComputedStyle(input);
    var line = parseFloat(css.lineHeight) || 28;
    var padding = (parseFloat(css.paddingTop) || 0) + (parseFloat(css.paddingBottom) || 0);
    var lines = Math.max(1, Math.ceil((input.scrollHeight - padding) / line - 0.05));
    input.rows = Math.min(lines, MAX_ROWS);
    input.classList.toggle("scrolls", lines > MAX_ROWS);
  }

  // at most MAX_CHARS characters (a character, not a UTF-16 unit: 👍 is one), never half an emoji;
  // what was cut is said, not dropped silently
  function limitInput() {
    var chars = Array.from(input.value);
    if (chars.length > MAX_CHARS) {
      var left = chars.length - MAX_CHARS;
      input.value = wholeText(chars.slice(0, MAX_CHARS).join(""));
      input.setSelectionRange(input.value.length, input.value.length);
      cutNote.textContent = "超过" + MAX_CHARS + "字，后面" + left + "字没有放进来，请分开发";
      cutNote.hidden = false;
      chars = Array.from(input.value);
    } else if (chars.length < MAX_CHARS) {
      cutNote.hidden = true;
    }
    counter.hidden = chars.length < COUNT_FROM;
    counter.textContent = chars.length + "/" + MAX_CHARS;
  }

  function updateBox() {
    limitInput();
    fitInput();
  }

  input.addEventListener("input", updateBox);

  // Enter sends, Shift+Enter breaks the line; an IME's Enter (choosing characters) is the IME's
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submitBox();
  });

  // ---- sending -------------------------------------------------------------------------------

  function dropFailures(message) {
    failures = failures.filter(function (f) {
      if (f.message !== message) return true;
      remove(f.row);
      remove(f.notice);
      return false;
    });
  }

  function addFailure(row, shown, message, fromBox, title) {
    row.classList.add("failed");
    var content = row.querySelector(".content");
    content.appendChild(el("span", "failed-mark", "没发出去"));
    var retry = button("retry", "重发", "重发这条消息");
    content.appendChild(retry);
    var failure = { row: row, notice: addNotice(NETWORK_ERROR, true), message: message };
    retry.addEventListener("click", function () {
      send(shown, message, false, title).then(function (sent) {
        if (sent && fromBox && input.value === shown) {
          input.value = "";
          updateBox();
        }
      });
    });
    failures.push(failure);
  }

  // `shown` goes into the user's bubble; `message` (a chip's payload) is what the bot receives, with
  // the chip's `title`. Resolves true when the bot answered.
  function send(shown, message, fromBox, title) {
    if (busy || !String(message).trim()) return Promise.resolve(false);
    setBusy(true);
    sends += 1;
    if (fromBox) {
      input.value = "";
      updateBox();
    }
    var at = new Date();
    addTimeLine(at);
    var row = addRow("user", shown);
    group = null;
    showTyping();
    return postMessage(message, title).then(
      function (replies) {
        hideTyping();
        clearChips();
        dropFailures(message);
        setOffline(false);
        setBusy(false);
        keep({ direction: "in", text: title || message, buttons: [], at: at.toISOString(), id: null });
        group = { rows: [], answers: true };
        addBotMessages(
          replies.filter(function (m) {
            return !(m && typeof m.id === "number" && shownIds[m.id]); // a poll showed it already
          }),
          new Date()
        );
        saveTranscript();
        scrollToShow(row);
        return true;
      },
      function () {
        hideTyping();
        dropFailures(message);
        addFailure(row, shown, message, fromBox, title);
        if (navigator.onLine === false) setOffline(true);
        if (fromBox && !input.value) {
          input.value = shown;
          updateBox();
        }
        setBusy(false);
        scrollToBottom();
        return false;
      }
    );
  }

  function submitBox() {
    var text = input.value.trim();
    if (!text) {
      input.focus();
      return;
    }
    send(text, text, true);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submitBox();
  });

  // keep the phone keyboard open when the send button is tapped
  sendButton.addEventListener("mousedown", function (event) {
    if (document.activeElement === input) event.preventDefault();
  });

  // ---- history, polling, start -----------------------------------------------------------------

  // messages in /api/history's shape; chips stay only under the bot's messages after the user's last one
  function showItems(messages) {
    var lastIn = -1;
    var lastQuestion = null;
    messages.forEach(function (m, i) {
      if (m && m.direction === "in") lastIn = i;
      if (m && m.direction === "out") rememberButtons(m.buttons);
    });
    group = null;
    messages.forEach(function (m, i) {
      if (!m) return;
      addTimeLine(parseTime(m.at));
      if (m.direction === "in") {
        var mine = addRow("user", shownText(m.text || ""));
        noteId(m.id);
        group = { rows: [], answers: true };
        if (i === lastIn) lastQuestion = mine;
      } else {
        addBotMessage(m, null, i > lastIn);
      }
      keep(m);
    });
    return lastQuestion;
  }

  function showHistory(messages) {
    transcript = [];
    scrollToShow(showItems(messages));
  }

  // new messages since the last one shown (a staff member's reply), while the page is in front
  function poll() {
    if (busy || polling || lastId === null || document.visibilityState !== "visible") return;
    polling = true;
    var after = lastId;
    var sent = sends;
    fetchHistory(after).then(
      function (messages) {
        polling = false;
        setOffline(false);
        if (busy || sent !== sends) return; // a message went out meanwhile: the next poll catches up
        var fresh = messages.filter(function (m) {
          return m && typeof m.id === "number" && m.id > after && !shownIds[m.id];
        });
        if (!fresh.length) return;
        var bottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
        if (fresh.some(function (m) { return m.direction === "in"; })) clearChips();
        showItems(fresh);
        group = null;
        saveTranscript();
        if (bottom || fresh.some(function (m) { return m.staff; })) scrollToBottom();
      },
      function () {
        polling = false;
      }
    );
  }

  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", poll);

  function welcome() {
    return fetchWelcome().then(
      function (items) {
        group = { rows: [], answers: false };
        addBotMessages(items, new Date());
        saveTranscript();
        scrollToBottom();
      },
      function () {
        addNotice(WELCOME_ERROR, true);
        if (navigator.onLine === false) setOffline(true);
      }
    );
  }

  function start() {
    setOffline(navigator.onLine === false);
    setBusy(true);
    fetchHistory().then(
      function (messages) {
        setBusy(false);
        setOffline(false);
        if (messages.length) {
          showHistory(messages);
          saveTranscript();
        } else {
          welcome();
        }
      },
      function () {
        setBusy(false);
        var stored = storedTranscript();
        if (stored.length) {
          showHistory(stored); // the last history this phone saw; the banner says it is not fresh
          setOffline(true);
        } else {
          addNotice(HISTORY_ERROR, true);
          if (navigator.onLine === false) setOffline(true);
        }
      }
    );
  }

  updateBox();
  start();

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("sw.js").catch(function () {
        /* no offline copy: the page works as before */
      });
    });
  }
})();

/*! Kefu visitor widget 1.0.0 | one script, no dependencies | see visitor-widget/README.md */
/*
 * Map of this file (one IIFE, ES5 so it also runs on old phones and browsers):
 *   config      - data-* attributes of its own <script> tag
 *   storage     - localStorage under "kefu:<site>:" (memory fallback), sessionStorage flags
 *   model       - conversations, per-conversation history (contiguous seq), outbox, read marks
 *   transports  - WebSocket, and HTTP long-polling as the fallback; both speak PROTOCOL.md frames
 *   connection  - hello/welcome, reconnect with backoff and jitter, WebSocket -> long-poll switch
 *   frames      - what each relay frame does to the model
 *   files       - images and files: PostObject upload straight to storage, signed download URLs
 *   view        - launcher, panel, message bubbles (network text only via textContent; images
 *                 only as <img> elements whose src is a signed URL from the relay)
 *   api         - the global Kefu(...) function and its queued calls
 */
(function (window, document) {
  'use strict';

  var VERSION = '1.0.0';
  var previous = window.Kefu;
  if (previous && previous.loaded) return; // the tag is on the page twice: keep the first

  var HISTORY_CAP = 200;       // messages kept per conversation in localStorage
  var CONV_CAP = 5;            // conversations kept in localStorage
  var MAX_BODY = 5000;         // code points, as the relay enforces
  var WS_OPEN_TIMEOUT = 3000;  // ms before a WebSocket that has not opened counts as blocked
  var LP_POLL_TIMEOUT = 35000; // ms; the relay answers a poll within 25 s
  var LP_SEND_TIMEOUT = 20000;
  var FOREIGN_OUTBOX_AGE = 5000; // ms before this tab sends an outbox entry another tab made
  var TYPING_EVERY = 300;      // ms between typing frames while the visitor types
  var GAP_WAIT = 2000;         // ms to wait for a missing seq before asking with sync
  var ID_RE = /^[A-Za-z0-9_-]{16,64}$/; // what the relay accepts as visitor.id

  // ---------------------------------------------------------------- config

  var script = findOwnScript();
  var cfg = readConfig(script);
  if (!cfg.site) {
    warn('the script tag needs data-site="SITE_KEY"');
    return;
  }

  function findOwnScript() {
    var s = document.currentScript;
    if (s && s.getAttribute('data-site')) return s;
    var all = document.querySelectorAll('script[src*="widget.js"][data-site]');
    return all.length ? all[all.length - 1] : s;
  }

  function readConfig(s) {
    function attr(name) {
      return s ? s.getAttribute('data-' + name) : null;
    }
    var lang = attr('lang') || navigator.language || navigator.userLanguage || 'en';
    var relay = attr('relay') || originOf(s && s.src) || location.protocol + '//' + location.host;
    return {
      site: attr('site'),
      lang: /^zh/i.test(lang) ? 'zh' : 'en',
      position: attr('position') === 'left' ? 'left' : 'right',
      color: safeColor(attr('color')),
      relay: relay.replace(/\/+$/, ''),
      typingPreview: attr('typing-preview') !== 'off',
      // Test hook: "ws" or "lp" forces one transport; anything else means automatic.
      transport: attr('transport'),
      // How long a page may take to call Kefu('identify') for the user signed in here before.
      identifyWaitMs: /^\d{1,5}$/.test(attr('identify-wait') || '') ? +attr('identify-wait') : 3000,
      // A nonce-based CSP can let the fallback <style> through if our tag carries a nonce.
      nonce: s ? s.nonce || s.getAttribute('nonce') : null
    };
  }

  function originOf(url) {
    var m = /^(https?:\/\/[^\/?#]+)/i.exec(url || '');
    return m ? m[1] : null;
  }

  // The colour ends up in a CSS custom property: accept only what is a colour.
  function safeColor(c) {
    if (!c) return null;
    var css = window.CSS; // window's: this IIFE's own STYLES must not shadow it
    if (css && css.supports) return css.supports('color', c) ? c : null;
    return /^(#[0-9a-f]{3,8}|[a-z]+|rgba?\([\d\s.,%]+\))$/i.test(c) ? c : null;
  }

  // ---------------------------------------------------------------- strings

  var STRINGS = {
    zh: {
      title: '在线客服',
      launcher: '打开在线客服',
      close: '关闭',
      placeholder: '请输入消息，Enter 发送',
      send: '发送',
      greeting: '您好！请问有什么可以帮您？',
      notice: '提示：客服可能会看到您正在输入的内容。',
      queue: '您正在排队：第 {n} 位，预计等待约 {m} 分钟',
      noAgents: '客服暂时不在线，请留言并留下联系方式，我们会尽快回复您。',
      closedHours: '现在是非工作时间，请留言，我们上班后会回复您。',
      online: '在线',
      servedBy: ' 为您服务',
      connecting: '正在连接…',
      offline: '网络已断开，恢复后会自动发送',
      unavailable: '客服暂不可用',
      typing: '客服正在输入…',
      ended: '对话已结束',
      pending: '发送中',
      sent: '已发送',
      read: '已读',
      failed: '发送失败',
      retry: '重试',
      tooLong: '消息太长（最多 5000 字）',
      image: '[图片]',
      file: '[文件]',
      attach: '发送图片或文件',
      uploading: '上传中',
      uploadFailed: '上传失败',
      lost: '页面刷新时上传未完成，请重新选择文件',
      remove: '移除',
      network: '网络错误',
      tooBig: '文件太大，最大 ',
      badType: '不支持此文件类型：',
      emptyFile: '文件是空的',
      contact: '留下联系方式',
      cName: '姓名',
      cPhone: '电话',
      cEmail: '邮箱',
      cText: '留言',
      cSubmit: '提交',
      cLater: '以后再说',
      cNeed: '请留下电话或邮箱，方便我们联系您',
      cBadEmail: '邮箱格式不正确',
      cBadPhone: '电话号码格式不正确',
      cNeedText: '请填写留言内容',
      cLong: '内容太长（最多 {n} 字）',
      cQueued: '已保存，联网后会自动提交',
      cSending: '正在提交…',
      cSent: '已收到您的联系方式，我们会尽快联系您。',
      cFailed: '提交失败',
      rate: '请为本次服务评分',
      rStars: ['非常不满意', '不满意', '一般', '满意', '非常满意'],
      rStar: ' 星：',
      rComment: '补充评价（可选）',
      rSubmit: '提交评价',
      rPick: '请先选择星级',
      rThanks: '感谢您的评价！',
      errors: {
        too_large: '消息太长',
        not_allowed: '不允许发送',
        bad_frame: '消息格式有误',
        unknown_conv: '会话不存在',
        conv_closed: '会话已结束',
        unknown_type: '不支持的消息'
      }
    },
    en: {
      title: 'Chat with us',
      launcher: 'Open chat',
      close: 'Close',
      placeholder: 'Type a message, Enter to send',
      send: 'Send',
      greeting: 'Hi! How can we help you?',
      notice: 'Note: agents may see what you type before you send it.',
      queue: 'You are number {n} in the queue: about {m} min to wait',
      noAgents: 'No agent is online right now: leave a message with your contact details and we will reply soon.',
      closedHours: 'We are closed right now: leave a message and we will reply when we are back.',
      online: 'Online',
      servedBy: ' is here to help',
      connecting: 'Connecting…',
      offline: 'Offline. Messages will be sent when you are back online',
      unavailable: 'Chat is unavailable',
      typing: 'Agent is typing…',
      ended: 'Conversation ended',
      pending: 'Sending',
      sent: 'Sent',
      read: 'Read',
      failed: 'Not sent',
      retry: 'Retry',
      tooLong: 'Message too long (at most 5000 characters)',
      image: '[Image]',
      file: '[File]',
      attach: 'Send an image or file',
      uploading: 'Uploading',
      uploadFailed: 'Upload failed',
      lost: 'The page was reloaded before the upload finished; attach the file again',
      remove: 'Remove',
      network: 'network error',
      tooBig: 'File too large; the limit is ',
      badType: 'File type not allowed: ',
      emptyFile: 'The file is empty',
      contact: 'Leave your contact details',
      cName: 'Name',
      cPhone: 'Phone',
      cEmail: 'Email',
      cText: 'Message',
      cSubmit: 'Submit',
      cLater: 'Not now',
      cNeed: 'Please leave a phone number or an email address so we can reach you',
      cBadEmail: 'That email address does not look right',
      cBadPhone: 'That phone number does not look right',
      cNeedText: 'Please write your message',
      cLong: 'Too long (at most {n} characters)',
      cQueued: 'Saved; it will be sent when you are back online',
      cSending: 'Sending…',
      cSent: 'Thank you! We have your details and will get back to you soon.',
      cFailed: 'Could not send your details',
      rate: 'How did we do?',
      rStars: ['Very poor', 'Poor', 'OK', 'Good', 'Excellent'],
      rStar: ' of 5: ',
      rComment: 'Comment (optional)',
      rSubmit: 'Submit rating',
      rPick: 'Please choose a number of stars',
      rThanks: 'Thank you for your rating!',
      errors: {
        too_large: 'Message too long',
        not_allowed: 'Not allowed',
        bad_frame: 'Malformed message',
        unknown_conv: 'Unknown conversation',
        conv_closed: 'Conversation ended',
        unknown_type: 'Unsupported message'
      }
    }
  };
  var T = STRINGS[cfg.lang];

  // ---------------------------------------------------------------- storage

  var PREFIX = 'kefu:' + cfg.site + ':';
  var store = makeStore(window, 'localStorage');
  var session = makeStore(window, 'sessionStorage');

  // JSON values under PREFIX; falls back to memory when storage is blocked or full.
  function makeStore(win, name) {
    var backend = null;
    var memory = {};
    try {
      backend = win[name];
      backend.setItem(PREFIX + 'probe', '1');
      backend.removeItem(PREFIX + 'probe');
    } catch (e) {
      backend = null;
    }
    return {
      get: function (key, fallback) {
        var raw = null;
        try {
          raw = backend ? backend.getItem(PREFIX + key) : memory[key];
        } catch (e) { /* storage vanished: treat as empty */ }
        if (raw == null) return fallback;
        try {
          return JSON.parse(raw);
        } catch (e) {
          return fallback;
        }
      },
      set: function (key, value) {
        var raw = JSON.stringify(value);
        memory[key] = raw;
        if (!backend) return;
        try {
          backend.setItem(PREFIX + key, raw);
        } catch (e) {
          warn('storage full or blocked, keeping ' + key + ' in memory');
        }
      },
      remove: function (key) {
        delete memory[key];
        try {
          if (backend) backend.removeItem(PREFIX + key);
        } catch (e) { /* nothing to remove */ }
      }
    };
  }

  // ---------------------------------------------------------------- model

  var TAB = randomString(8);      // this page load; marks the outbox entries it made
  var visitorId = store.get('vid', null);
  if (!visitorId || !ID_RE.test(visitorId)) {
    visitorId = 'v-' + randomString(20);
    store.set('vid', visitorId);
  }
  var identity = {};              // from Kefu('identify'): name, email, attrs, userId, userHash
  var dropSignedIdentity = false; // set after bad_identity: retry once as an anonymous visitor
  var convs = [];                 // [{id, status, at, agentName, rating}] oldest first
  var hist = {};                  // conv id -> {c: contiguous seq, m: [msg...] sorted by seq}
  // [{cid, body, ts, tab, state: uploading|pending|failed, reason, why}]; an image or file also has
  // kind, name, size, mime, and file {key, name, size, mime} once uploaded (see "files").
  var outbox = [];
  var reads = {};                 // conv id -> {me: seq I have seen, agent: seq an agent has seen}
  var epoch = null;               // the welcome.epoch the seqs above were got under; null: none yet
  var signedUser = null;          // the userId the stored visitor was last welcomed as; null: anonymous
  // The stored visitor was signed in, and the page has not said yet who is on it: hosts often call
  // Kefu('identify') only once their own sign-in check returns. Until it does, or until
  // cfg.identifyWaitMs pass, nothing of the user's shows, nothing is sent and no hello leaves.
  var awaitingIdentity = false;
  var identityTimer = 0;
  loadModel();

  function loadModel() {
    convs = store.get('convs', []);
    hist = {};
    outbox = store.get('outbox', []);
    reads = store.get('reads', {});
    epoch = store.get('epoch', null);
    signedUser = store.get('uid', null);
  }

  // Drops every conversation with its messages and read marks, in storage and on screen; those
  // whose id is in keep (an object used as a set; optional) stay with what we hold of them.
  function forgetConvs(keep) {
    var kept = [];
    var keptReads = {};
    for (var i = 0; i < convs.length; i++) {
      var id = convs[i].id;
      if (keep && keep[id]) {
        kept.push(convs[i]);
        if (reads[id]) keptReads[id] = reads[id];
      } else {
        store.remove('h:' + id);
        delete hist[id];
      }
    }
    convs = kept;
    if (!kept.length) hist = {};
    reads = keptReads;
    nodes = {};
    if (ui) ui.list.textContent = '';
    store.set('convs', convs);
    store.set('reads', reads);
  }

  function randomString(n) {
    var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    var c = window.crypto || window.msCrypto;
    var bytes = [];
    var out = '';
    var i;
    if (c && c.getRandomValues) {
      bytes = c.getRandomValues(new Uint8Array(n));
    } else {
      for (i = 0; i < n; i++) bytes.push(Math.floor(Math.random() * 256));
    }
    for (i = 0; i < n; i++) out += alphabet.charAt(bytes[i] & 63); // 64 symbols: unbiased
    return out;
  }

  function newCid() {
    return 'c-' + randomString(20);
  }

  function findConv(id) {
    for (var i = 0; i < convs.length; i++) if (convs[i].id === id) return convs[i];
    return null;
  }

  // Adds or updates a conversation; info is a ConvInfo (welcome, conv frame) or {}.
  function upsertConv(id, info) {
    var c = findConv(id);
    var changed = !c;
    if (!c) {
      c = { id: id, status: 'open', at: info.createdAt || Date.now() };
      convs.push(c);
      convs.sort(function (a, b) { return a.at - b.at; });
      pruneConvs();
    }
    if (info.status && info.status !== c.status) {
      c.status = info.status;
      changed = true;
    }
    if (info.agentName && info.agentName !== c.agentName) {
      c.agentName = info.agentName;
      changed = true;
    }
    if (info.rating > 0 && !c.rating) {
      c.rating = info.rating;
      changed = true;
    }
    if (changed) store.set('convs', convs); // every write wakes the other tabs: only real changes
    return c;
  }

  function pruneConvs() {
    while (convs.length > CONV_CAP) {
      var gone = convs.shift().id;
      delete hist[gone];
      delete reads[gone];
      store.remove('h:' + gone);
    }
    store.set('reads', reads);
  }

  function markConvClosed(id) {
    var c = id && findConv(id);
    if (c && c.status !== 'closed') upsertConv(id, { status: 'closed' });
  }

  // The conversation a send goes to: the newest one not closed, or none (the relay opens one).
  function currentConv() {
    for (var i = convs.length - 1; i >= 0; i--) if (convs[i].status !== 'closed') return convs[i];
    return null;
  }

  function histOf(id) {
    return hist[id] || (hist[id] = store.get('h:' + id, null) || { c: 0, m: [] });
  }

  function readOf(id) {
    return reads[id] || (reads[id] = { me: 0, agent: 0 });
  }

  function heldSeq(h, seq) {
    for (var i = h.m.length - 1; i >= 0; i--) if (h.m[i].seq === seq) return true;
    return false;
  }

  // Stores a message unless its seq is already held. Returns true when it is new.
  function holdMessage(m) {
    var h = histOf(m.conv);
    if (m.seq <= h.c || heldSeq(h, m.seq)) return false;
    h.m.push({ seq: m.seq, cid: m.cid, from: m.from || {}, kind: m.kind, body: m.body, file: m.file, ts: m.ts });
    h.m.sort(function (a, b) { return a.seq - b.seq; });
    advanceContiguous(h);
    if (h.m.length > HISTORY_CAP) h.m.splice(0, h.m.length - HISTORY_CAP);
    if (hasGap(h)) scheduleGapSync(m.conv);
    store.set('h:' + m.conv, h);
    return true;
  }

  // c is the highest seq below which every message is held: what resume must carry.
  function advanceContiguous(h) {
    while (heldSeq(h, h.c + 1)) h.c++;
  }

  function hasGap(h) {
    return h.m.length > 0 && h.m[h.m.length - 1].seq > h.c;
  }

  function resumeMap() {
    var map = {};
    for (var i = 0; i < convs.length; i++) map[convs[i].id] = histOf(convs[i].id).c;
    return map;
  }

  // Outbox changes always re-read storage first, so tabs do not overwrite each other's entries.
  function updateOutbox(change) {
    outbox = store.get('outbox', []);
    var result = change(outbox);
    store.set('outbox', outbox);
    return result;
  }

  function findOutbox(cid) {
    for (var i = 0; i < outbox.length; i++) if (outbox[i].cid === cid) return outbox[i];
    return null;
  }

  // Removes and returns the entry with this cid, or null; writes storage only when it was there.
  function removeOutbox(cid) {
    outbox = store.get('outbox', []);
    for (var i = 0; i < outbox.length; i++) {
      if (outbox[i].cid === cid) {
        var entry = outbox.splice(i, 1)[0];
        store.set('outbox', outbox);
        if (entry.kind) dropBytes(cid); // acked or discarded: the bytes are not needed any more
        return entry;
      }
    }
    return null;
  }

  function unreadCount() {
    var n = 0;
    if (awaitingIdentity) return 0;
    for (var i = 0; i < convs.length; i++) {
      var h = histOf(convs[i].id);
      var seen = readOf(convs[i].id).me;
      for (var j = 0; j < h.m.length; j++) {
        if (h.m[j].seq > seen && !fromVisitor(h.m[j])) n++;
      }
    }
    return n;
  }

  function fromVisitor(m) {
    return !!m.from && m.from.role === 'visitor';
  }

  // ---------------------------------------------------------------- transports
  // A transport carries frames for one connection: send(frame), close(), kind, welcomed.
  // It reports frames with on.frame(frame, t) and its end once with on.down(t, info).

  function openWebSocket(hello, on) {
    var t = { kind: 'ws', welcomed: false, dead: false };
    var url = cfg.relay.replace(/^http/i, 'ws') + '/ws/visitor';
    var ws;
    var openTimer = 0;
    var silenceTimer = 0;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      setTimeout(function () { down({}); }, 0);
      return stubbed(t);
    }
    openTimer = setTimeout(function () { down({ timeout: true }); }, WS_OPEN_TIMEOUT);

    ws.onopen = function () {
      clearTimeout(openTimer);
      heard();
      write(hello);
    };
    ws.onmessage = function (ev) {
      if (t.dead) return;
      var f = parseFrame(ev.data);
      if (f) on.frame(f, t);
      if (!t.dead) heard(); // after the frame: a welcome may have changed heartbeatSec
    };
    ws.onclose = function (ev) { down({ code: ev.code }); };
    ws.onerror = function () { /* onclose follows */ };

    // Anything at all from the relay proves the socket alive; silence for 2 x heartbeat kills it.
    function heard(withinMs) {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(function () { down({ silent: true }); }, withinMs || 2000 * heartbeatSec);
    }

    function write(frame) {
      try {
        ws.send(JSON.stringify(frame));
      } catch (e) { /* closing: onclose reports it */ }
    }

    function down(info) {
      if (t.dead) return;
      shut(4000);
      on.down(t, info);
    }

    function shut(code) {
      t.dead = true;
      clearTimeout(openTimer);
      clearTimeout(silenceTimer);
      try {
        ws.close(code);
      } catch (e) { /* already closed */ }
    }

    t.send = function (frame) {
      if (!t.dead && ws.readyState === 1) write(frame);
    };
    t.close = function () {
      if (!t.dead) shut(1000);
    };
    // After the network comes back a socket may look open but be dead: ask, and give it 5 s.
    t.probe = function () {
      t.send({ type: 'ping' });
      heard(5000);
    };
    return t;
  }

  function stubbed(t) {
    t.send = t.close = t.probe = function () {};
    return t;
  }

  function openLongPoll(hello, on) {
    var t = { kind: 'lp', welcomed: false, dead: false };
    var lp = null;
    var queue = [];
    var sending = false;
    var flushScheduled = false;
    var pending = [];

    request('POST', '/lp/open', hello, LP_SEND_TIMEOUT, function (status, body) {
      if (status !== 200 || !body || !body.lp) return fail(status, body);
      lp = body.lp;
      deliver(body);
      poll();
      flush();
    });

    function poll() {
      if (t.dead) return;
      request('GET', '/lp/poll?lp=' + encodeURIComponent(lp), null, LP_POLL_TIMEOUT, function (status, body) {
        if (status !== 200) return fail(status, body);
        deliver(body);
        poll();
      });
    }

    // One /lp/send in flight at a time; frames queued meanwhile go in the next batch.
    function flush() {
      flushScheduled = false;
      if (t.dead || !lp || sending || !queue.length) return;
      var batch = queue;
      queue = [];
      sending = true;
      request('POST', '/lp/send?lp=' + encodeURIComponent(lp), batch, LP_SEND_TIMEOUT, function (status, body) {
        sending = false;
        if (status !== 200) return fail(status, body);
        deliver(body);
        flush();
      });
    }

    function deliver(body) {
      var frames = body && body.frames;
      if (!frames || !frames.length) return;
      for (var i = 0; i < frames.length && !t.dead; i++) {
        if (frames[i] && typeof frames[i].type === 'string') on.frame(frames[i], t);
      }
    }

    function fail(status, body) {
      if (t.dead) return;
      var code = firstErrorCode(body);
      // A 4xx carries {frames:[error]} (unknown_site, bad_identity...): let the error logic see it.
      if (status >= 400 && status < 500 && code !== 'unknown_session') deliver(body);
      if (t.dead) return;
      t.close();
      on.down(t, { now: code === 'unknown_session', code: code });
    }

    function request(method, path, body, timeoutMs, done) {
      var x = httpJson(method, cfg.relay + path, body, timeoutMs, function (status, json) {
        var at = pending.indexOf(x);
        if (at >= 0) pending.splice(at, 1);
        done(status, json);
      });
      pending.push(x);
    }

    t.send = function (frame) {
      if (t.dead) return;
      queue.push(frame);
      if (!flushScheduled) {
        flushScheduled = true;
        setTimeout(flush, 0);
      }
    };
    t.close = function () {
      if (t.dead) return;
      t.dead = true;
      var live = pending.slice();
      for (var i = 0; i < live.length; i++) {
        try {
          live[i].abort();
        } catch (e) { /* already done */ }
      }
    };
    t.probe = function () {};
    return t;
  }

  // One JSON request to the relay; done(status, json or null, xhr) once (status 0: no answer).
  function httpJson(method, url, body, timeoutMs, done) {
    var x = new XMLHttpRequest();
    var finished = false;
    function finish(status) {
      if (finished) return;
      finished = true;
      var json = null;
      try {
        json = JSON.parse(x.responseText);
      } catch (e) { /* empty or not JSON */ }
      done(status, json, x);
    }
    x.open(method, url, true);
    x.timeout = timeoutMs;
    x.onreadystatechange = function () {
      if (x.readyState === 4) finish(x.status);
    };
    x.ontimeout = function () { finish(0); };
    // text/plain keeps the request "simple": no CORS preflight round trip.
    if (body != null) x.setRequestHeader('Content-Type', 'text/plain;charset=UTF-8');
    x.send(body == null ? null : JSON.stringify(body));
    return x;
  }

  function firstErrorCode(body) {
    var f = body && body.frames && body.frames[0];
    return f && f.type === 'error' ? f.code : null;
  }

  function parseFrame(text) {
    try {
      var f = JSON.parse(text);
      return f && typeof f.type === 'string' ? f : null;
    } catch (e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- connection

  var transport = null;
  var connected = false;     // a welcome arrived on the current transport
  var stoppedFor = null;     // a final error code: no reconnects until identify() changes things
  var heartbeatSec = 25;
  var attempt = 0;           // reconnects since the last welcome, for the backoff
  var retryTimer = 0;
  var longWait = false;      // the pending reconnect waits out a backoff above 2 s
  var woke = false;          // wake() reconnected in the last 2.5 s
  var quick = 0;             // quick retries for a restarting relay since the last welcome
  var wsFailures = 0;        // WebSocket connections that ended without a welcome
  var wsBroken = session.get('ws-failed', false);
  // A WebSocket was welcomed in this tab: it gets through this network, so later failures mean
  // the relay or the network is down, and long-polling would not help.
  var wsWorked = session.get('ws-ok', false);
  var sentOnThisConnection = {}; // cid -> true; reset on every welcome
  var readSent = {};         // conv -> seq sent in a read frame on this connection
  var syncing = {};          // conv -> true while a sync answer is awaited

  function useWebSocket() {
    if (cfg.transport === 'lp' || !window.WebSocket) return false;
    return cfg.transport === 'ws' || !wsBroken;
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (transport || stoppedFor || awaitingIdentity) return;
    var hello = buildHello();
    var on = { frame: onFrame, down: onDown };
    transport = useWebSocket() ? openWebSocket(hello, on) : openLongPoll(hello, on);
    transport.resumeSent = hello.resume;
    transport.userSent = hello.visitor.userId || null;
    renderStatus();
  }

  function buildHello() {
    var v = { id: visitorId };
    if (identity.name) v.name = identity.name;
    if (identity.email) v.email = identity.email;
    if (identity.attrs) v.attrs = identity.attrs;
    if (identity.userId && !dropSignedIdentity) {
      v.userId = identity.userId;
      v.userHash = identity.userHash;
    }
    return {
      type: 'hello', role: 'visitor', site: cfg.site, visitor: v, resume: resumeMap(), epoch: epoch || undefined,
      client: { name: 'kefu-widget', version: VERSION }
    };
  }

  function onDown(t, info) {
    if (t !== transport) return;
    transport = null;
    connected = false;
    if (t.kind === 'ws' && !t.welcomed && noteWebSocketFailure(info)) info.now = true;
    renderStatus();
    if (stoppedFor) return;
    // A restarting relay (close 1012, or /lp/open refused with server_busy as it stops) is back
    // in moments: retry in 1-3 s, backoff untouched. Three times at most, then the backoff.
    var soon = (info.code === 1012 || info.code === 'server_busy') && quick++ < 3;
    scheduleReconnect(info.now ? 0 : soon ? 1000 + Math.random() * 2000 : nextBackoff());
  }

  // Returns true when this failure makes us give up on WebSocket for the page session.
  function noteWebSocketFailure(info) {
    // Offline, or WebSocket worked here before: an outage, not a blocked socket.
    if (cfg.transport === 'ws' || wsWorked || navigator.onLine === false) return false;
    wsFailures++;
    if (!info.timeout && wsFailures < 3) return false;
    wsBroken = true;
    session.set('ws-failed', true);
    return true;
  }

  // 0.5 s, 1 s, 2 s ... capped at 30 s; each drawn from [d/2, d] so tabs do not reconnect in step.
  function nextBackoff() {
    var d = Math.min(30000, 500 * Math.pow(2, attempt++));
    return d / 2 + Math.random() * d / 2;
  }

  function scheduleReconnect(delay) {
    clearTimeout(retryTimer);
    longWait = delay > 2000;
    retryTimer = setTimeout(connect, delay);
  }

  // The visitor is here (sends, leaves contact details or a rating, opens the panel, comes back
  // to the page): a relay back from a restart must not leave them waiting out a long backoff. At
  // most once per 2.5 s, so mashing send or a flapping focus cannot hammer the relay.
  function wake() {
    if (transport || stoppedFor || !longWait || woke) return;
    woke = true;
    setTimeout(function () { woke = false; }, 2500);
    connect();
  }

  function reconnectNow() {
    var t = transport;
    transport = null;
    connected = false;
    if (t) t.close();
    connect();
  }

  function sendFrame(frame) {
    if (!connected || !transport) return false;
    transport.send(frame);
    return true;
  }

  window.addEventListener('online', function () {
    if (connected) transport.probe();
    else if (!stoppedFor) reconnectNow();
    resumeUploads(); // a socket may well have outlived a short outage: no welcome to wait for
  });
  window.addEventListener('offline', renderStatus);
  window.addEventListener('focus', wake);

  // ---------------------------------------------------------------- frames

  var FRAME_HANDLERS = {
    welcome: onWelcome,
    ping: function (f, t) { t.send({ type: 'pong' }); },
    ack: onAck,
    msg: function (f) { takeMessages([f], true); },
    msgs: onMsgs,
    conv: onConv,
    read: onRead,
    typing: onTyping,
    error: onError,
    service: onService,
    queue: onQueue
  };

  // What the desk can do for this visitor now (service) and its place in the queue (queue):
  // one line under the typing notice. The queue line wins while it applies.
  var serviceLine = '';
  var queueLine = '';
  var queueConv = null;

  function onService(f) {
    serviceLine = f.online === false ? (f.reason === 'closed' ? T.closedHours : T.noAgents) : '';
    if (f.typingPreview === false) typingPreview = false;
    renderAll();
  }

  function onQueue(f) {
    if (typeof f.position !== 'number' || f.position < 1) return;
    var minutes = Math.max(1, Math.round((f.etaSec || 0) / 60));
    queueLine = T.queue.replace('{n}', String(f.position)).replace('{m}', String(minutes));
    queueConv = f.conv;
    renderAll();
  }

  function renderDesk() {
    var text = queueLine || serviceLine;
    ui.desk.textContent = text;
    toggle(ui.desk, !!text);
  }

  function onFrame(f, t) {
    if (t !== transport) return;
    var handle = FRAME_HANDLERS[f.type];
    if (handle) handle(f, t);
  }

  function onWelcome(f, t) {
    t.welcomed = true;
    connected = true;
    if (t.kind === 'ws' && !wsWorked) {
      wsWorked = true;
      session.set('ws-ok', true);
    }
    attempt = quick = 0;
    wsFailures = 0;
    sentOnThisConnection = {};
    readSent = {};
    syncing = {};
    awaiting = [];
    cidEcho = !!f.cidEcho;
    if (f.heartbeatSec > 0) heartbeatSec = f.heartbeatSec;
    // Not in protocol v1: a future welcome may say the site turned typing preview off.
    if (f.typingPreview === false) typingPreview = false;
    var resumed = t.resumeSent || {};
    var you = f.you && f.you.id;
    if (typeof you === 'string' && you !== visitorId && ID_RE.test(you)) {
      // Signed in, we are the user's one visitor, shared by their devices (docs/protocol.md, "A
      // signed-in user on every device"); what we held was this browser's own. The relay moved this
      // browser's anonymous chats to the user: those the welcome lists stay, with what we hold of
      // them (the relay replays them from the start; held seqs are dropped). The outbox stays.
      setVisitorId(you, listedIds(f.conversations));
      resumed = {};
    }
    if (t.userSent !== signedUser) setSignedUser(t.userSent);
    if (f.epoch && f.epoch !== epoch) {
      // The relay's store was restored from a backup (docs/protocol.md, "epoch"): our seqs may name
      // other messages now, and it ignored our resume. The replay that follows brings what it has;
      // the outbox stays and goes out below (to a conversation the welcome lists, or none).
      if (epoch) {
        forgetConvs();
        resumed = {};
      }
      store.set('epoch', epoch = f.epoch);
    }
    reconcileConversations(f.conversations || [], resumed);
    sendPageView();
    flushOutbox();
    flushDesk();
    resumeUploads();
    markRead();
    renderAll();
  }

  function listedIds(list) {
    var ids = {};
    for (var i = 0; list && i < list.length; i++) if (list[i] && typeof list[i].id === 'string') ids[list[i].id] = true;
    return ids;
  }

  // welcome lists waiting and open conversations plus the most recent closed one; any other
  // conversation we hold as open has been closed meanwhile.
  function reconcileConversations(list, resumed) {
    var listed = {};
    for (var i = 0; i < list.length; i++) {
      var info = list[i];
      if (!info || typeof info.id !== 'string') continue;
      listed[info.id] = true;
      upsertConv(info.id, info);
      deskEcho(info);
      // The relay replays open and resumed conversations by itself; a closed one we lack is paged.
      if (info.status === 'closed' && !(info.id in resumed) && info.lastSeq > histOf(info.id).c) {
        requestSync(info.id);
      }
    }
    for (var j = 0; j < convs.length; j++) {
      if (!listed[convs[j].id]) markConvClosed(convs[j].id);
    }
  }

  function onAck(f) {
    if (typeof f.seq !== 'number' || typeof f.conv !== 'string') return;
    var entry = removeOutbox(f.cid);
    if (!entry) return; // another tab's entry, or handled already: its msg frame brings it
    takeMessages([{
      conv: f.conv, seq: f.seq, cid: f.cid, kind: entry.kind || 'text', body: entry.body, file: entry.file,
      ts: f.ts || Date.now(), from: { role: 'visitor', id: visitorId }
    }], false);
  }

  // live: arrived as it happened (msg frame), not paged by sync. Only live ones beep or pop open.
  function takeMessages(list, live) {
    var added = [];
    var invite = false;
    for (var i = 0; i < list.length; i++) {
      var m = list[i];
      if (!m || typeof m.conv !== 'string' || typeof m.seq !== 'number') continue;
      var h = histOf(m.conv);
      var firstInConv = h.c === 0 && h.m.length === 0;
      upsertConv(m.conv, {});
      if (!holdMessage(m)) continue;
      added.push(m);
      if (fromVisitor(m)) {
        if (m.cid) removeOutbox(m.cid); // acked by another tab, or the msg overtook our ack
      } else if (live && m.seq > readOf(m.conv).me) {
        beepOnce(m.conv + ':' + m.seq);
        // An agent opening a conversation (invite: its seq 1 is the agent's) pops the panel open.
        if (firstInConv && m.seq === 1) invite = true;
      }
    }
    if (!added.length) return;
    flushDesk(); // a contact left before there was a conversation waits for one
    for (var j = 0; j < added.length; j++) emit('message', publicMessage(added[j]));
    if (invite && !panelOpen) openPanel(false);
    markRead();
    renderAll();
  }

  function publicMessage(m) {
    return { conv: m.conv, seq: m.seq, cid: m.cid, from: m.from, kind: m.kind, body: m.body, file: m.file, ts: m.ts };
  }

  function onMsgs(f) {
    var items = f.items || [];
    var h = histOf(f.conv);
    var before = h.c;
    for (var i = 0; i < items.length; i++) if (items[i] && !items[i].conv) items[i].conv = f.conv;
    delete syncing[f.conv];
    takeMessages(items, false);
    if (f.more && h.c > before) requestSync(f.conv);
  }

  function requestSync(conv) {
    if (syncing[conv]) return;
    if (sendFrame({ type: 'sync', conv: conv, after: histOf(conv).c, limit: 500 })) syncing[conv] = true;
  }

  var gapTimers = {};

  // Over long-poll an ack can overtake the msg before it; give the missing one a moment first.
  function scheduleGapSync(conv) {
    if (gapTimers[conv]) return;
    gapTimers[conv] = setTimeout(function () {
      delete gapTimers[conv];
      if (hasGap(histOf(conv))) requestSync(conv);
    }, GAP_WAIT);
  }

  function onConv(f) {
    var info = f.conv;
    if (!info || typeof info.id !== 'string') return;
    if (info.id === queueConv && info.status !== 'waiting') queueLine = '';
    var known = !!findConv(info.id);
    upsertConv(info.id, info);
    // A chat of ours we had not seen (another browser's, moved to us when the user signed in there).
    if (!known && info.lastSeq > histOf(info.id).c) requestSync(info.id);
    deskEcho(info);
    renderAll();
  }

  function onRead(f) {
    if (typeof f.conv !== 'string' || typeof f.seq !== 'number') return;
    var r = readOf(f.conv);
    var who = f.from && f.from.role === 'visitor' ? 'me' : 'agent';
    if (f.seq <= r[who]) return;
    r[who] = f.seq;
    store.set('reads', reads);
    renderAll();
  }

  function onTyping(f) {
    if (f.from && f.from.role === 'visitor') return;
    showAgentTyping();
  }

  var RETRY_LATER = { rate_limited: true, server_busy: true };
  var FINAL = { unknown_site: true, bad_token: true, hello_required: true, bad_identity: true };

  function onError(f) {
    var code = f.code || 'unknown';
    var desk = f.cid ? deskKind(f.cid) : !cidEcho && DESK_ERRORS[code] && awaiting[0];
    if (desk) return deskError(desk, code, f.message || '');
    if (f.cid) return refuseOutbox(f.cid, code, f.message);
    if (code === 'bad_identity' && identity.userId && !dropSignedIdentity) {
      // The host's signature is wrong: chatting anonymously beats not chatting at all.
      warn('identify(): userHash rejected by the relay; continuing without userId');
      dropSignedIdentity = true;
      return;
    }
    if (code === 'identity_required') {
      // Our id belongs to a signed-in user and this hello did not sign them in (they signed out
      // without Kefu('logout')): go on as a new anonymous visitor. The relay closes; we reconnect.
      warn('visitor id belongs to a signed-in user; continuing as a new anonymous visitor');
      forgetVisitor();
      return;
    }
    if (FINAL[code]) {
      stoppedFor = code;
      warn('relay refused the widget: ' + code + (f.message ? ' (' + f.message + ')' : ''));
      renderStatus();
    }
    // unknown_session is handled by the long-poll transport; the rest concern dropped frames.
  }

  // An error naming one of our sends: retry later, send elsewhere, or show it failed. Never silent.
  function refuseOutbox(cid, code, message) {
    var entry = findOutbox(cid);
    if (!entry) return;
    if (RETRY_LATER[code]) return retryLater(entry);
    if ((code === 'conv_closed' || code === 'unknown_conv') && !entry.renewed) {
      // Our idea of the open conversation was stale: send to a new one. The refused send was
      // not stored, so a new cid cannot double it.
      markConvClosed(sentTo[cid]);
      var fresh = updateOutbox(function (list) {
        for (var i = 0; i < list.length; i++) {
          if (list[i].cid === cid) {
            list[i].cid = newCid();
            list[i].renewed = true;
            list[i].tab = TAB;
            return list[i];
          }
        }
        return null;
      });
      if (fresh) sendEntry(fresh);
      renderAll();
      return;
    }
    updateOutbox(function (list) {
      for (var i = 0; i < list.length; i++) {
        if (list[i].cid === cid) {
          list[i].state = 'failed';
          list[i].reason = code;
          list[i].why = message || '';
        }
      }
    });
    renderAll();
  }

  var retryTimers = {};

  function retryLater(entry) {
    var cid = entry.cid;
    if (retryTimers[cid]) return;
    entry.tries = (entry.tries || 0) + 1;
    var d = Math.min(30000, 1000 * Math.pow(2, entry.tries));
    retryTimers[cid] = setTimeout(function () {
      delete retryTimers[cid];
      var current = findOutbox(cid);
      if (current && current.state === 'pending') sendEntry(current);
    }, d / 2 + Math.random() * d / 2);
  }

  // ---------------------------------------------------------------- outgoing

  var sentTo = {}; // cid -> conv named in its send (to know which one a conv_closed is about)

  function sendEntry(entry) {
    if (!connected) return;
    var frame = { type: 'send', cid: entry.cid, kind: entry.kind || 'text' };
    if (entry.file) frame.file = entry.file;
    else frame.body = entry.body;
    var conv = currentConv();
    if (conv) frame.conv = conv.id;
    sentTo[entry.cid] = frame.conv;
    sentOnThisConnection[entry.cid] = true;
    sendFrame(frame);
  }

  // Sends what is pending; another tab's entries only once they are old enough that that tab
  // has probably gone. A double send is harmless anyway: the relay dedupes by cid.
  function flushOutbox() {
    if (!connected) return;
    outbox = store.get('outbox', []);
    var now = Date.now();
    for (var i = 0; i < outbox.length; i++) {
      var e = outbox[i];
      if (e.state !== 'pending' || sentOnThisConnection[e.cid]) continue;
      if (e.tab === TAB || now - e.ts > FOREIGN_OUTBOX_AGE) sendEntry(e);
    }
  }

  setInterval(flushOutbox, FOREIGN_OUTBOX_AGE);

  function submitDraft() {
    var body = ui.input.value.replace(/^\s+|\s+$/g, '');
    if (!body || awaitingIdentity) return; // kept in the input until we know who is here
    if (codePoints(body) > MAX_BODY) {
      showHint(T.tooLong);
      return;
    }
    showHint('');
    var entry = { cid: newCid(), body: body, ts: Date.now(), tab: TAB, state: 'pending' };
    updateOutbox(function (list) { list.push(entry); });
    ui.input.value = '';
    autoGrow();
    sendTypingNow();
    sendEntry(entry);
    wake();
    renderAll(true);
  }

  // Retry of a refused message: a new send with a new cid, since the old cid was refused. A failed
  // upload starts again if this page still holds the file, and is removed otherwise.
  function retryFailed(cid) {
    var old = findOutbox(cid);
    if (old && old.kind && !old.file) {
      if (ups[cid]) upload(cid);
      else removeOutbox(cid);
      return renderAll();
    }
    old = removeOutbox(cid);
    if (!old) return;
    var entry = {
      cid: newCid(), kind: old.kind, name: old.name, size: old.size, mime: old.mime, file: old.file,
      body: old.body, ts: Date.now(), tab: TAB, state: 'pending'
    };
    updateOutbox(function (list) { list.push(entry); });
    sendEntry(entry);
    wake();
    renderAll(true);
  }

  // Sets fields of the outbox entry cid (in storage too); returns the entry, or null if it is gone.
  function patchOutbox(cid, fields) {
    return updateOutbox(function (list) {
      for (var i = 0; i < list.length; i++) {
        if (list[i].cid !== cid) continue;
        for (var k in fields) if (fields.hasOwnProperty(k)) list[i][k] = fields[k];
        return list[i];
      }
      return null;
    });
  }

  function codePoints(s) {
    return s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;
  }

  var typingPreview = cfg.typingPreview;
  var typingTimer = 0;
  var lastTyping = '';

  // At most one typing frame per TYPING_EVERY ms while typing, and the final text after a pause.
  function onDraftInput() {
    autoGrow();
    if (!typingPreview || typingTimer) return;
    typingTimer = setTimeout(sendTypingNow, TYPING_EVERY);
  }

  function sendTypingNow() {
    clearTimeout(typingTimer);
    typingTimer = 0;
    var text = ui.input.value.slice(0, MAX_BODY);
    var conv = currentConv();
    if (!typingPreview || !conv || text === lastTyping) return;
    if (sendFrame({ type: 'typing', conv: conv.id, text: text })) lastTyping = text;
  }

  // Read receipts: only while the panel is open and the page visible, i.e. messages are seen.
  function markRead() {
    if (!panelOpen || document.hidden) return;
    var changed = false;
    for (var i = 0; i < convs.length; i++) {
      var c = convs[i];
      var h = histOf(c.id);
      if (!h.m.length) continue;
      var top = h.m[h.m.length - 1].seq;
      var r = readOf(c.id);
      if (top > r.me) {
        r.me = top;
        changed = true;
      }
      if (c.status !== 'closed' && r.me > (readSent[c.id] || 0) && hasAgentMessageAbove(h, readSent[c.id] || 0)) {
        if (sendFrame({ type: 'read', conv: c.id, seq: r.me })) readSent[c.id] = r.me;
      }
    }
    if (changed) store.set('reads', reads);
  }

  function hasAgentMessageAbove(h, seq) {
    for (var i = h.m.length - 1; i >= 0 && h.m[i].seq > seq; i--) if (!fromVisitor(h.m[i])) return true;
    return false;
  }

  // ---------------------------------------------------------------- contact details and rating
  // The relay answers each with a conv frame carrying conv.contact or conv.rating, or with an error.
  // The widget keeps one pending contact and one pending rating in storage, as it keeps its outbox,
  // and sends them, each with a cid of its own, after every welcome until a conv frame (or a
  // welcome's list) shows the relay has them. A relay whose welcome says cidEcho names that cid in
  // its error (docs/protocol.md, "Request ids"); an older one names none, so then a cid-less error
  // that comes while one is unanswered is taken as its answer. A resend cannot double anything: the
  // relay keeps one contact per conversation (a resend overwrites it with the same values) and
  // refuses a second rating ("rated already", which counts as done).

  var C_FIELDS = ['name', 'phone', 'email', 'text'];
  var C_MAX = { name: 200, phone: 64, email: 200, text: 2000 }; // code points, as the relay clips
  var COMMENT_MAX = 1000;
  var EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
  var DESK_ERRORS = { unknown_conv: 1, bad_frame: 1, not_allowed: 1, server_busy: 1, rate_limited: 1 };
  var awaiting = [];          // 'contact' / 'rate' sent on this connection, not answered yet
  var cidEcho = false;        // the relay names our contact's or rating's cid in its errors
  var contactWanted = false;  // the visitor opened the form from the header
  var contactDone = false;    // the relay confirmed a contact on this page: thank until closed
  var ratedHere = {};         // conv -> true: rated on this page, so the thanks stay in view
  var stars = 0;              // the score picked in the rating form, 0 = none yet

  function trim(s) {
    return String(s || '').replace(/^\s+|\s+$/g, '');
  }

  function flushDesk() {
    if (!connected) return;
    var c = store.get('contact', null);
    var r = store.get('rate', null);
    var cur = currentConv();
    if (c && c.state === 'pending' && !sentOnThisConnection.contact) {
      // Left before there was a conversation: its message (in the outbox) opens one, then it goes.
      if (!c.conv && cur) c.conv = cur.id;
      c.cid = c.cid || newCid(); // made with the entry (not by an older widget): kept across resends
      store.set('contact', c);
      if (c.conv) deskSend('contact', { type: 'contact', conv: c.conv, name: c.name, email: c.email, phone: c.phone, text: c.text, cid: c.cid });
    }
    if (r && r.state === 'pending' && !sentOnThisConnection.rate) {
      r.cid = r.cid || newCid();
      store.set('rate', r);
      deskSend('rate', { type: 'rate', conv: r.conv, score: r.score, comment: r.comment, cid: r.cid });
    }
  }

  function deskSend(kind, frame) {
    if (!sendFrame(frame)) return;
    sentOnThisConnection[kind] = true;
    awaiting.push(kind);
  }

  function answered(kind) {
    var i = awaiting.indexOf(kind);
    if (i >= 0) awaiting.splice(i, 1);
  }

  // info: a ConvInfo from a conv frame or a welcome. Does it show that the relay has ours?
  function deskEcho(info) {
    var c = store.get('contact', null);
    var r = store.get('rate', null);
    if (info.contact) {
      // 'failed' too: a cid-less error meant for another frame may have been taken as its answer.
      if (c && c.state !== 'sent' && c.conv === info.id && sameContact(info.contact, c)) {
        c.state = 'sent';
        store.set('contact', c);
        contactDone = true;
        if (ui) ui.c.text.value = '';
      }
      answered('contact');
    }
    if (info.rating > 0 && r && r.conv === info.id) {
      store.remove('rate');
      ratedHere[info.id] = true;
      answered('rate');
    }
  }

  function sameContact(a, b) {
    for (var i = 0; i < C_FIELDS.length; i++) if ((a[C_FIELDS[i]] || '') !== (b[C_FIELDS[i]] || '')) return false;
    return true;
  }

  // Which of ours an error naming cid answers: 'contact', 'rate' or null.
  function deskKind(cid) {
    return (store.get('contact', 0) || 0).cid === cid ? 'contact' : (store.get('rate', 0) || 0).cid === cid ? 'rate' : null;
  }

  function deskError(kind, code, message) {
    answered(kind);
    var e = store.get(kind, null);
    if (!e || e.state !== 'pending') return;
    if (RETRY_LATER[code]) {
      delete sentOnThisConnection[kind];
      setTimeout(flushDesk, 2000 + Math.random() * 3000);
      return;
    }
    if (kind === 'rate' && /already/.test(message)) {
      var conv = findConv(e.conv);
      if (conv) upsertConv(conv.id, { rating: e.score });
      store.remove('rate');
      ratedHere[e.conv] = true;
    } else {
      e.state = 'failed';
      e.why = code;
      if (code === 'unknown_conv') e.conv = null; // a retry goes to the current conversation
      store.set(kind, e);
    }
    renderAll();
  }

  // [field, why] of the first problem with the form's values v, or null when they can go.
  function contactProblem(v, cur) {
    for (var i = 0; i < C_FIELDS.length; i++) {
      var f = C_FIELDS[i];
      if (codePoints(v[f]) > C_MAX[f]) return [f, T.cLong.replace('{n}', C_MAX[f])];
    }
    if (!v.phone && !v.email) return ['phone', T.cNeed];
    if (v.email && !EMAIL_RE.test(v.email)) return ['email', T.cBadEmail];
    if (v.phone && (v.phone.match(/\d/g) || []).length < 5) return ['phone', T.cBadPhone];
    return !cur && !v.text ? ['text', T.cNeedText] : null;
  }

  function submitContact() {
    var v = {};
    if (awaitingIdentity) return;
    var cur = currentConv();
    for (var i = 0; i < C_FIELDS.length; i++) {
      v[C_FIELDS[i]] = trim(ui.c[C_FIELDS[i]].value);
      ui.c[C_FIELDS[i]].removeAttribute('aria-invalid');
    }
    var bad = contactProblem(v, cur);
    ui.cErr.textContent = bad ? bad[1] : '';
    toggle(ui.cErr, !!bad);
    if (bad) {
      ui.c[bad[0]].setAttribute('aria-invalid', 'true');
      return ui.c[bad[0]].focus();
    }
    var entry = { conv: cur ? cur.id : null, state: 'pending', ts: Date.now(), cid: newCid() };
    for (var j = 0; j < C_FIELDS.length; j++) entry[C_FIELDS[j]] = v[C_FIELDS[j]] || undefined;
    if (!cur) {
      // No conversation to attach the details to: the message opens one (an offline one when
      // nobody can answer), and the contact follows once the relay has acked it.
      var msg = { cid: newCid(), body: v.text, ts: Date.now(), tab: TAB, state: 'pending' };
      updateOutbox(function (list) { list.push(msg); });
      sendEntry(msg);
    }
    store.set('contact', entry);
    contactWanted = contactDone = false;
    delete sentOnThisConnection.contact; // a newer contact replaces one sent on this connection
    flushDesk();
    wake();
    renderAll(true);
  }

  function openContact() {
    contactWanted = true;
    contactDone = false;
    session.remove('cx');
    var last = store.get('contact', null) || { name: identity.name, email: identity.email };
    if (last.state === 'failed') store.remove('contact');
    for (var i = 0; i < C_FIELDS.length; i++) {
      var input = ui.c[C_FIELDS[i]];
      if (!input.value && last[C_FIELDS[i]] && C_FIELDS[i] !== 'text') input.value = last[C_FIELDS[i]];
    }
    if (!panelOpen) openPanel(false);
    renderAll(true);
    ui.c.name.focus();
  }

  function closeContact() {
    contactWanted = contactDone = false;
    session.set('cx', true); // not offered again by itself in this tab
    renderAll();
  }

  // What the contact card shows: null (nothing), form, pending, sent or failed.
  function contactMode() {
    var c = store.get('contact', null);
    if (c && c.state !== 'sent') return c.state;
    if (contactDone) return 'sent';
    if (contactWanted) return 'form';
    var cur = currentConv();
    // Offered by itself when nobody can answer, unless details went with the current conversation.
    return serviceLine && !session.get('cx', false) && !(c && (!cur || c.conv === cur.id)) ? 'form' : null;
  }

  // The conversation to rate: the newest, once closed, if an agent took it.
  function rateConv() {
    var c = convs[convs.length - 1];
    return c && c.status === 'closed' && c.agentName ? c : null;
  }

  function rateMode(c) {
    var r = store.get('rate', null);
    if (c.rating) return ratedHere[c.id] ? 'sent' : null;
    return r && r.conv === c.id ? r.state : 'form';
  }

  function pickStars(n) {
    stars = n;
    for (var i = 0; i < 5; i++) {
      ui.stars[i].className = 'kf-star' + (i < n ? ' kf-on' : '');
      ui.stars[i].setAttribute('aria-pressed', String(i === n - 1));
    }
    ui.rCap.textContent = n ? T.rStars[n - 1] : '';
    showRateError('');
  }

  function showRateError(why) {
    ui.rErr.textContent = why;
    toggle(ui.rErr, !!why);
  }

  function submitRate() {
    if (awaitingIdentity) return;
    var c = rateConv();
    var comment = trim(ui.rComment.value);
    if (!c) return;
    if (!stars) return showRateError(T.rPick);
    if (codePoints(comment) > COMMENT_MAX) return showRateError(T.cLong.replace('{n}', COMMENT_MAX));
    store.set('rate', { conv: c.id, score: stars, comment: comment || undefined, state: 'pending', cid: newCid() });
    delete sentOnThisConnection.rate;
    flushDesk();
    wake();
    renderAll(true);
  }

  // ---------------------------------------------------------------- files
  // An image or file goes from the browser straight to storage (OSS, or the relay itself in local
  // mode) as a PostObject form described by POST /api/files/policy; only then does its message go
  // through the outbox like text. Offline, the upload waits for the network (online event) or the
  // relay (welcome) to come back. Its bytes are also kept in IndexedDB until it is uploaded, so that
  // after a reload the next page (or another tab) takes it over (adoptUploads); where IndexedDB is
  // refused, a reload loses the upload and it shows as failed. A request that gets no answer at all
  // never ends an upload by itself (see unanswered()): only an answer that refuses it.

  var FILE_KINDS = { image: true, file: true };
  var NOT_FORM = { mode: true, host: true, maxSize: true, expiration: true, allowedTypes: true };
  var UPLOAD_STALL = 60000;  // ms without upload progress before the upload is cut and tried again
  var UPLOAD_PATIENCE = 6;   // unanswered tries in a row, with the relay connected, before it shows failed
  var LOST_AFTER = 3600000;  // ms after which another page's unfinished upload counts as lost (its bytes dropped)
  var ups = {};              // cid -> {file, xhr, pct, tries, timer, kept}: the uploads this page holds the bytes of
                             // (kept: they are in IndexedDB too)
  var urls = {};             // file key -> {url, exp} signed download URL, or {wait: [fn]} while asked

  function attachFiles(list) {
    if (awaitingIdentity) return;
    showHint('');
    for (var i = 0; list && i < list.length; i++) attachFile(list[i]);
  }

  function attachFile(file) {
    var why = checkFile(file, store.get('limits', null));
    if (why) return showHint(why);
    var mime = file.type || 'application/octet-stream';
    var entry = {
      cid: newCid(), kind: /^image\//i.test(mime) ? 'image' : 'file', name: String(file.name || 'file'),
      size: file.size, mime: mime, ts: Date.now(), tab: TAB, state: 'uploading'
    };
    var up = ups[entry.cid] = { file: file, pct: 0 };
    updateOutbox(function (list) { list.push(entry); });
    bytes(true, function (s) { return s.put(file, entry.cid); }, function (key) {
      if (key) up.kept = true;
    });
    renderAll(true);
    if (navigator.onLine !== false) upload(entry.cid);
  }

  // Why the file cannot be sent, or '' if it can. limits is the last policy's, null before any.
  function checkFile(file, limits) {
    var type = file.type || 'application/octet-stream';
    var why = !(file.size > 0) ? T.emptyFile
        : !limits ? ''
        : file.size > limits.max ? T.tooBig + formatSize(limits.max)
        : !typeAllowed(type, limits.types) ? T.badType + type : '';
    return why && file.name + ': ' + why;
  }

  // As the relay matches: exact types, or "type/*".
  function typeAllowed(mime, types) {
    if (!types || !types.length) return true;
    var m = mime.toLowerCase().split(';')[0];
    for (var i = 0; i < types.length; i++) {
      var t = String(types[i]).toLowerCase();
      if (t.charAt(t.length - 1) === '*' ? m.indexOf(t.slice(0, -1)) === 0 : m === t) return true;
    }
    return false;
  }

  function formatSize(n) {
    var mb = n / 1048576;
    return mb >= 1 ? (n % 1048576 ? mb.toFixed(1) : mb) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB';
  }

  function upload(cid) {
    var up = ups[cid];
    if (!up || up.xhr) return;
    clearTimeout(up.timer);
    up.timer = 0;
    outbox = store.get('outbox', []);
    var e = findOutbox(cid);
    if (!e || e.tab !== TAB) {
      delete ups[cid]; // gone, or another tab took it over
      return;
    }
    patchOutbox(cid, { state: 'uploading', lost: false });
    showProgress(cid, 0);
    var ask = { site: cfg.site, visitor: visitorId };
    if (identity.userId && !dropSignedIdentity) {
      ask.userId = identity.userId;
      ask.userHash = identity.userHash;
    }
    up.xhr = httpJson('POST', cfg.relay + '/api/files/policy', ask, LP_SEND_TIMEOUT, function (status, policy, x) {
      up.xhr = null;
      if (!status) return unanswered(cid);
      if (status !== 200 || !policy || !policy.host) return uploadFailed(cid, status, x);
      store.set('limits', { max: policy.maxSize, types: policy.allowedTypes });
      var why = checkFile(up.file, store.get('limits', null));
      if (why) {
        delete ups[cid];
        removeOutbox(cid);
        showHint(why);
        return renderAll();
      }
      postForm(cid, up, policy);
    });
  }

  function postForm(cid, up, policy) {
    var key = policy.key + randomString(12) + '/' + safeName(up.file.name);
    var form = new FormData();
    for (var f in policy) {
      if (policy.hasOwnProperty(f) && !NOT_FORM[f] && typeof policy[f] === 'string') {
        form.append(f, f === 'key' ? key : policy[f]);
      }
    }
    form.append('file', up.file); // last: storage ignores the fields after the file
    var x = up.xhr = new XMLHttpRequest();
    var stall = 0;
    function watch() {
      clearTimeout(stall);
      stall = setTimeout(function () { x.abort(); }, UPLOAD_STALL);
    }
    x.open('POST', policy.host, true);
    x.upload.onprogress = function (e) {
      watch();
      if (e.lengthComputable && e.total) showProgress(cid, Math.floor(99 * e.loaded / e.total));
    };
    x.onreadystatechange = function () {
      if (x.readyState !== 4) return;
      clearTimeout(stall);
      up.xhr = null;
      if (x.status >= 200 && x.status < 300) uploaded(cid, key);
      else if (!x.status) unanswered(cid);
      else uploadFailed(cid, x.status, x);
    };
    watch();
    x.send(form);
  }

  // What OSS and the relay accept as a key's last part: no slashes, control or odd characters.
  function safeName(name) {
    var s = String(name).replace(/[\u0000-\u001f\u007f\\\/:*?"<>|#%${}]+/g, '_').replace(/\.\.+/g, '.');
    return s.slice(-100) || 'file';
  }

  function uploaded(cid, key) {
    var up = ups[cid];
    delete ups[cid];
    dropBytes(cid);
    var entry = patchOutbox(cid, {
      state: 'pending', file: { key: key, name: String(up.file.name), size: up.file.size, mime: up.file.type || 'application/octet-stream' }
    });
    if (entry) sendEntry(entry);
    renderAll();
  }

  // The policy request or the upload got no answer (network down or not yet back, the connection
  // cut, an upload stalled): the upload starts again from the policy, never dropped. Offline or
  // with the relay out of reach too, the online event or the next welcome starts it (resumeUploads);
  // otherwise it is tried again after 1.5 s, 3 s, 6 s ... 30 s. Just after the network comes back a
  // browser may fail requests for seconds while the socket lived through the outage: those tries
  // must not use up the upload. Only UPLOAD_PATIENCE unanswered tries in a row with the relay
  // connected all along (storage this browser cannot reach: its CORS rule, a proxy) show it failed,
  // with Retry.
  function unanswered(cid) {
    var up = ups[cid];
    if (!up) return;
    showProgress(cid, 0);
    if (!connected || navigator.onLine === false) return;
    up.tries = (up.tries | 0) + 1;
    if (up.tries >= UPLOAD_PATIENCE) return uploadFailed(cid, 0, null);
    up.timer = setTimeout(function () { upload(cid); }, Math.min(30000, 1500 * Math.pow(2, up.tries - 1)));
  }

  function uploadFailed(cid, status, x) {
    var up = ups[cid];
    if (!up) return;
    up.tries = 0;
    patchOutbox(cid, { state: 'failed', reason: 'upload', why: storageError(x) || (status ? 'HTTP ' + status : T.network) });
    renderAll();
  }

  // OSS answers <Error><Code>..</Code><Message>..</Message></Error>, the relay {code, message}.
  function storageError(x) {
    var text = String((x && x.responseText) || '');
    var code = /<Code>([^<]*)</.exec(text);
    var message = /<Message>([^<]*)</.exec(text);
    if (code) return unescapeXml(code[1] + (message ? ': ' + message[1] : ''));
    var json = null;
    try {
      json = JSON.parse(text);
    } catch (e) { /* not JSON */ }
    return json && json.code ? json.code + (json.message ? ': ' + json.message : '') : '';
  }

  function unescapeXml(s) {
    var named = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
    return s.replace(/&(lt|gt|quot|apos|amp);/g, function (m, n) { return named[n]; });
  }

  // The network or the relay is back (online event, welcome): waiting uploads start now, with
  // their patience renewed.
  function resumeUploads() {
    adoptUploads();
    for (var cid in ups) {
      var e = ups.hasOwnProperty(cid) && !ups[cid].xhr && findOutbox(cid);
      if (e && e.state === 'uploading') {
        ups[cid].tries = 0;
        upload(cid);
      }
    }
  }

  function showProgress(cid, pct) {
    if (ups[cid]) ups[cid].pct = pct;
    var node = nodes['c:' + cid];
    if (!node || !node.kfBar) return;
    node.kfFill.style.width = pct + '%';
    node.kfBar.setAttribute('aria-valuenow', String(pct));
  }

  // Ends the unfinished uploads that match: failed for good (lost), or, when this page hands them on
  // (handOn) and kept their bytes in IndexedDB, left uploading for the next page or another tab to
  // take over (tab '', see adoptUploads). Writes storage only if there were any.
  function loseUploads(test, handOn) {
    outbox = store.get('outbox', []);
    var any = false;
    for (var i = 0; i < outbox.length; i++) {
      var e = outbox[i];
      if (e.state !== 'uploading' || !test(e)) continue;
      any = true;
      if (handOn) e.tab = '';
      if (!handOn || !ups[e.cid].kept) {
        e.state = 'failed';
        e.lost = true;
      }
    }
    if (any) store.set('outbox', outbox);
  }

  // A reload or navigation ends this page's uploads: hand them on, or say so to the next page
  // instead of leaving them "uploading" for ever.
  window.addEventListener('pagehide', function () {
    loseUploads(function (e) { return ups[e.cid]; }, true);
  });
  window.addEventListener('pageshow', function (ev) {
    if (ev.persisted) adoptUploads(); // back from the back-forward cache: take them back if still free
  });

  // The uploads of a page that vanished without pagehide (a crash) are shown lost once they are
  // old; so is any upload that old, and its bytes are dropped. Then the rest is taken over.
  function sweepLostUploads() {
    var now = Date.now();
    function old(e) {
      return e.tab !== TAB && now - e.ts > LOST_AFTER;
    }
    for (var i = 0; i < outbox.length; i++) if (outbox[i].kind && !outbox[i].file && old(outbox[i])) dropBytes(outbox[i].cid);
    loseUploads(old);
    adoptUploads();
  }

  // Takes over the uploads other pages handed on (tab ''; lost ones too: their bytes may have
  // reached IndexedDB after all): reads their bytes back and uploads them with the same cid, so the
  // relay stores the message once. The claim (tab = this page) goes to the shared outbox before the
  // bytes are read and is checked again after: of two tabs that try at once, the last claim uploads.
  function adoptUploads() {
    if (awaitingIdentity) return; // it may be another user's outbox, about to be dropped
    var now = Date.now();
    var claimed = [];
    outbox = store.get('outbox', []);
    for (var i = 0; i < outbox.length; i++) {
      var e = outbox[i];
      if (e.tab === '' && e.kind && !e.file && now - e.ts <= LOST_AFTER) {
        e.tab = TAB;
        claimed.push(e.cid);
      }
    }
    if (!claimed.length) return;
    store.set('outbox', outbox);
    for (i = 0; i < claimed.length; i++) readBack(claimed[i]);
  }

  function readBack(cid) {
    bytes(false, function (s) { return s.get(cid); }, function (file) {
      outbox = store.get('outbox', []);
      var e = findOutbox(cid);
      if (!e || e.tab !== TAB) return;
      if (!ups[cid]) {
        if (!file) {
          patchOutbox(cid, { state: 'failed', lost: true }); // nothing kept: the upload cannot go on
          return renderAll();
        }
        ups[cid] = { file: file, pct: 0, kept: true };
      }
      patchOutbox(cid, { state: 'uploading', lost: false });
      renderAll();
      if (navigator.onLine !== false) upload(cid);
    });
  }

  // ---------------------------------------------------------------- files: bytes in IndexedDB
  // Database "kefu:<site>:files", store "files", key cid, value the File. IndexedDB missing or
  // refusing (private mode, quota) only means an upload cannot outlive its page.

  var bytesDb = null;   // the open database; false once IndexedDB refused
  var bytesWait = null; // callbacks waiting for it to open

  // Runs the request op(objectStore) makes in a transaction of its own; done(result) once that is
  // committed, done() if anything failed. done is optional.
  function bytes(write, op, done) {
    done = done || function () {};
    openBytes(function (db) {
      try {
        var tx = db.transaction('files', write ? 'readwrite' : 'readonly');
        var r = op(tx.objectStore('files'));
        tx.oncomplete = function () { done(r.result); };
        tx.onabort = function () { done(); };
      } catch (e) {
        done();
      }
    });
  }

  function openBytes(fn) {
    if (bytesDb !== null) return fn(bytesDb);
    if (bytesWait) return bytesWait.push(fn);
    bytesWait = [fn];
    function opened(db) {
      var wait = bytesWait;
      bytesDb = db;
      bytesWait = null;
      for (var i = 0; i < wait.length; i++) wait[i](db);
    }
    try {
      var r = window.indexedDB.open(PREFIX + 'files', 1);
      r.onupgradeneeded = function () { r.result.createObjectStore('files'); };
      r.onsuccess = function () { opened(r.result); };
      r.onerror = function () { opened(false); };
    } catch (e) {
      opened(false);
    }
  }

  function dropBytes(cid) {
    bytes(true, function (s) { return s.delete(cid); });
  }

  // A signed download URL for key from the relay: done(url), or done(null) if refused. Kept until
  // a minute before it expires.
  function fileUrl(key, done) {
    var c = urls[key];
    if (c && c.url && c.exp - Date.now() > 60000) return done(c.url);
    if (c && c.wait) return c.wait.push(done);
    c = urls[key] = { wait: [done] };
    var q = '?key=' + encodeURIComponent(key) + '&site=' + encodeURIComponent(cfg.site) + '&visitor=' + encodeURIComponent(visitorId);
    if (identity.userId && !dropSignedIdentity) {
      q += '&userId=' + encodeURIComponent(identity.userId) + '&userHash=' + encodeURIComponent(identity.userHash);
    }
    httpJson('GET', cfg.relay + '/api/files/url' + q, null, LP_SEND_TIMEOUT, function (status, json) {
      // Only http(s): the URL is about to become an image source or a window's location.
      var url = status === 200 && json && /^https?:\/\//i.test(json.url) ? json.url : null;
      urls[key] = url ? { url: url, exp: json.expiresAt || 0 } : null;
      for (var i = 0; i < c.wait.length; i++) c.wait[i](url);
    });
  }

  // Opens a file in a new tab. The tab is opened during the click, so that popup blockers let it
  // through, and pointed at the signed URL once the relay has given one.
  function openFile(key) {
    var w = window.open('', '_blank');
    try {
      w.opener = null;
    } catch (e) { /* blocked: no window */ }
    fileUrl(key, function (url) {
      if (w && url) w.location.href = url;
      else if (w) w.close();
    });
  }

  // ---------------------------------------------------------------- page tracking

  var page = { url: location.href, title: document.title, referrer: document.referrer };

  // Sent after every welcome, so the relay knows the current page after a reconnect too.
  function sendPageView() {
    page.title = document.title;
    sendFrame({ type: 'page', url: page.url, title: page.title, referrer: page.referrer });
  }

  function onNavigate() {
    // Single-page apps often set the title just after pushState: read it a moment later.
    setTimeout(function () {
      // Some single-page apps re-render the whole body: put the widget back if it went with it.
      if (ui && !ui.host.parentNode && document.body) document.body.appendChild(ui.host);
      if (location.href === page.url) return;
      page = { url: location.href, title: document.title, referrer: page.url };
      sendPageView();
    }, 50);
  }

  function hookHistory() {
    var h = window.history;
    if (!h || !h.pushState) return;
    wrap('pushState');
    wrap('replaceState');
    window.addEventListener('popstate', onNavigate);
    function wrap(name) {
      var original = h[name];
      h[name] = function () {
        var result = original.apply(this, arguments);
        onNavigate();
        return result;
      };
    }
  }

  // ---------------------------------------------------------------- sound

  var audio = null;
  var lastBeepAt = 0;

  // Browsers only let audio start after a user gesture, so the context is made on the first one.
  function unlockAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (audio || !Ctx) return;
    try {
      audio = new Ctx();
    } catch (e) { /* no audio */ }
    document.removeEventListener('pointerdown', unlockAudio, true);
    document.removeEventListener('keydown', unlockAudio, true);
  }

  // Several tabs get the same message: the first to claim it in storage beeps (visible tabs first).
  function beepOnce(key) {
    setTimeout(function () {
      if (store.get('beep', null) === key) return;
      store.set('beep', key);
      beep();
    }, document.hidden ? 250 : 0);
  }

  function beep() {
    var now = Date.now();
    if (!audio || now - lastBeepAt < 1500) return;
    lastBeepAt = now;
    try {
      if (audio.state === 'suspended') audio.resume();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      var t0 = audio.currentTime;
      osc.type = 'sine';
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t0);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.25);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t0);
      osc.stop(t0 + 0.3);
    } catch (e) { /* sound is a nicety */ }
  }

  // ---------------------------------------------------------------- view

  var STYLES = [
    ':host{all:initial}',
    '.kf-root{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",sans-serif;color:#1f2328;--kf-accent:#1f6feb}',
    '.kf-root *{box-sizing:border-box}',
    '.kf-hide{display:none!important}',
    '.kf-launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;padding:0;background:#1f6feb;background:var(--kf-accent);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}',
    '.kf-launcher svg{width:28px;height:28px;fill:currentColor}',
    '.kf-left .kf-launcher,.kf-left .kf-panel{right:auto;left:20px}',
    '.kf-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#e5484d;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center}',
    '.kf-panel{position:fixed;bottom:88px;right:20px;z-index:2147483001;width:360px;height:540px;max-height:calc(100vh - 108px);background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.22);display:flex;flex-direction:column;overflow:hidden}',
    '.kf-head{display:flex;align-items:center;padding:12px 14px;background:#1f6feb;background:var(--kf-accent);color:#fff}',
    '.kf-head-text{flex:1;min-width:0}',
    '.kf-title{font-size:16px;font-weight:600}',
    '.kf-status{font-size:12px;opacity:.85;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.kf-x{background:none;border:0;color:inherit;font-size:24px;line-height:1;padding:2px 6px;cursor:pointer}',
    '.kf-notice{padding:6px 14px;background:#fff8e1;color:#6b5300;font-size:12px;border-bottom:1px solid #f0e2b0}',
    '.kf-desk{padding:6px 14px;background:#eef4ff;color:#1d3b6a;font-size:12px;border-bottom:1px solid #d6e2f5}',
    '.kf-list{flex:1;overflow-y:auto;padding:12px;background:#f6f7f9;-webkit-overflow-scrolling:touch}',
    '.kf-sys{margin:8px 0;text-align:center;color:#667085;font-size:12px}',
    '.kf-msg{display:flex;flex-direction:column;max-width:80%;margin:6px 0}',
    '.kf-me{margin-left:auto;align-items:flex-end}',
    '.kf-them{margin-right:auto;align-items:flex-start}',
    '.kf-bubble{padding:8px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere}',
    '.kf-me .kf-bubble{background:#1f6feb;background:var(--kf-accent);color:#fff;border-bottom-right-radius:4px}',
    '.kf-them .kf-bubble{background:#fff;border:1px solid #e3e5e8;border-bottom-left-radius:4px}',
    '.kf-bubble a{color:inherit;text-decoration:underline}',
    '.kf-meta{margin-top:2px;color:#7a8391;font-size:11px}',
    '.kf-st{margin-left:4px}',
    '[data-state=read] .kf-st{color:#1a7f37}',
    '[data-state=failed] .kf-bubble{opacity:.7}',
    '.kf-err{margin-top:2px;color:#cf222e;font-size:12px}',
    '.kf-retry{margin-left:6px;padding:1px 8px;border:1px solid #cf222e;border-radius:10px;background:#fff;color:#cf222e;font:inherit;cursor:pointer}',
    '.kf-typing{padding:2px 14px;color:#667085;font-size:12px}',
    '.kf-hint{padding:0 12px 6px;color:#cf222e;font-size:12px}',
    '.kf-foot{display:flex;align-items:flex-end;padding:10px;border-top:1px solid #e3e5e8;background:#fff}',
    '.kf-input{flex:1;min-height:38px;max-height:120px;margin-right:8px;padding:8px 10px;border:1px solid #d0d7de;border-radius:8px;resize:none;outline:0;font:inherit;color:inherit;background:#fff}',
    '.kf-input:focus{border-color:#1f6feb;border-color:var(--kf-accent)}',
    '.kf-attach{flex:none;width:38px;height:38px;margin-right:6px;padding:0;border:0;border-radius:8px;background:none;color:#57606a;cursor:pointer;display:flex;align-items:center;justify-content:center}',
    '.kf-attach:hover{background:#f0f2f5}',
    '.kf-picker{position:absolute;width:1px;height:1px;opacity:0;overflow:hidden;pointer-events:none}',
    '.kf-drag .kf-list{outline:2px dashed #1f6feb;outline:2px dashed var(--kf-accent);outline-offset:-6px}',
    '.kf-media{padding:4px}',
    '.kf-media .kf-cap,.kf-file{display:block;padding:4px 8px}',
    '.kf-img{display:block;max-width:100%;max-height:240px;border-radius:10px;cursor:zoom-in}',
    '.kf-file{border:0;background:none;font:inherit;color:inherit;text-align:left;text-decoration:underline;cursor:pointer}',
    '.kf-bar{height:4px;margin:4px 8px 6px;min-width:140px;border-radius:2px;background:rgba(127,127,127,.35);overflow:hidden}',
    '.kf-fill{width:0;height:100%;background:currentColor;transition:width .2s}',
    '.kf-hb{background:none;border:0;color:inherit;padding:4px;margin-right:2px;cursor:pointer;display:flex}',
    '.kf-hb svg,.kf-attach svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}',
    '.kf-hb svg{width:20px;height:20px}',
    '.kf-card{margin:10px 0 4px;padding:10px 12px;background:#fff;border:1px solid #e3e5e8;border-radius:10px}',
    '.kf-card-t{font-weight:600;margin-bottom:4px}',
    '.kf-f{display:block;flex:1;min-width:0;margin:6px 0 0;color:#57606a;font-size:12px}',
    '.kf-f input,.kf-f textarea{display:block;width:100%;margin-top:2px;padding:6px 8px;border:1px solid #d0d7de;border-radius:6px;outline:0;font:inherit;font-size:14px;color:#1f2328;background:#fff;resize:vertical}',
    '.kf-f :focus{border-color:#1f6feb;border-color:var(--kf-accent)}',
    '.kf-f [aria-invalid=true]{border-color:#cf222e}',
    '.kf-btns,.kf-pair{display:flex;gap:8px;margin-top:8px}',
    '.kf-pair{margin:0}',
    '.kf-btn{padding:6px 14px;border:1px solid transparent;border-radius:6px;background:#1f6feb;background:var(--kf-accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}',
    '.kf-btn2{border-color:#d0d7de;background:#fff;color:#57606a;font-weight:400}',
    '.kf-note{color:#57606a;font-size:12px}',
    '.kf-ok{color:#1a7f37;font-size:14px}',
    '.kf-bad{color:#cf222e}',
    '.kf-stars{display:flex;align-items:center}',
    '.kf-star{padding:0 2px;border:0;background:none;color:#d0d7de;font-size:28px;line-height:1;cursor:pointer}',
    '.kf-star.kf-on,.kf-stars:hover .kf-star{color:#f5a623}',
    '.kf-stars .kf-star:hover~.kf-star{color:#d0d7de}',
    '.kf-stars .kf-note{margin-left:8px}',
    '.kf-send{height:38px;padding:0 14px;border:0;border-radius:8px;background:#1f6feb;background:var(--kf-accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}',
    '@media (max-width:480px){',
    '.kf-panel,.kf-left .kf-panel{top:0;right:0;bottom:0;left:0;width:100%;height:100%;max-height:none;border-radius:0}',
    '.kf-open .kf-launcher{display:none}',
    '.kf-input,.kf-f input,.kf-f textarea{font-size:16px}', // below 16px iOS zooms the page on focus
    '}'
  ].join('\n');

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var CHAT_ICON = 'M6 4h12a3 3 0 0 1 3 3v8a3 3 0 0 1-3 3h-7l-5 4v-4.2A3 3 0 0 1 3 15V7a3 3 0 0 1 3-3z';
  var MAIL_ICON = 'M3 5h18v14H3zM3 6l9 7 9-7';
  var CLIP_ICON = 'M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5';

  var ui = null;
  var panelOpen = false;
  var nodes = {};       // message key -> its element, reused across renders
  var typingTimeout = 0;

  function el(tag, cls, hook, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (hook) e.setAttribute('data-kefu', hook);
    if (text != null) e.textContent = text;
    return e;
  }

  function mount() {
    var host = el('div');
    host.id = 'kefu-widget';
    // CSSOM writes are not inline styles as far as CSP is concerned; this guards the host box.
    host.style.setProperty('all', 'initial', 'important');
    // An OPEN shadow root so that host-page CSS cannot reach in but browser tests can.
    var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    applyCss(root, host);

    var wrap = el('div', 'kf-root kf-' + cfg.position);
    // The host page's lang may differ from ours; without this, Chromium on Linux and Android
    // draws Chinese text of an lang="en" page with Japanese glyph forms.
    wrap.setAttribute('lang', cfg.lang === 'zh' ? 'zh-CN' : 'en');
    if (cfg.color) wrap.style.setProperty('--kf-accent', cfg.color);

    var launcher = el('button', 'kf-launcher', 'launcher');
    launcher.type = 'button';
    launcher.setAttribute('aria-label', T.launcher);
    launcher.appendChild(icon(CHAT_ICON));
    var badge = el('span', 'kf-badge kf-hide', 'badge');
    launcher.appendChild(badge);

    var panel = el('div', 'kf-panel kf-hide', 'panel');
    panel.setAttribute('role', 'dialog');
    panel.setAttribute('aria-label', T.title);

    var head = el('div', 'kf-head');
    var headText = el('div', 'kf-head-text');
    headText.appendChild(el('div', 'kf-title', null, T.title));
    var status = el('div', 'kf-status', 'status');
    headText.appendChild(status);
    var closeBtn = el('button', 'kf-x', 'close', '\u00d7');
    closeBtn.type = 'button';
    closeBtn.setAttribute('aria-label', T.close);
    var contactBtn = button('kf-hb', 'contact-open');
    contactBtn.title = T.contact;
    contactBtn.setAttribute('aria-label', T.contact);
    contactBtn.appendChild(icon(MAIL_ICON));
    head.appendChild(headText);
    head.appendChild(contactBtn);
    head.appendChild(closeBtn);

    var notice = el('div', 'kf-notice', 'notice', T.notice);
    var desk = el('div', 'kf-desk kf-hide', 'desk', '');
    var list = el('div', 'kf-list', 'list');
    list.setAttribute('aria-live', 'polite');
    var typing = el('div', 'kf-typing kf-hide', 'typing', T.typing);
    var hint = el('div', 'kf-hint kf-hide', 'hint');
    var foot = el('div', 'kf-foot');
    var input = el('textarea', 'kf-input', 'input');
    input.rows = 1;
    input.placeholder = T.placeholder;
    input.setAttribute('aria-label', T.placeholder);
    var send = el('button', 'kf-send', 'send', T.send);
    send.type = 'button';
    // A visually hidden input rather than display:none, so that tests and assistive tools reach it.
    var picker = el('input', 'kf-picker', 'picker');
    picker.type = 'file';
    picker.multiple = true;
    picker.tabIndex = -1;
    var attach = el('button', 'kf-attach' + (window.FormData ? '' : ' kf-hide'), 'attach');
    attach.type = 'button';
    attach.title = T.attach;
    attach.setAttribute('aria-label', T.attach);
    attach.appendChild(icon(CLIP_ICON));
    foot.appendChild(attach);
    foot.appendChild(picker);
    foot.appendChild(input);
    foot.appendChild(send);

    panel.appendChild(head);
    panel.appendChild(notice);
    panel.appendChild(desk);
    panel.appendChild(list);
    panel.appendChild(typing);
    panel.appendChild(hint);
    panel.appendChild(foot);
    wrap.appendChild(panel);
    wrap.appendChild(launcher);
    root.appendChild(wrap);
    document.body.appendChild(host);

    ui = {
      host: host, wrap: wrap, launcher: launcher, badge: badge, panel: panel, status: status,
      notice: notice, desk: desk, list: list, typing: typing, hint: hint, input: input, attach: attach, picker: picker,
      greeting: el('div', 'kf-sys', 'greeting', T.greeting)
    };
    buildContactCard();
    buildRateCard();
    contactBtn.addEventListener('click', openContact);
    bindEvents(closeBtn, send);
  }

  // Constructable stylesheets need no 'unsafe-inline' under CSP; the <style> fallback does
  // (or the nonce of our script tag).
  function applyCss(root, host) {
    if (root !== host && 'adoptedStyleSheets' in root && window.CSSStyleSheet) {
      try {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLES);
        root.adoptedStyleSheets = [sheet];
        return;
      } catch (e) { /* older engine: use a <style> element */ }
    }
    var style = el('style');
    if (cfg.nonce) style.nonce = cfg.nonce;
    style.textContent = STYLES;
    (root === host ? document.head || document.documentElement : root).appendChild(style);
  }

  function icon(d) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    var path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.appendChild(path);
    return svg;
  }

  function button(cls, hook, text) {
    var b = el('button', cls, hook, text);
    b.type = 'button';
    return b;
  }

  // A labelled input (the label wraps it, so no id is needed inside the shadow root).
  function field(parent, label, tag, hook, max, type, autocomplete) {
    var wrap = el('label', 'kf-f');
    var input = el(tag, null, hook);
    wrap.appendChild(el('span', null, null, label));
    wrap.appendChild(input);
    if (type) input.type = type;
    if (autocomplete) input.setAttribute('autocomplete', autocomplete);
    input.maxLength = max; // UTF-16 units: never more code points than the relay keeps
    parent.appendChild(wrap);
    return input;
  }

  // A card in the message list: a title, a form part, a status line; data-state says which shows.
  function card(hook, title) {
    var node = el('div', 'kf-card', hook);
    node.setAttribute('role', 'group');
    node.setAttribute('aria-label', title);
    node.appendChild(el('div', 'kf-card-t', null, title));
    node.kfForm = el('div');
    node.kfStat = el('div', 'kf-note', hook + '-status');
    node.kfStat.setAttribute('role', 'status');
    node.appendChild(node.kfForm);
    node.appendChild(node.kfStat);
    return node;
  }

  function buildContactCard() {
    var node = ui.contact = card('contact', T.contact);
    var form = node.kfForm;
    var pair = el('div', 'kf-pair'); // phone and email side by side: one of them is needed
    ui.c = { name: field(form, T.cName, 'input', 'c-name', C_MAX.name, 'text', 'name') };
    form.appendChild(pair);
    ui.c.phone = field(pair, T.cPhone, 'input', 'c-phone', C_MAX.phone, 'tel', 'tel');
    ui.c.email = field(pair, T.cEmail, 'input', 'c-email', C_MAX.email, 'email', 'email');
    ui.c.text = field(form, T.cText, 'textarea', 'c-text', C_MAX.text);
    ui.c.text.rows = 2;
    ui.cErr = el('div', 'kf-err kf-hide', 'c-error');
    ui.cErr.setAttribute('role', 'alert');
    form.appendChild(ui.cErr);
    var row = el('div', 'kf-btns');
    var submit = ui.cSubmit = button('kf-btn', 'c-submit', T.cSubmit);
    ui.cLater = button('kf-btn kf-btn2', 'c-later', T.cLater);
    row.appendChild(submit);
    row.appendChild(ui.cLater);
    node.appendChild(row);
    node.kfRow = row;
    submit.addEventListener('click', submitContact);
    ui.cLater.addEventListener('click', closeContact);
  }

  function buildRateCard() {
    var node = ui.rate = card('rate', T.rate);
    var form = node.kfForm;
    var row = el('div', 'kf-stars');
    ui.stars = [];
    for (var i = 1; i <= 5; i++) {
      var star = button('kf-star', 'star', '\u2605');
      star.setAttribute('data-score', String(i));
      star.setAttribute('aria-label', i + T.rStar + T.rStars[i - 1]);
      star.setAttribute('aria-pressed', 'false');
      star.addEventListener('click', pickStars.bind(null, i));
      ui.stars.push(row.appendChild(star));
    }
    ui.rCap = el('span', 'kf-note', 'r-caption');
    row.appendChild(ui.rCap);
    form.appendChild(row);
    ui.rComment = field(form, T.rComment, 'textarea', 'r-comment', COMMENT_MAX);
    ui.rComment.rows = 2;
    ui.rErr = el('div', 'kf-err kf-hide', 'r-error');
    ui.rErr.setAttribute('role', 'alert');
    form.appendChild(ui.rErr);
    var submit = button('kf-btn', 'r-submit', T.rSubmit);
    form.appendChild(submit);
    submit.addEventListener('click', submitRate);
  }

  function renderContactCard(mode) {
    var node = ui.contact;
    var failed = mode === 'failed';
    var c = failed && store.get('contact', null);
    node.setAttribute('data-state', mode);
    toggle(node.kfForm, mode === 'form' || failed);
    toggle(ui.cSubmit, mode === 'form' || failed);
    toggle(node.kfRow, mode !== 'pending');
    ui.cLater.textContent = mode === 'sent' ? T.close : T.cLater;
    node.kfStat.textContent = mode === 'sent' ? T.cSent : failed ? T.cFailed + ': ' + (T.errors[c.why] || c.why)
        : mode === 'pending' ? (connected ? T.cSending : T.cQueued) : '';
    node.kfStat.className = 'kf-note' + (mode === 'sent' ? ' kf-ok' : failed ? ' kf-bad' : '');
  }

  function renderRateCard(mode, c) {
    var node = ui.rate;
    var r = store.get('rate', null);
    if (node.kfConv !== c.id) { // a new conversation to rate: start from a clean form
      node.kfConv = c.id;
      ui.rComment.value = '';
      pickStars(0);
    }
    var score = mode === 'sent' ? c.rating : r && r.conv === c.id ? r.score : stars;
    node.setAttribute('data-state', mode);
    toggle(node.kfForm, mode === 'form' || mode === 'failed');
    if (score !== stars || mode === 'sent') pickStars(score);
    node.kfStat.textContent = mode === 'sent' ? T.rThanks + ' ' + '\u2605\u2605\u2605\u2605\u2605\u2606\u2606\u2606\u2606\u2606'.substr(5 - score, 5)
        : mode === 'failed' ? T.failed + ': ' + (T.errors[r.why] || r.why)
        : mode === 'pending' ? (connected ? T.cSending : T.cQueued) : '';
    node.kfStat.className = 'kf-note' + (mode === 'sent' ? ' kf-ok' : mode === 'failed' ? ' kf-bad' : '');
  }

  function bindEvents(closeBtn, sendBtn) {
    ui.launcher.addEventListener('click', function () {
      unlockAudio();
      if (panelOpen) closePanel(true);
      else openPanel(true);
    });
    closeBtn.addEventListener('click', function () { closePanel(true); });
    sendBtn.addEventListener('click', function () {
      unlockAudio();
      submitDraft();
      ui.input.focus();
    });
    ui.input.addEventListener('input', onDraftInput);
    ui.input.addEventListener('keydown', function (e) {
      // keyCode 229 / isComposing: Enter that confirms a Chinese IME candidate must not send.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        unlockAudio();
        submitDraft();
      }
    });
    ui.panel.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') closePanel(true);
    });
    ui.list.addEventListener('click', function (e) {
      var target = e.target;
      if (target && target.getAttribute && target.getAttribute('data-kefu') === 'retry') {
        retryFailed(target.getAttribute('data-for'));
      }
    });
    ui.attach.addEventListener('click', function () { ui.picker.click(); });
    ui.picker.addEventListener('change', function () {
      attachFiles(ui.picker.files);
      ui.picker.value = ''; // choosing the same file again fires change again
    });
    // Screenshots pasted from the clipboard; text pasted from office apps often comes with an
    // image of itself, so anything that has text stays a text paste.
    ui.panel.addEventListener('paste', function (e) {
      var data = e.clipboardData;
      if (!data || !data.files || !data.files.length || data.getData('text/plain')) return;
      e.preventDefault();
      attachFiles(data.files);
    });
    ui.panel.addEventListener('dragover', function (e) {
      if (!draggingFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      ui.wrap.className = ui.wrap.className.replace(/ kf-drag/g, '') + ' kf-drag';
    });
    ui.panel.addEventListener('dragleave', endDrag);
    ui.panel.addEventListener('drop', function (e) {
      endDrag();
      if (!draggingFiles(e)) return;
      e.preventDefault();
      attachFiles(e.dataTransfer.files);
    });
    document.addEventListener('pointerdown', unlockAudio, true);
    document.addEventListener('keydown', unlockAudio, true);
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) return;
      markRead();
      renderBadge();
      wake(); // timers are slowed in background tabs
    });
  }

  function draggingFiles(e) {
    var types = (e.dataTransfer && e.dataTransfer.types) || [];
    for (var i = 0; i < types.length; i++) if (types[i] === 'Files') return true;
    return false;
  }

  function endDrag() {
    ui.wrap.className = ui.wrap.className.replace(/ kf-drag/g, '');
  }

  function openPanel(byUser) {
    panelOpen = true;
    session.set('open', true);
    if (!ui) return;
    ui.panel.className = 'kf-panel';
    ui.wrap.className = 'kf-root kf-open kf-' + cfg.position;
    markRead();
    renderAll(true);
    if (byUser) ui.input.focus();
    wake();
    emit('open');
  }

  function closePanel(byUser) {
    panelOpen = false;
    session.set('open', false);
    if (!ui) return;
    ui.panel.className = 'kf-panel kf-hide';
    ui.wrap.className = 'kf-root kf-' + cfg.position;
    renderBadge();
    if (byUser === true) ui.launcher.focus();
    emit('close');
  }

  function renderAll(scrollToEnd) {
    if (!ui) return;
    renderMessages(scrollToEnd);
    renderBadge();
    renderStatus();
    toggle(ui.notice, typingPreview);
    renderDesk();
  }

  function toggle(node, visible) {
    var cls = node.className.replace(/ ?kf-hide/g, '');
    node.className = visible ? cls : cls + ' kf-hide';
  }

  function renderBadge() {
    if (!ui) return;
    var n = unreadCount();
    ui.badge.textContent = n > 99 ? '99+' : String(n);
    toggle(ui.badge, n > 0 && !(panelOpen && !document.hidden));
  }

  function renderStatus() {
    if (!ui) return;
    var text;
    if (stoppedFor) text = T.unavailable + ' (' + stoppedFor + ')';
    else if (connected) text = agentName() ? agentName() + T.servedBy : T.online;
    else if (navigator.onLine === false) text = T.offline;
    else text = T.connecting;
    ui.status.textContent = text;
    ui.host.setAttribute('data-connected', connected ? 'true' : 'false');
    ui.host.setAttribute('data-transport', transport ? transport.kind : '');
  }

  function agentName() {
    var c = currentConv();
    return c && c.agentName;
  }

  function showHint(text) {
    ui.hint.textContent = text;
    toggle(ui.hint, !!text);
  }

  function showAgentTyping() {
    if (!ui) return;
    toggle(ui.typing, true);
    clearTimeout(typingTimeout);
    typingTimeout = setTimeout(function () { toggle(ui.typing, false); }, 4000);
  }

  function autoGrow() {
    var input = ui.input;
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }

  // Rebuilds the order of the list from the model, reusing the element of each message.
  function renderMessages(scrollToEnd) {
    var list = ui.list;
    var nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    var wanted = [ui.greeting];
    var seen = {};
    var held = !awaitingIdentity; // awaiting: nothing of the signed-in user may show
    var rc = held && rateConv();
    var rm = rc && rateMode(rc);
    for (var i = 0; held && i < convs.length; i++) {
      var c = convs[i];
      var h = histOf(c.id);
      var agentRead = readOf(c.id).agent;
      for (var j = 0; j < h.m.length; j++) wanted.push(messageNode(heldItem(c.id, h.m[j], agentRead), seen));
      if (c.status === 'closed' && h.m.length) wanted.push(systemNode('end:' + c.id, T.ended, seen));
      if (c === rc && rm) {
        renderRateCard(rm, c);
        wanted.push(ui.rate);
      }
    }
    for (var k = 0; held && k < outbox.length; k++) {
      // Another tab's stale outbox may still list a message we already hold: show it once.
      if (!seen['c:' + outbox[k].cid]) wanted.push(messageNode(outboxItem(outbox[k]), seen));
    }
    var cm = held && contactMode();
    if (cm) {
      renderContactCard(cm);
      wanted.push(ui.contact);
    }
    if (!rm && ui.rate.parentNode) list.removeChild(ui.rate);
    if (!cm && ui.contact.parentNode) list.removeChild(ui.contact);

    for (var key in nodes) {
      if (nodes.hasOwnProperty(key) && !seen[key]) {
        if (nodes[key].parentNode) nodes[key].parentNode.removeChild(nodes[key]);
        delete nodes[key];
      }
    }
    for (var n = 0; n < wanted.length; n++) {
      if (list.childNodes[n] !== wanted[n]) list.insertBefore(wanted[n], list.childNodes[n] || null);
    }
    if (scrollToEnd || nearEnd) list.scrollTop = list.scrollHeight;
  }

  function heldItem(conv, m, agentRead) {
    var mine = fromVisitor(m);
    return {
      key: m.cid ? 'c:' + m.cid : 's:' + conv + ':' + m.seq,
      mine: mine,
      state: mine && m.seq <= agentRead ? 'read' : 'sent',
      cid: m.cid, seq: m.seq, ts: m.ts, name: mine ? '' : m.from.name,
      kind: m.kind, file: m.file, text: displayText(m)
    };
  }

  function outboxItem(e) {
    var lost = e.lost && !ups[e.cid]; // the bytes went with an earlier page: nothing to retry
    return {
      key: 'c:' + e.cid, mine: true, state: e.state, cid: e.cid, ts: e.ts, kind: e.kind, file: e.file,
      text: e.kind ? displayText({ kind: e.kind, file: { name: e.name, size: e.size } }) : e.body,
      reason: e.state !== 'failed' ? '' : lost ? T.lost : e.reason === 'upload' ? T.uploadFailed + ': ' + e.why
          : T.failed + (e.reason ? ': ' + (T.errors[e.reason] || e.why || e.reason) : ''),
      why: e.why, lost: lost
    };
  }

  function displayText(m) {
    var f = m.file || {};
    if (!FILE_KINDS[m.kind]) return typeof m.body === 'string' ? m.body : '';
    return T[m.kind] + (f.name ? ' ' + f.name : '') + (m.kind === 'file' && f.size > 0 ? ' (' + formatSize(f.size) + ')' : '');
  }

  function systemNode(key, text, seen) {
    seen[key] = true;
    return nodes[key] || (nodes[key] = el('div', 'kf-sys', 'system', text));
  }

  function messageNode(item, seen) {
    seen[item.key] = true;
    var node = nodes[item.key];
    if (!node) node = nodes[item.key] = buildMessage(item);
    updateMessage(node, item);
    return node;
  }

  function buildMessage(item) {
    var node = el('div', 'kf-msg ' + (item.mine ? 'kf-me' : 'kf-them'), 'msg');
    node.setAttribute('data-from', item.mine ? 'visitor' : 'agent');
    var bubble = el('div', 'kf-bubble', 'text');
    if (FILE_KINDS[item.kind]) buildMedia(node, bubble, item);
    else appendLinkified(bubble, item.text);
    node.kfMeta = el('div', 'kf-meta');
    node.kfTime = el('span', 'kf-time');
    node.kfState = el('span', 'kf-st', 'state');
    node.kfMeta.appendChild(node.kfTime);
    if (item.mine) node.kfMeta.appendChild(node.kfState);
    node.kfErr = el('div', 'kf-err kf-hide', 'error');
    node.kfReason = el('span');
    var retry = el('button', 'kf-retry', 'retry', T.retry);
    retry.type = 'button';
    node.kfRetry = retry;
    node.kfErr.appendChild(node.kfReason);
    node.kfErr.appendChild(retry);
    node.appendChild(bubble);
    node.appendChild(node.kfMeta);
    node.appendChild(node.kfErr);
    return node;
  }

  // An image shows its name until the picture has loaded; a file is a button that opens it.
  function buildMedia(node, bubble, item) {
    bubble.className += ' kf-media';
    var open = function () {
      if (node.kfKey) openFile(node.kfKey);
    };
    if (item.kind === 'image') {
      var img = node.kfImg = el('img', 'kf-img kf-hide', 'image');
      var caption = el('span', 'kf-cap', null, item.text);
      img.alt = item.text;
      img.addEventListener('load', function () {
        var list = ui.list;
        var nearEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
        toggle(img, true);
        toggle(caption, false);
        if (nearEnd) list.scrollTop = list.scrollHeight;
      });
      img.addEventListener('click', open);
      bubble.appendChild(img);
      bubble.appendChild(caption);
    } else {
      var link = el('button', 'kf-file', 'file', item.text);
      link.type = 'button';
      link.addEventListener('click', open);
      bubble.appendChild(link);
    }
    node.kfBar = el('div', 'kf-bar', 'progress');
    node.kfBar.setAttribute('role', 'progressbar');
    node.kfFill = el('div', 'kf-fill');
    node.kfBar.appendChild(node.kfFill);
    bubble.appendChild(node.kfBar);
  }

  // The preview of an image asks the relay for a signed URL once the panel is open (not for every
  // image of the history on every page view).
  function updateMedia(node, item) {
    var key = item.file && item.file.key;
    toggle(node.kfBar, item.state === 'uploading');
    if (item.state === 'uploading') showProgress(item.cid, ups[item.cid] ? ups[item.cid].pct : 0);
    if (!key) return;
    node.kfKey = key;
    if (!node.kfImg || node.kfAsked || !panelOpen) return;
    node.kfAsked = true;
    fileUrl(key, function (url) {
      if (url) node.kfImg.src = url; // a URL from our relay, set as a property: never markup
      else node.kfAsked = false;
    });
  }

  var STATE_MARKS = { uploading: '\u2191', pending: '\uD83D\uDD53', sent: '\u2713', read: '\u2713\u2713', failed: '!' };

  function updateMessage(node, item) {
    node.setAttribute('data-state', item.state);
    if (item.cid) node.setAttribute('data-cid', item.cid);
    if (item.seq != null) node.setAttribute('data-seq', String(item.seq));
    else node.removeAttribute('data-seq');
    node.kfTime.textContent = (item.name ? item.name + ' \u00b7 ' : '') + formatTime(item.ts);
    node.kfState.textContent = STATE_MARKS[item.state] + (item.state === 'read' ? ' ' + T.read : '');
    node.kfState.title = T[item.state];
    var failed = item.state === 'failed';
    toggle(node.kfErr, failed);
    if (failed) {
      node.kfReason.textContent = item.reason;
      node.kfReason.title = item.why || '';
      node.kfRetry.setAttribute('data-for', item.cid);
      node.kfRetry.textContent = item.lost ? T.remove : T.retry;
    }
    if (node.kfBar) updateMedia(node, item);
  }

  // Plain text plus http(s) links, built node by node: network text never becomes markup.
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;

  function appendLinkified(parent, text) {
    var last = 0;
    var m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]}\u3002\uff0c\uff01\uff1f\uff09]+$/, '');
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el('a', null, null, url);
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      parent.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(ts) {
    if (!ts) return '';
    var d = new Date(ts);
    var hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    return d.toDateString() === new Date().toDateString() ? hm : (d.getMonth() + 1) + '/' + d.getDate() + ' ' + hm;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  // ---------------------------------------------------------------- other tabs

  // Tabs share storage: pick up their outbox, history and read marks without writing back
  // (writing here would bounce events between tabs forever).
  window.addEventListener('storage', function (ev) {
    if (ev.key && ev.key.indexOf(PREFIX) !== 0) return;
    var key = ev.key ? ev.key.slice(PREFIX.length) : null;
    if (key === null || key === 'vid' || key === 'epoch' || key === 'uid') {
      var before = visitorId;
      visitorId = store.get('vid', visitorId);
      loadModel();
      nodes = {};
      if (ui) ui.list.textContent = '';
      if (visitorId !== before && transport) reconnectNow();
    } else if (key === 'outbox') {
      outbox = store.get('outbox', []);
      adoptUploads(); // another tab may have gone, handing its uploads on
    } else if (key === 'contact' || key === 'rate') {
      // another tab sent or answered them: just show it
    } else if (key === 'convs') {
      mergeConvs(store.get('convs', []));
    } else if (key === 'reads') {
      mergeReads(store.get('reads', {}));
    } else if (key.indexOf('h:') === 0) {
      mergeHistory(key.slice(2), store.get(key, null));
    } else {
      return;
    }
    renderAll();
  });

  function mergeConvs(theirs) {
    for (var i = 0; i < theirs.length; i++) {
      var c = findConv(theirs[i].id);
      if (!c) {
        convs.push(theirs[i]);
      } else {
        if (theirs[i].status === 'closed') c.status = 'closed';
        if (theirs[i].rating) c.rating = theirs[i].rating;
      }
    }
    convs.sort(function (a, b) { return a.at - b.at; });
    while (convs.length > CONV_CAP) delete hist[convs.shift().id];
  }

  function mergeReads(theirs) {
    for (var id in theirs) {
      if (!theirs.hasOwnProperty(id)) continue;
      var r = readOf(id);
      r.me = Math.max(r.me, theirs[id].me || 0);
      r.agent = Math.max(r.agent, theirs[id].agent || 0);
    }
  }

  function mergeHistory(conv, theirs) {
    if (!theirs || !findConv(conv)) return;
    var h = histOf(conv);
    for (var i = 0; i < theirs.m.length; i++) {
      if (!heldSeq(h, theirs.m[i].seq) && theirs.m[i].seq > h.c) h.m.push(theirs.m[i]);
    }
    h.m.sort(function (a, b) { return a.seq - b.seq; });
    h.c = Math.max(h.c, theirs.c);
    advanceContiguous(h);
    if (h.m.length > HISTORY_CAP) h.m.splice(0, h.m.length - HISTORY_CAP);
  }

  // ---------------------------------------------------------------- api

  var listeners = {};
  var ready = false;

  function emit(event, arg) {
    var fns = listeners[event] || [];
    for (var i = 0; i < fns.length; i++) {
      try {
        fns[i](arg);
      } catch (e) {
        if (window.console) console.error(e);
      }
    }
  }

  function identify(info) {
    if (!info || typeof info !== 'object') return;
    var next = {};
    var fields = ['name', 'email', 'userId', 'userHash'];
    for (var i = 0; i < fields.length; i++) {
      if (info[fields[i]] != null) next[fields[i]] = String(info[fields[i]]);
    }
    if (info.attrs && typeof info.attrs === 'object') next.attrs = info.attrs;
    var wasAwaiting = stopAwaitingIdentity();
    // What is stored was another signed-in user's, or this one's who is now signed out: none of it may show.
    var forgot = !!signedUser && (next.userId || null) !== signedUser;
    if (forgot) forgetVisitor();
    // Signed in as the stored user, the relay names the visitor: a host id would only drop what we hold.
    var idChanged = info.id != null && !(next.userId && next.userId === signedUser) && setVisitorId(String(info.id));
    var changed = forgot || idChanged || JSON.stringify(next) !== JSON.stringify(identity);
    identity = next;
    if (wasAwaiting) {
      // The page has said who is here: show what is theirs (if it is the same user) and connect.
      renderAll(true);
      connect();
      return;
    }
    if (!changed) return;
    dropSignedIdentity = false;
    var wasStopped = stoppedFor === 'bad_identity';
    if (wasStopped) stoppedFor = null;
    // Identity travels in hello only, so a live connection has to start over.
    if (transport || wasStopped) reconnectNow();
  }

  // A host-chosen visitor id replaces ours; what we held belonged to the other id, but for the
  // conversations in keep (optional, see forgetConvs).
  function setVisitorId(id, keep) {
    if (!ID_RE.test(id)) {
      warn('identify(): id must be 16-64 characters of A-Z a-z 0-9 _ -; ignored');
      return false;
    }
    if (id === visitorId) return false;
    forgetConvs(keep);
    visitorId = id;
    store.remove('contact');
    store.remove('rate');
    store.set('vid', id);
    renderAll();
    return true;
  }

  // Starts over as a new anonymous visitor: a new random id, nothing kept of the old one (its
  // conversations, outbox, pending contact and rating). On a sign-out, and whenever what is stored
  // belongs to a signed-in user other than the one on the page now (a shared computer).
  function forgetVisitor() {
    updateOutbox(function (list) {
      for (var i = 0; i < list.length; i++) if (list[i].kind) dropBytes(list[i].cid);
      list.length = 0;
    });
    urls = {};
    setVisitorId('v-' + randomString(20));
    setSignedUser(null);
  }

  // Returns whether we were awaiting the page's identify.
  function stopAwaitingIdentity() {
    var was = awaitingIdentity;
    awaitingIdentity = false;
    clearTimeout(identityTimer);
    identityTimer = 0;
    return was;
  }

  function setSignedUser(userId) {
    signedUser = userId;
    store.set('uid', userId);
  }

  // The host's user signed out: forget them in this browser and go on anonymously.
  function logout() {
    stopAwaitingIdentity();
    identity = {};
    dropSignedIdentity = false;
    forgetVisitor();
    if (stoppedFor === 'bad_identity') stoppedFor = null;
    if (ready) reconnectNow();
  }

  // Test hook (harmless): what a browser test needs to wait on.
  function debugState() {
    var conv = currentConv();
    return {
      transport: transport ? transport.kind : useWebSocket() ? 'ws' : 'lp',
      connected: connected,
      visitorId: visitorId,
      conv: conv ? conv.id : null,
      outbox: outbox.length,
      unread: unreadCount(),
      open: panelOpen,
      version: VERSION
    };
  }

  var API = {
    identify: identify,
    logout: logout,
    open: function () { openPanel(true); },
    close: function () { closePanel(false); },
    state: debugState,
    on: function (event, fn) {
      if (typeof fn !== 'function') return;
      (listeners[event] = listeners[event] || []).push(fn);
      if (event === 'ready' && ready) setTimeout(function () { fn(); }, 0);
    }
  };

  function Kefu(command) {
    var fn = API[command];
    if (!fn) {
      warn('unknown command: ' + command);
      return undefined;
    }
    return fn.apply(null, Array.prototype.slice.call(arguments, 1));
  }
  Kefu.loaded = true;
  Kefu.version = VERSION;
  try {
    Object.defineProperty(Kefu, 'debug', { get: debugState });
  } catch (e) { /* very old engine: Kefu('state') still works */ }

  function warn(text) {
    if (window.console && console.warn) console.warn('[kefu] ' + text);
  }

  // ---------------------------------------------------------------- start

  window.Kefu = Kefu;
  // Calls made through the stub before we loaded, in their order (identify before hello).
  var queued = previous && previous.q;
  if (queued) {
    for (var q = 0; q < queued.length; q++) Kefu.apply(null, queued[q]);
  }

  function start() {
    // The stored visitor was signed in, and the page signs someone else in: nothing of theirs may
    // show. If the page has signed nobody in yet, it may still: wait a little for its identify, and
    // if none comes, the user signed out without Kefu('logout'): start over anonymously.
    if (signedUser && identity.userId && identity.userId !== signedUser) forgetVisitor();
    else if (signedUser && !identity.userId) {
      awaitingIdentity = true;
      identityTimer = setTimeout(function () {
        if (!stopAwaitingIdentity()) return;
        forgetVisitor();
        renderAll(true);
        connect();
      }, cfg.identifyWaitMs);
    }
    sweepLostUploads();
    mount();
    hookHistory();
    if (session.get('open', false)) openPanel(false);
    renderAll(true);
    connect();
    ready = true;
    emit('ready');
  }

  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})(window, document);

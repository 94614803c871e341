'use strict';
// Just enough of a browser to run widget.js under Node, with no dependencies: a DOM with an
// open shadow root, localStorage shared between "tabs", a WebSocket and an XMLHttpRequest the
// test drives by hand (FormData bodies and upload progress included), window.open, an IndexedDB
// shared like localStorage, and a clock the test advances. Not a general-purpose DOM.

const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const { webcrypto } = require('node:crypto');

// The readable source by default; KEFU_WIDGET names another build of it, e.g. the minified
// target/classes/kefu/widget/widget.min.js that the relay serves (NodeSuiteTest runs both).
const WIDGET = process.env.KEFU_WIDGET
  ? path.resolve(process.env.KEFU_WIDGET)
  : path.join(__dirname, '../../main/resources/kefu/widget/widget.js');
const SOURCE = fs.readFileSync(WIDGET, 'utf8');
const STUB = 'window.Kefu=window.Kefu||function(){(Kefu.q=Kefu.q||[]).push(arguments)};';

class Clock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.nextId = 1;
  }
  set(fn, ms, every) {
    const id = this.nextId++;
    this.timers.set(id, { fn, at: this.now + Math.max(0, ms || 0), every });
    return id;
  }
  clear(id) {
    this.timers.delete(id);
  }
  // Runs every timer due within ms, in time order, including ones scheduled meanwhile.
  tick(ms = 0) {
    const end = this.now + ms;
    for (;;) {
      let due = null;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (!due || t.at < due.t.at)) due = { id, t };
      }
      if (!due) break;
      this.now = due.t.at;
      if (due.t.every) due.t.at += due.t.every;
      else this.timers.delete(due.id);
      due.t.fn();
    }
    this.now = end;
  }
}

class FakeNode {
  constructor() {
    this.childNodes = [];
    this.parentNode = null;
    this.listeners = {};
  }
  appendChild(n) {
    return this.insertBefore(n, null);
  }
  insertBefore(n, ref) {
    if (n.parentNode) n.parentNode.removeChild(n);
    const at = ref ? this.childNodes.indexOf(ref) : -1;
    if (ref && at < 0) throw new Error('reference node is not a child');
    if (at < 0) this.childNodes.push(n);
    else this.childNodes.splice(at, 0, n);
    n.parentNode = this;
    return n;
  }
  removeChild(n) {
    const at = this.childNodes.indexOf(n);
    if (at < 0) throw new Error('not a child');
    this.childNodes.splice(at, 1);
    n.parentNode = null;
    return n;
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join('');
  }
  set textContent(v) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    if (v !== '' && v != null) this.appendChild(new FakeText(String(v)));
  }
  addEventListener(type, fn) {
    (this.listeners[type] = this.listeners[type] || []).push(fn);
  }
  removeEventListener(type, fn) {
    const l = this.listeners[type] || [];
    if (l.indexOf(fn) >= 0) l.splice(l.indexOf(fn), 1);
  }
  // Bubbles through parents and out of shadow roots, like a composed event.
  dispatch(type, props = {}) {
    const ev = Object.assign({ type, target: this, defaultPrevented: false }, props);
    ev.preventDefault = () => { ev.defaultPrevented = true; };
    for (let n = this; n; n = n.parentNode || n.host) {
      for (const fn of (n.listeners[type] || []).slice()) fn.call(n, ev);
    }
    return ev;
  }
  all(test, out = []) {
    for (const c of this.childNodes) {
      if (c instanceof FakeElement && test(c)) out.push(c);
      c.all(test, out);
    }
    return out;
  }
}

class FakeText extends FakeNode {
  constructor(text) {
    super();
    this.data = text;
  }
  get textContent() {
    return this.data;
  }
  set textContent(v) {
    this.data = String(v);
  }
}

class FakeElement extends FakeNode {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.className = '';
    this.value = '';
    this.scrollTop = 0;
    this.scrollHeight = 0;
    this.clientHeight = 0;
    this.style = { setProperty(k, v) { this[k] = v; } };
  }
  setAttribute(k, v) {
    this.attributes[k] = String(v);
  }
  getAttribute(k) {
    return k in this.attributes ? this.attributes[k] : null;
  }
  removeAttribute(k) {
    delete this.attributes[k];
  }
  attachShadow(opts) {
    const root = new FakeNode();
    root.host = this;
    root.mode = opts.mode;
    root.adoptedStyleSheets = [];
    this.shadowRoot = root;
    return root;
  }
  focus() {}
  click() {
    this.dispatch('click');
  }
  hook() {
    return this.getAttribute('data-kefu');
  }
  hidden() {
    return /\bkf-hide\b/.test(this.className);
  }
}

class FakeDocument extends FakeNode {
  constructor() {
    super();
    this.documentElement = new FakeElement('html');
    this.head = new FakeElement('head');
    this.body = new FakeElement('body');
    this.documentElement.appendChild(this.head);
    this.documentElement.appendChild(this.body);
    this.title = 'Shop';
    this.referrer = 'https://search.test/';
    this.hidden = false;
    this.currentScript = null;
  }
  createElement(tag) {
    return new FakeElement(tag);
  }
  createElementNS(ns, tag) {
    return new FakeElement(tag);
  }
  createTextNode(text) {
    return new FakeText(text);
  }
  querySelectorAll() {
    return [];
  }
}

// One origin's localStorage, shared by every tab of a test; storage events are queued and
// delivered by deliver(), as browsers deliver them later and only to the other tabs.
class SharedStorage {
  constructor() {
    this.data = new Map();
    this.tabs = [];
    this.queue = [];
    this.idb = new SharedIndexedDB();
  }
  view(win) {
    this.tabs.push(win);
    const shared = this;
    return {
      getItem: (k) => (shared.data.has(k) ? shared.data.get(k) : null),
      setItem: (k, v) => {
        shared.data.set(k, String(v));
        shared.notify(win, k);
      },
      removeItem: (k) => {
        shared.data.delete(k);
        shared.notify(win, k);
      }
    };
  }
  notify(from, key) {
    for (const w of this.tabs) if (w !== from) this.queue.push({ w, key });
  }
  deliver() {
    const q = this.queue;
    this.queue = [];
    for (const { w, key } of q) w.fire('storage', { key });
  }
}

// The same origin's IndexedDB: databases of object stores (key -> structured clone of the value).
// Just the asynchronous shape the widget uses: open (onupgradeneeded/onsuccess/onerror), one
// transaction per request (objectStore put/get/delete; oncomplete/onabort). Every request answers
// on the clock of the tab that made it (tick(0)), a transaction's requests all at once at commit.
// fail = 'open' refuses to open (private mode), 'write' aborts every readwrite transaction (quota).
class SharedIndexedDB {
  constructor() {
    this.dbs = new Map(); // name -> Map(store name -> Map(key -> value))
    this.fail = null;
  }
  // The values of one store, e.g. values('kefu:demo:files', 'files'); [] if there is none.
  values(db, store) {
    const stores = this.dbs.get(db);
    return stores && stores.has(store) ? [...stores.get(store).values()] : [];
  }
  put(db, store, key, value) {
    if (!this.dbs.has(db)) this.dbs.set(db, new Map());
    if (!this.dbs.get(db).has(store)) this.dbs.get(db).set(store, new Map());
    this.dbs.get(db).get(store).set(key, structuredClone(value));
  }
  view(clock) {
    const shared = this;
    const later = (fn) => clock.set(fn, 0, 0);
    function connection(stores) {
      return {
        createObjectStore(name) {
          stores.set(name, new Map());
        },
        transaction(name, mode) {
          if (!stores.has(name)) throw new Error('NotFoundError: no object store ' + name);
          const data = stores.get(name);
          const ops = [];
          const tx = {
            objectStore() {
              const request = (op) => {
                const req = { result: undefined };
                if (!ops.length) later(commit);
                ops.push(() => { req.result = op(); });
                return req;
              };
              return {
                put: (value, key) => request(() => { data.set(key, structuredClone(value)); return key; }),
                get: (key) => request(() => (data.has(key) ? structuredClone(data.get(key)) : undefined)),
                delete: (key) => request(() => { data.delete(key); })
              };
            }
          };
          function commit() {
            if (mode === 'readwrite' && shared.fail === 'write') {
              if (tx.onabort) tx.onabort({});
              return;
            }
            for (const op of ops) op();
            if (tx.oncomplete) tx.oncomplete({});
          }
          return tx;
        }
      };
    }
    return {
      open(name) {
        const req = {};
        later(() => {
          if (shared.fail === 'open') {
            if (req.onerror) req.onerror({});
            return;
          }
          const fresh = !shared.dbs.has(name);
          if (fresh) shared.dbs.set(name, new Map());
          req.result = connection(shared.dbs.get(name));
          if (fresh && req.onupgradeneeded) req.onupgradeneeded({});
          if (req.onsuccess) req.onsuccess({});
        });
        return req;
      }
    };
  }
}

class PrivateStorage {
  constructor() {
    this.data = new Map();
  }
  getItem(k) {
    return this.data.has(k) ? this.data.get(k) : null;
  }
  setItem(k, v) {
    this.data.set(k, String(v));
  }
  removeItem(k) {
    this.data.delete(k);
  }
}

// Boots one tab: a fresh page with the widget tag on it. Returns handles to drive it.
function boot(options = {}) {
  const clock = new Clock();
  const doc = new FakeDocument();
  const sockets = [];
  const xhrs = [];
  const opened = [];
  const script = new FakeElement('script');
  script.src = 'https://relay.test/widget.js';
  const attrs = Object.assign({ 'data-site': 'demo', 'data-lang': 'zh' }, options.attrs || {});
  for (const k of Object.keys(attrs)) script.setAttribute(k, attrs[k]);
  doc.currentScript = script;

  const windowListeners = {};
  const win = {
    document: doc,
    navigator: { language: 'zh-CN', onLine: true },
    location: { href: 'https://shop.test/', protocol: 'https:', host: 'shop.test' },
    crypto: webcrypto,
    console: options.console || { warn() {}, error: console.error },
    setTimeout: (fn, ms) => clock.set(fn, ms, 0),
    clearTimeout: (id) => clock.clear(id),
    setInterval: (fn, ms) => clock.set(fn, ms, ms),
    clearInterval: (id) => clock.clear(id),
    CSSStyleSheet: class { replaceSync(text) { this.text = text; } },
    // Every current browser has CSS.supports; a rough colour check is enough here.
    CSS: { supports: (prop, value) => prop === 'color' && /^(#[0-9a-f]{3,8}|[a-z]+|rgba?\([\d\s.,%]+\))$/i.test(value) },
    XMLHttpRequest: class FakeXHR {
      constructor() {
        this.readyState = 0;
        this.status = 0;
        this.responseText = '';
        this.headers = {};
        this.upload = {};
        xhrs.push(this);
      }
      open(method, url) {
        this.method = method;
        this.url = url;
        this.readyState = 1;
      }
      setRequestHeader(k, v) {
        this.headers[k] = v;
      }
      send(body) {
        this.body = body;
        this.sentBody = typeof body === 'string' ? JSON.parse(body) : body;
      }
      progress(loaded, total) {
        this.upload.onprogress({ lengthComputable: true, loaded, total });
      }
      abort() {
        this.aborted = true;
        this.finish(0, '');
      }
      respond(status, json) {
        this.finish(status, typeof json === 'string' ? json : JSON.stringify(json));
      }
      finish(status, text) {
        if (this.readyState === 4) return;
        this.status = status;
        this.responseText = text;
        this.readyState = 4;
        if (this.onreadystatechange) this.onreadystatechange();
      }
    },
    // FormData keeps its entries in order, as the multipart body would list them.
    FormData: class FakeFormData {
      constructor() {
        this.entries = [];
      }
      append(name, value) {
        this.entries.push([name, value]);
      }
    },
    open(url, target) {
      const w = { url, target, opener: 'the page', location: { href: url }, closed: false, close() { this.closed = true; } };
      opened.push(w);
      return w;
    },
    addEventListener(type, fn) {
      (windowListeners[type] = windowListeners[type] || []).push(fn);
    },
    removeEventListener() {},
    fire(type, props = {}) {
      for (const fn of (windowListeners[type] || []).slice()) fn(Object.assign({ type }, props));
    }
  };
  if (options.webSocket !== false) {
    win.WebSocket = class FakeWebSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.sent = [];
        sockets.push(this);
      }
      send(data) {
        if (this.readyState !== 1) throw new Error('not open');
        this.sent.push(JSON.parse(data));
      }
      close(code) {
        this.readyState = 3; // a browser reports onclose later; the widget has moved on by then
        this.closedWith = code;
      }
      open() {
        this.readyState = 1;
        this.onopen({});
      }
      receive(frame) {
        this.onmessage({ data: JSON.stringify(frame) });
      }
      drop(code = 1006) {
        this.readyState = 3;
        this.onclose({ code });
      }
    };
  }
  win.window = win;
  win.history = {
    pushState(state, title, url) { win.location.href = new URL(url, win.location.href).href; },
    replaceState(state, title, url) { win.location.href = new URL(url, win.location.href).href; }
  };
  const shared = options.storage || new SharedStorage();
  win.localStorage = shared.view(win);
  if (options.indexedDB !== false && shared.idb) win.indexedDB = shared.idb.view(clock);
  win.sessionStorage = options.sessionStorage || new PrivateStorage();

  vm.createContext(win);
  if (options.stub !== false) vm.runInContext(STUB + (options.before || ''), win);
  vm.runInContext(SOURCE, win, { filename: path.basename(WIDGET) });

  const host = doc.body.childNodes.find((n) => n.id === 'kefu-widget');
  const root = host && host.shadowRoot;
  const tab = {
    win, doc, clock, sockets, xhrs, opened, storage: shared, host, root,
    kefu: (...args) => win.Kefu(...args),
    state: () => JSON.parse(JSON.stringify(win.Kefu('state'))),
    ws: () => sockets[sockets.length - 1],
    hook: (name) => root.all((e) => e.hook() === name)[0],
    hooks: (name) => root.all((e) => e.hook() === name),
    messages: () => root.all((e) => e.hook() === 'msg').map((e) => ({
      from: e.getAttribute('data-from'),
      state: e.getAttribute('data-state'),
      cid: e.getAttribute('data-cid'),
      seq: e.getAttribute('data-seq'),
      text: e.all((c) => c.hook() === 'text')[0].textContent,
      node: e
    })),
    type(text) {
      const input = tab.hook('input');
      input.value = text;
      input.dispatch('input');
    },
    send(text) {
      tab.type(text);
      tab.hook('send').dispatch('click');
    },
    // Files chosen in the attach button's file picker.
    attach(...files) {
      const picker = tab.hook('picker');
      picker.files = files;
      picker.dispatch('change');
    },
    // The requests made to a path of the relay or storage, e.g. '/api/files/policy'.
    requests(part) {
      return xhrs.filter((x) => x.url.indexOf(part) >= 0);
    },
    // The frames the widget sent on the newest socket, optionally only of one type.
    sent(type) {
      const ws = tab.ws();
      return ws ? ws.sent.filter((f) => !type || f.type === type) : [];
    }
  };
  return tab;
}

module.exports = { boot, SharedStorage, PrivateStorage, SharedIndexedDB };

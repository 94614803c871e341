'use strict';
// The Socket.IO peer of the Kefu load test (issue 8): the same job as the Kefu relay, done the
// usual Node way, so the same load generator can measure both on the same box.
//
// Fair variant: every message is stored in SQLite (WAL, synchronous=FULL, like the relay) and
// acked only after its transaction committed; writes are batched, one transaction per event-loop
// turn (group commit). Same frames as the Kefu protocol, carried as Socket.IO events
// ("frame", {...}): hello/welcome with resume, send/ack with per-sender cid dedup, msg fan-out to
// the conversation's visitor and every agent, gapless seq per conversation, accept, ping/pong.
// Not here: Kefu's own long-poll (the load generator drives Socket.IO's Engine.IO polling
// transport for its long-poll share instead), files, tracking, typing, read receipts, transfer,
// close.
//
//   node server.js --port 8090 --data ./peer-data --password PASSWORD [--heartbeat-sec 25]
// Prints "socketio peer ready: http://127.0.0.1:PORT" once listening.

const http = require('http');
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Server } = require('socket.io');
const Database = require('better-sqlite3');

const args = parseArgs(process.argv.slice(2));
const PORT = Number(args.port || 8090);
const HOST = args.host || '127.0.0.1';
const DATA = args.data || './peer-data';
const PASSWORD = args.password || 'loadtest-password';
const HEARTBEAT_SEC = Number(args['heartbeat-sec'] || 25);

fs.mkdirSync(DATA, { recursive: true });
const db = new Database(path.join(DATA, 'peer.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, visitor_id TEXT NOT NULL, status TEXT NOT NULL,
    agent_id TEXT, last_seq INTEGER NOT NULL, created_at INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS conv_visitor ON conversations(site, visitor_id, status);
  CREATE TABLE IF NOT EXISTS messages (
    conv TEXT NOT NULL, seq INTEGER NOT NULL, cid TEXT NOT NULL, sender_key TEXT NOT NULL,
    from_role TEXT NOT NULL, from_id TEXT NOT NULL, from_name TEXT, kind TEXT NOT NULL,
    body TEXT, ts INTEGER NOT NULL, PRIMARY KEY (conv, seq), UNIQUE (sender_key, cid));
`);

const q = {
  convById: db.prepare('SELECT * FROM conversations WHERE id = ?'),
  liveConvs: db.prepare("SELECT * FROM conversations WHERE status != 'closed' ORDER BY created_at"),
  visitorConvs: db.prepare("SELECT * FROM conversations WHERE site = ? AND visitor_id = ? AND status != 'closed'"),
  insertConv: db.prepare('INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?)'),
  bumpConv: db.prepare('UPDATE conversations SET last_seq = ?, status = ?, agent_id = ? WHERE id = ?'),
  insertMsg: db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
  msgByCid: db.prepare('SELECT * FROM messages WHERE sender_key = ? AND cid = ?'),
  msgsAfter: db.prepare('SELECT * FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?'),
};

// Conversations are cached in memory once read; the database stays the truth across restarts.
const convs = new Map();
function conv(id) {
  if (!convs.has(id)) {
    const row = q.convById.get(id);
    if (!row) return null;
    convs.set(id, row);
  }
  return convs.get(id);
}

const tokens = new Map(); // token -> agent {id, name}
const agentSockets = new Set();
const visitorSockets = new Map(); // site/visitorId -> Set<socket>

// ---- HTTP: login, metrics, health ----
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/login') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let u;
      try { u = JSON.parse(body); } catch (e) { u = {}; }
      if (!u.username || u.password !== PASSWORD) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"bad credentials"}');
        return;
      }
      const token = crypto.randomBytes(24).toString('hex');
      const agent = { id: 'a-' + u.username, name: u.username };
      tokens.set(token, agent);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, expiresAt: Date.now() + 86400000, agent }));
    });
    return;
  }
  if (req.url === '/metrics') {
    const m = process.memoryUsage();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`nodejs_heap_size_used_bytes ${m.heapUsed}\nkefu_connections ${io.engine.clientsCount}\n`
      + `kefu_store_queue ${pending.length}\nkefu_messages_stored_total ${storedTotal}\n`);
    return;
  }
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"up"}');
    return;
  }
  res.writeHead(404);
  res.end();
});

const io = new Server(server, {
  transports: ['websocket', 'polling'],
  perMessageDeflate: false,
  pingInterval: HEARTBEAT_SEC * 1000,
  pingTimeout: HEARTBEAT_SEC * 1000,
  maxHttpBufferSize: 1e6,
  serveClient: false,
});

io.on('connection', (socket) => {
  socket.data.state = 'hello';
  socket.on('frame', (f) => {
    try {
      handle(socket, f);
    } catch (e) {
      emit(socket, { type: 'error', code: 'bad_frame', message: String(e && e.message) });
    }
  });
  socket.on('disconnect', () => {
    agentSockets.delete(socket);
    if (socket.data.visitorKey) {
      const set = visitorSockets.get(socket.data.visitorKey);
      if (set) {
        set.delete(socket);
        if (set.size === 0) visitorSockets.delete(socket.data.visitorKey);
      }
    }
  });
});

function emit(socket, frame) {
  socket.emit('frame', frame);
}

function handle(socket, f) {
  if (!f || typeof f.type !== 'string') {
    emit(socket, { type: 'error', code: 'bad_frame', message: 'a frame is an object with a type' });
    return;
  }
  if (socket.data.state === 'hello') {
    if (f.type !== 'hello') {
      emit(socket, { type: 'error', code: 'hello_required', message: 'hello first' });
      socket.disconnect(true);
      return;
    }
    hello(socket, f);
    return;
  }
  switch (f.type) {
    case 'send': return send(socket, f);
    case 'accept': return accept(socket, f);
    case 'ping': return emit(socket, { type: 'pong' });
    case 'pong': return undefined;
    default: return emit(socket, { type: 'error', code: 'unknown_type', message: f.type });
  }
}

function convInfo(c) {
  return { id: c.id, site: c.site, status: c.status, visitor: c.visitor_id, agent: c.agent_id || undefined,
    lastSeq: c.last_seq, createdAt: c.created_at };
}

function toMsg(m) {
  return { type: 'msg', conv: m.conv, seq: m.seq, cid: m.cid,
    from: { role: m.from_role, id: m.from_id, name: m.from_name || undefined }, kind: m.kind, body: m.body, ts: m.ts };
}

function hello(socket, f) {
  let list;
  if (f.role === 'agent') {
    const agent = tokens.get(f.token);
    if (!agent) {
      emit(socket, { type: 'error', code: 'bad_token', message: 'log in again' });
      socket.disconnect(true);
      return;
    }
    socket.data.agent = agent;
    socket.data.sender = { role: 'agent', id: agent.id, name: agent.name, key: 'agent:' + agent.id };
    list = q.liveConvs.all();
    agentSockets.add(socket);
  } else {
    const v = f.visitor || {};
    if (!f.site || typeof v.id !== 'string' || v.id.length < 16) {
      emit(socket, { type: 'error', code: 'bad_identity', message: 'visitor.id' });
      socket.disconnect(true);
      return;
    }
    socket.data.site = f.site;
    socket.data.visitorId = v.id;
    socket.data.visitorKey = f.site + '/' + v.id;
    socket.data.sender = { role: 'visitor', id: v.id, name: v.name, key: 'visitor:' + f.site + '/' + v.id };
    list = q.visitorConvs.all(f.site, v.id);
    if (!visitorSockets.has(socket.data.visitorKey)) visitorSockets.set(socket.data.visitorKey, new Set());
    visitorSockets.get(socket.data.visitorKey).add(socket);
  }
  for (const c of list) convs.set(c.id, c);
  socket.data.state = 'ready';
  emit(socket, { type: 'welcome', session: socket.id,
    you: { role: socket.data.sender.role, id: socket.data.sender.id },
    conversations: list.map(convInfo), heartbeatSec: HEARTBEAT_SEC, serverTime: Date.now() });
  // Replay: resumed conversations from their position, every other live one from the start. Reads
  // and the live fan-out run on this one thread, so nothing committed slips between them.
  const resume = f.resume && typeof f.resume === 'object' ? f.resume : {};
  const from = new Map();
  for (const [id, pos] of Object.entries(resume)) {
    const c = conv(id);
    if (c && mayUse(socket, c)) from.set(id, Math.max(0, Number(pos) || 0));
  }
  for (const c of list) if (!from.has(c.id)) from.set(c.id, 0);
  for (const [id, pos] of from) {
    let after = pos;
    for (;;) {
      const page = q.msgsAfter.all(id, after, 500);
      for (const m of page) emit(socket, toMsg(m));
      if (page.length < 500) break;
      after = page[page.length - 1].seq;
    }
  }
}

function mayUse(socket, c) {
  if (socket.data.agent) return true;
  return c.site === socket.data.site && c.visitor_id === socket.data.visitorId;
}

// ---- group commit: every write of one event-loop turn in one transaction, acks after COMMIT ----
let pending = [];
let storedTotal = 0;
let flushScheduled = false;

function send(socket, f) {
  if (typeof f.cid !== 'string' || !f.cid || f.cid.length > 128) {
    emit(socket, { type: 'error', code: 'bad_frame', message: 'cid', cid: f.cid });
    return;
  }
  if (typeof f.body !== 'string' || !f.body.trim()) {
    emit(socket, { type: 'error', code: 'bad_frame', message: 'body', cid: f.cid });
    return;
  }
  if (socket.data.agent && !f.conv) {
    emit(socket, { type: 'error', code: 'bad_frame', message: "an agent's send names its conversation", cid: f.cid });
    return;
  }
  pending.push({ socket, f, sender: socket.data.sender, site: socket.data.site });
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

const writeBatch = db.transaction((batch) => {
  const out = [];
  for (const p of batch) out.push(store(p));
  return out;
});

function store(p) {
  const { f, sender } = p;
  const dup = q.msgByCid.get(sender.key, f.cid);
  if (dup) return { p, message: dup, duplicate: true };
  let c;
  let changed = false;
  if (f.conv) {
    c = conv(f.conv);
    if (!c) return { p, error: 'unknown_conv' };
    if (sender.role === 'visitor' && (c.site !== p.site || c.visitor_id !== sender.id)) return { p, error: 'not_allowed' };
    if (c.status === 'closed') return { p, error: 'conv_closed' };
  } else {
    c = q.visitorConvs.get(p.site, sender.id);
    if (c) {
      c = conv(c.id);
    } else {
      c = { id: 'c-' + crypto.randomBytes(10).toString('hex'), site: p.site, visitor_id: sender.id,
        status: 'waiting', agent_id: null, last_seq: 0, created_at: Date.now() };
      q.insertConv.run(c.id, c.site, c.visitor_id, c.status, c.agent_id, c.last_seq, c.created_at);
      convs.set(c.id, c);
      changed = true;
    }
  }
  const seq = c.last_seq + 1;
  const ts = Date.now();
  let status = c.status;
  let agentId = c.agent_id;
  if (sender.role === 'agent' && status === 'waiting') {
    status = 'open';
    agentId = sender.id;
    changed = true;
  }
  q.insertMsg.run(c.id, seq, f.cid, sender.key, sender.role, sender.id, sender.name || null, 'text', f.body, ts);
  q.bumpConv.run(seq, status, agentId, c.id);
  // The cached row changes only once the transaction commits (see flush); keep the new values here.
  const next = { ...c, last_seq: seq, status, agent_id: agentId };
  convs.set(c.id, next);
  return { p, message: { conv: c.id, seq, cid: f.cid, from_role: sender.role, from_id: sender.id,
    from_name: sender.name, kind: 'text', body: f.body, ts }, changed, conv: next, before: c };
}

function flush() {
  flushScheduled = false;
  const batch = pending;
  pending = [];
  if (batch.length === 0) return;
  let results;
  try {
    results = writeBatch(batch);
  } catch (e) {
    // The transaction rolled back: put the cached rows back and refuse every write of the batch.
    for (const p of batch) emit(p.socket, { type: 'error', code: 'server_busy', message: 'not stored; retry', cid: p.f.cid });
    convs.clear();
    return;
  }
  for (const r of results) {
    if (r.error) {
      emit(r.p.socket, { type: 'error', code: r.error, message: r.error, cid: r.p.f.cid });
      continue;
    }
    const m = r.message;
    emit(r.p.socket, { type: 'ack', cid: m.cid, conv: m.conv, seq: m.seq, ts: m.ts });
    if (r.duplicate) continue;
    storedTotal++;
    if (r.changed) broadcastConv(r.conv);
    const frame = toMsg(m);
    for (const s of participants(r.conv)) emit(s, frame);
  }
}

function participants(c) {
  const out = new Set(agentSockets);
  const v = visitorSockets.get(c.site + '/' + c.visitor_id);
  if (v) for (const s of v) out.add(s);
  return out;
}

function broadcastConv(c) {
  const frame = { type: 'conv', conv: convInfo(c) };
  for (const s of participants(c)) emit(s, frame);
}

function accept(socket, f) {
  if (!socket.data.agent) {
    emit(socket, { type: 'error', code: 'not_allowed', message: 'agents only' });
    return;
  }
  const c = conv(f.conv);
  if (!c) {
    emit(socket, { type: 'error', code: 'unknown_conv', message: f.conv });
    return;
  }
  if (c.status !== 'waiting') {
    emit(socket, { type: 'conv', conv: convInfo(c) });
    return;
  }
  // Assignment is not a message; like the relay it is written at once and then told to everyone.
  q.bumpConv.run(c.last_seq, 'open', socket.data.agent.id, c.id);
  const next = { ...c, status: 'open', agent_id: socket.data.agent.id };
  convs.set(c.id, next);
  broadcastConv(next);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      out[argv[i].slice(2)] = argv[i + 1];
      i++;
    }
  }
  return out;
}

server.listen(PORT, HOST, () => {
  console.log(`socketio peer ready: http://${HOST}:${server.address().port} (data ${path.resolve(DATA)})`);
});

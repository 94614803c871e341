'use strict';
// Behaviour of widget.js against PROTOCOL.md, in Node with a fake browser (no dependencies).
// Run: node --test visitor-widget/src/test/js/

const test = require('node:test');
const assert = require('node:assert/strict');
const { boot, SharedStorage, PrivateStorage } = require('./fake-browser.js');

function welcome(tab, conversations = [], extra = {}) {
  const ws = tab.ws();
  if (ws.readyState === 0) ws.open();
  ws.receive(Object.assign({
    type: 'welcome', session: 'S1', you: { role: 'visitor', id: tab.state().visitorId },
    conversations, heartbeatSec: 25, serverTime: Date.now()
  }, extra));
  tab.clock.tick(0);
}

function agentMsg(conv, seq, body, extra = {}) {
  return Object.assign({
    type: 'msg', conv, seq, cid: 'a-' + conv + '-' + seq,
    from: { role: 'agent', id: 'ag1', name: 'Alice' }, kind: 'text', body, ts: Date.now()
  }, extra);
}

function ackLastSend(tab, conv, seq) {
  const send = tab.sent('send').pop();
  tab.ws().receive({ type: 'ack', cid: send.cid, conv, seq, ts: Date.now() });
  return send;
}

test('hello_carriesQueuedIdentify_andEmptyResume', () => {
  const tab = boot({ before: "Kefu('identify',{name:'Li Lei',email:'li@x.test',attrs:{plan:'pro'}});" });
  const ws = tab.ws();
  assert.equal(ws.url, 'wss://relay.test/ws/visitor');
  ws.open();
  const hello = ws.sent[0];
  assert.equal(hello.type, 'hello');
  assert.equal(hello.role, 'visitor');
  assert.equal(hello.site, 'demo');
  assert.match(hello.visitor.id, /^v-[A-Za-z0-9_-]{20}$/);
  assert.equal(hello.visitor.name, 'Li Lei');
  assert.deepEqual(hello.visitor.attrs, { plan: 'pro' });
  assert.deepEqual(hello.resume, {});
  assert.deepEqual(hello.client, { name: 'kefu-widget', version: '1.0.0' });
});

test('dataColor_checkedWithCssSupports_becomesAccent', () => {
  const root = (tab) => tab.root.all((e) => /\bkf-root\b/.test(e.className))[0];
  const tab = boot({ attrs: { 'data-color': '#e4572e' } });
  assert.equal(root(tab).style['--kf-accent'], '#e4572e');
  const bad = boot({ attrs: { 'data-color': 'red;background:url(x)' } });
  assert.equal(root(bad).style['--kf-accent'], undefined);
  assert.equal(bad.state().version, '1.0.0');
});

test('widgetRoot_carriesItsOwnLanguage', () => {
  const root = (tab) => tab.root.all((e) => /\bkf-root\b/.test(e.className))[0];
  assert.equal(root(boot()).getAttribute('lang'), 'zh-CN');
  assert.equal(root(boot({ attrs: { 'data-lang': 'en' } })).getAttribute('lang'), 'en');
});

test('identify_idLongerThanRelayAccepts_isIgnored', () => {
  const tab = boot();
  const own = tab.state().visitorId;
  tab.kefu('identify', { id: 'x'.repeat(65) });
  assert.equal(tab.state().visitorId, own);
  tab.kefu('identify', { id: 'y'.repeat(64) });
  assert.equal(tab.state().visitorId, 'y'.repeat(64));
});

test('ready_firesForListenerQueuedBeforeLoad', () => {
  const tab = boot({ before: "window.readyCalls=0;Kefu('on','ready',function(){readyCalls++});" });
  assert.equal(tab.win.readyCalls, 1);
});

test('welcome_marksConnected_andSendsPageView', () => {
  const tab = boot();
  welcome(tab);
  assert.equal(tab.state().connected, true);
  assert.equal(tab.state().transport, 'ws');
  assert.deepEqual(tab.sent('page'), [{ type: 'page', url: 'https://shop.test/', title: 'Shop', referrer: 'https://search.test/' }]);
  assert.equal(tab.host.getAttribute('data-connected'), 'true');
});

test('ping_isAnsweredWithPong', () => {
  const tab = boot();
  welcome(tab);
  tab.ws().receive({ type: 'ping' });
  assert.equal(tab.sent('pong').length, 1);
});

test('send_showsPending_thenSentOnAck_andEchoDoesNotDouble', () => {
  const tab = boot();
  welcome(tab);
  tab.send('你好');
  const send = tab.sent('send')[0];
  assert.match(send.cid, /^c-[A-Za-z0-9_-]{20}$/);
  assert.equal(send.body, '你好');
  assert.equal(send.kind, 'text');
  assert.equal('conv' in send, false);
  assert.deepEqual(tab.messages().map((m) => [m.state, m.text]), [['pending', '你好']]);

  tab.ws().receive({ type: 'ack', cid: send.cid, conv: 'k1', seq: 1, ts: Date.now() });
  tab.ws().receive({ type: 'msg', conv: 'k1', seq: 1, cid: send.cid, from: { role: 'visitor', id: 'x' }, kind: 'text', body: '你好', ts: 1 });

  const shown = tab.messages();
  assert.equal(shown.length, 1);
  assert.equal(shown[0].state, 'sent');
  assert.equal(shown[0].seq, '1');
  assert.equal(shown[0].cid, send.cid);
  assert.equal(tab.state().outbox, 0);
  assert.equal(tab.state().conv, 'k1');
});

test('nextSend_namesTheOpenConversation', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.send('hi');
  assert.equal(tab.sent('send')[0].conv, 'k1');
});

test('agentMessage_raisesBadgeWhileClosed_andOpeningSendsRead', () => {
  const tab = boot({ before: "window.got=[];Kefu('on','message',function(m){got.push(m.body)});" });
  welcome(tab);
  tab.send('question');
  ackLastSend(tab, 'k1', 1);
  tab.ws().receive(agentMsg('k1', 2, 'hello'));
  tab.ws().receive(agentMsg('k1', 3, 'anyone?'));
  tab.clock.tick(500);

  assert.deepEqual([...tab.win.got], ['question', 'hello', 'anyone?']);
  const badge = tab.hook('badge');
  assert.equal(badge.hidden(), false);
  assert.equal(badge.textContent, '2');
  assert.equal(tab.sent('read').length, 0);

  tab.hook('launcher').dispatch('click');
  assert.deepEqual(tab.sent('read'), [{ type: 'read', conv: 'k1', seq: 3 }]);
  assert.equal(badge.hidden(), true);
});

test('agentRead_turnsOwnMessageRead', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.send('question');
  ackLastSend(tab, 'k1', 1);
  tab.ws().receive({ type: 'read', conv: 'k1', seq: 1, from: { role: 'agent', id: 'ag1' } });
  assert.equal(tab.messages()[0].state, 'read');
});

test('refusedSend_showsReason_andRetrySendsNewCid', () => {
  const tab = boot();
  welcome(tab);
  tab.send('x');
  const first = tab.sent('send')[0];
  tab.ws().receive({ type: 'error', code: 'not_allowed', message: 'nope', cid: first.cid });

  const failed = tab.messages()[0];
  assert.equal(failed.state, 'failed');
  const error = failed.node.all((e) => e.hook() === 'error')[0];
  assert.equal(error.hidden(), false);
  assert.match(error.textContent, /不允许发送/);

  failed.node.all((e) => e.hook() === 'retry')[0].dispatch('click');
  const second = tab.sent('send')[1];
  assert.notEqual(second.cid, first.cid);
  assert.equal(second.body, 'x');
  assert.deepEqual(tab.messages().map((m) => m.state), ['pending']);
});

test('rateLimited_staysPending_andIsResentWithSameCid', () => {
  const tab = boot();
  welcome(tab);
  tab.send('x');
  const first = tab.sent('send')[0];
  tab.ws().receive({ type: 'error', code: 'rate_limited', cid: first.cid });
  assert.equal(tab.messages()[0].state, 'pending');
  tab.clock.tick(2000);
  const sends = tab.sent('send');
  assert.equal(sends.length, 2);
  assert.equal(sends[1].cid, first.cid);
});

test('convClosedError_resendsToNewConversationWithNewCid', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.send('late');
  const first = tab.sent('send')[0];
  assert.equal(first.conv, 'k1');
  tab.ws().receive({ type: 'error', code: 'conv_closed', cid: first.cid });
  const second = tab.sent('send')[1];
  assert.equal('conv' in second, false);
  assert.notEqual(second.cid, first.cid);
  assert.equal(tab.messages()[0].state, 'pending');
});

test('closedConvFrame_makesNextSendOmitConv', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', lastSeq: 3 } });
  tab.send('again');
  assert.equal('conv' in tab.sent('send')[0], false);
});

test('reconnect_resumesFromContiguousSeq_andResendsOutboxWithSameCid', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, 'a'));
  tab.send('b');
  ackLastSend(tab, 'k1', 3); // seq 2 not seen yet: resume must stay at 1
  tab.send('offline soon');
  const pending = tab.sent('send')[1];

  tab.ws().drop();
  assert.equal(tab.state().connected, false);
  tab.clock.tick(600);
  assert.equal(tab.sockets.length, 2);
  tab.ws().open();
  assert.deepEqual(tab.ws().sent[0].resume, { k1: 1 });
  welcome(tab, [{ id: 'k1', lastSeq: 3, status: 'open' }]);
  const resent = tab.sent('send');
  assert.equal(resent.length, 1);
  assert.equal(resent[0].cid, pending.cid);

  tab.ws().receive(agentMsg('k1', 2, 'gap filled'));
  tab.ws().drop();
  tab.clock.tick(600);
  tab.ws().open();
  assert.deepEqual(tab.ws().sent[0].resume, { k1: 3 });
});

test('duplicateSeq_isDropped', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, 'once'));
  tab.ws().receive(agentMsg('k1', 1, 'once'));
  assert.equal(tab.messages().length, 1);
});

test('gap_isFilledWithSyncAfterAWait', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, 'a'));
  tab.ws().receive(agentMsg('k1', 3, 'c'));
  assert.equal(tab.sent('sync').length, 0);
  tab.clock.tick(2100);
  assert.deepEqual(tab.sent('sync'), [{ type: 'sync', conv: 'k1', after: 1, limit: 500 }]);
  tab.ws().receive({ type: 'msgs', conv: 'k1', items: [agentMsg('k1', 2, 'b')], more: false });
  assert.deepEqual(tab.messages().map((m) => m.text), ['a', 'b', 'c']);
});

test('silenceForTwoHeartbeats_dropsSocketAndReconnects', () => {
  const tab = boot();
  welcome(tab, [], { heartbeatSec: 10 });
  tab.clock.tick(19000);
  assert.equal(tab.state().connected, true);
  tab.ws().receive({ type: 'ping' });
  tab.clock.tick(19000);
  assert.equal(tab.state().connected, true);
  tab.clock.tick(1500);
  assert.equal(tab.state().connected, false);
  tab.clock.tick(600);
  assert.equal(tab.sockets.length, 2);
});

test('longHeartbeatFromWelcome_isHonouredFromTheWelcomeOn', () => {
  const tab = boot();
  welcome(tab, [], { heartbeatSec: 60 });
  tab.clock.tick(110000);
  assert.equal(tab.state().connected, true);
  tab.clock.tick(11000);
  assert.equal(tab.state().connected, false);
});

test('backoff_growsAndIsCappedAt30s', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  let last = tab.sockets.length;
  const gaps = [];
  for (let i = 0; i < 10; i++) {
    tab.ws().drop();
    let waited = 0;
    while (tab.sockets.length === last) {
      tab.clock.tick(100);
      waited += 100;
    }
    last = tab.sockets.length;
    gaps.push(waited);
  }
  assert.ok(gaps[0] <= 500, 'first retry within 0.5 s: ' + gaps);
  assert.ok(gaps[3] >= 2000 && gaps[3] <= 4000, 'fourth in [2, 4] s: ' + gaps);
  assert.ok(Math.max(...gaps) <= 30000, 'capped: ' + gaps);
});

// Drops sockets without a welcome until the next reconnect waits out a backoff of 4 s or more
// (0.5, 1, 2, 4, 8 s ... with jitter [d/2, d]), as after a relay that was down for a while.
function intoLongBackoff(tab, conversations = []) {
  welcome(tab, conversations);
  for (let i = 0; i < 5; i++) {
    const before = tab.sockets.length;
    tab.ws().drop();
    if (i === 4) break;
    while (tab.sockets.length === before) tab.clock.tick(100);
  }
  tab.clock.tick(100);
  return tab.sockets.length;
}

// ms until the widget opens its next socket, ticking 100 ms at a time.
function msUntilNextSocket(tab) {
  const before = tab.sockets.length;
  let waited = 0;
  while (tab.sockets.length === before && waited < 60000) {
    tab.clock.tick(100);
    waited += 100;
  }
  return waited;
}

test('sendDuringLongBackoff_reconnectsAtOnce_andSendsTheMessageAfterWelcome', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  const count = intoLongBackoff(tab);
  tab.send('are you there?');
  assert.equal(tab.sockets.length, count + 1, 'connects without waiting out the backoff');
  assert.equal(tab.messages()[0].state, 'pending');
  welcome(tab);
  assert.deepEqual(tab.sent('send').map((f) => f.body), ['are you there?']);
});

test('focusVisibilityAndOpeningThePanel_duringLongBackoff_eachReconnectAtOnce', () => {
  const wakes = {
    focus: (tab) => tab.win.fire('focus'),
    visible: (tab) => { tab.doc.hidden = false; tab.doc.dispatch('visibilitychange'); },
    open: (tab) => tab.hook('launcher').dispatch('click')
  };
  for (const name of Object.keys(wakes)) {
    const tab = boot({ attrs: { 'data-transport': 'ws' } });
    const count = intoLongBackoff(tab);
    wakes[name](tab);
    assert.equal(tab.sockets.length, count + 1, name);
  }
});

test('contactSubmittedDuringLongBackoff_reconnectsAtOnce_andSendsTheContactAfterWelcome', () => {
  const k1 = { id: 'k1', lastSeq: 1, status: 'offline' };
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  tab.hook('launcher').dispatch('click'); // the panel is open already: opening it cannot be what wakes
  const count = intoLongBackoff(tab, [k1]);
  tab.hook('contact-open').dispatch('click');
  assert.equal(tab.sockets.length, count, 'opening the form alone waits');
  fillContact(tab, { email: 'li@example.com' });
  assert.equal(tab.sockets.length, count + 1, 'connects without waiting out the backoff');
  welcome(tab, [k1]);
  assert.deepEqual(tab.sent('contact').map((f) => f.email), ['li@example.com']);
});

test('ratingGivenDuringLongBackoff_reconnectsAtOnce_andSendsTheRatingAfterWelcome', () => {
  const k1 = { id: 'k1', lastSeq: 1, status: 'closed', agent: 'a1', agentName: 'Alice' };
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  tab.hook('launcher').dispatch('click');
  const count = intoLongBackoff(tab, [k1]);
  tab.hooks('star')[4].dispatch('click');
  assert.equal(tab.sockets.length, count, 'picking stars alone waits');
  tab.hook('r-submit').dispatch('click');
  assert.equal(tab.sockets.length, count + 1, 'connects without waiting out the backoff');
  welcome(tab, [k1]);
  assert.deepEqual(tab.sent('rate').map((f) => f.score), [5]);
});

test('wakes_atMostOnceEvery2500ms_soMashingSendCannotHammerTheRelay', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  const count = intoLongBackoff(tab);
  tab.send('one');
  tab.ws().drop(); // still down: refused again, and the backoff grows
  tab.send('two');
  tab.win.fire('focus');
  tab.clock.tick(2000);
  tab.send('three');
  assert.equal(tab.sockets.length, count + 1, 'no second early reconnect within 2.5 s');
  tab.clock.tick(600);
  tab.send('four');
  assert.equal(tab.sockets.length, count + 2, 'the next one is allowed after 2.5 s');
});

test('wake_duringShortBackoff_waitsForIt', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  welcome(tab);
  tab.ws().drop();
  tab.send('hi');
  tab.win.fire('focus');
  assert.equal(tab.sockets.length, 1, 'a backoff of at most 0.5 s is simply waited out');
  assert.ok(msUntilNextSocket(tab) <= 500);
});

test('close1012_relayRestarting_retriesWithin1to3s_withoutGrowingTheBackoff', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  welcome(tab);
  tab.ws().drop(1012);
  const first = msUntilNextSocket(tab);
  assert.ok(first >= 1000 && first <= 3000, 'first retry in [1, 3] s: ' + first);
  tab.ws().open();
  tab.ws().drop(1012); // the relay is still stopping
  const second = msUntilNextSocket(tab);
  assert.ok(second >= 1000 && second <= 3000, 'second retry in [1, 3] s: ' + second);
  tab.ws().drop(); // refused: the backoff starts where the welcome left it
  assert.ok(msUntilNextSocket(tab) <= 500, 'backoff exponent not grown by the restarts');
});

test('close1012_repeatedWithoutWelcome_fallsBackToTheBackoffAfterThree', () => {
  const tab = boot({ attrs: { 'data-transport': 'ws' } });
  welcome(tab);
  const gaps = [];
  for (let i = 0; i < 6; i++) {
    tab.ws().drop(1012);
    gaps.push(msUntilNextSocket(tab));
  }
  assert.ok(gaps.slice(0, 3).every((g) => g >= 1000 && g <= 3000), 'three quick retries: ' + gaps);
  assert.ok(gaps[3] <= 500 && gaps[5] >= 1000 && gaps[5] <= 2000, 'then the backoff: ' + gaps);
});

test('longPollOpenRefusedRelayRestarting_retriesWithin1to3s', () => {
  const tab = boot({ webSocket: false });
  tab.xhrs[0].respond(503, { frames: [{ type: 'error', code: 'server_busy', message: 'relay restarting; open again shortly' }] });
  const opens = () => tab.xhrs.filter((x) => x.url.endsWith('/lp/open')).length;
  let waited = 0;
  while (opens() === 1 && waited < 60000) {
    tab.clock.tick(100);
    waited += 100;
  }
  assert.ok(waited >= 1000 && waited <= 3000, 'reopened in [1, 3] s: ' + waited);
});

test('webSocketOpenTimeout_switchesToLongPoll_keepingVisitorAndResume', () => {
  const tab = boot();
  const id = tab.state().visitorId;
  tab.clock.tick(3000);
  assert.equal(tab.xhrs.length, 1);
  const open = tab.xhrs[0];
  assert.equal(open.method, 'POST');
  assert.equal(open.url, 'https://relay.test/lp/open');
  assert.match(open.headers['Content-Type'], /^text\/plain/);
  assert.equal(open.sentBody.type, 'hello');
  assert.equal(open.sentBody.visitor.id, id);

  open.respond(200, { lp: 'L1', frames: [{ type: 'welcome', conversations: [], heartbeatSec: 25 }] });
  tab.clock.tick(0);
  assert.deepEqual(tab.state().transport, 'lp');
  assert.equal(tab.state().connected, true);
  const poll = tab.xhrs.find((x) => x.method === 'GET');
  assert.equal(poll.url, 'https://relay.test/lp/poll?lp=L1');
  const page = tab.xhrs.find((x) => x.url.indexOf('/lp/send') >= 0);
  assert.equal(page.sentBody[0].type, 'page');
  assert.equal(tab.win.sessionStorage.getItem('kefu:demo:ws-failed'), 'true');
});

test('threeWebSocketFailuresWithoutWelcome_switchToLongPoll', () => {
  const tab = boot();
  for (let i = 0; i < 3; i++) {
    tab.ws().drop();
    tab.clock.tick(2100);
  }
  assert.equal(tab.sockets.length, 3);
  assert.equal(tab.xhrs.length, 1);
  assert.equal(tab.xhrs[0].url, 'https://relay.test/lp/open');
});

test('afterWebSocketWelcome_failuresKeepWebSocket_evenAfterReload', () => {
  const session = new PrivateStorage();
  const tab = boot({ sessionStorage: session });
  welcome(tab);
  tab.ws().drop();
  tab.clock.tick(600);
  tab.clock.tick(3000); // a socket that never opens: the relay or the network is down
  for (let i = 0; i < 3; i++) {
    tab.ws().drop();
    tab.clock.tick(30000);
  }
  assert.equal(tab.xhrs.length, 0);
  assert.equal(tab.state().transport, 'ws');
  assert.equal(session.getItem('kefu:demo:ws-failed'), null);

  const reloaded = boot({ sessionStorage: session });
  for (let i = 0; i < 3; i++) {
    reloaded.ws().drop();
    reloaded.clock.tick(30000);
  }
  assert.equal(reloaded.xhrs.length, 0);
});

test('noWebSocket_usesLongPoll_andBatchesSends', () => {
  const tab = boot({ webSocket: false });
  const open = tab.xhrs[0];
  open.respond(200, { lp: 'L9', frames: [{ type: 'welcome', conversations: [{ id: 'k1', lastSeq: 0, status: 'open' }] }] });
  tab.clock.tick(0);
  const firstSend = tab.xhrs.find((x) => x.url.indexOf('/lp/send') >= 0);
  tab.send('one');
  tab.send('two');
  tab.clock.tick(0);
  firstSend.respond(200, { frames: [] });
  tab.clock.tick(0);
  const batch = tab.xhrs.filter((x) => x.url.indexOf('/lp/send') >= 0)[1];
  assert.deepEqual(batch.sentBody.map((f) => f.body), ['one', 'two']);
  const ackFor = batch.sentBody[0].cid;
  batch.respond(200, { frames: [{ type: 'ack', cid: ackFor, conv: 'k1', seq: 1, ts: 1 }] });
  assert.deepEqual(tab.messages().map((m) => m.state), ['sent', 'pending']);
});

test('longPollUnknownSession_reopensAtOnceWithResume', () => {
  const tab = boot({ webSocket: false });
  tab.xhrs[0].respond(200, { lp: 'L1', frames: [{ type: 'welcome', conversations: [{ id: 'k1', lastSeq: 1, status: 'open' }] }] });
  tab.clock.tick(0);
  const poll = tab.xhrs.find((x) => x.method === 'GET');
  poll.respond(200, { frames: [agentMsg('k1', 1, 'hi')] });
  const poll2 = tab.xhrs.filter((x) => x.method === 'GET')[1];
  poll2.respond(404, { frames: [{ type: 'error', code: 'unknown_session' }] });
  tab.clock.tick(0);
  const reopen = tab.xhrs.filter((x) => x.url.endsWith('/lp/open'))[1];
  assert.ok(reopen, 'reopened');
  assert.deepEqual(reopen.sentBody.resume, { k1: 1 });
});

test('invite_opensThePanel', () => {
  const tab = boot();
  welcome(tab);
  assert.equal(tab.hook('panel').hidden(), true);
  tab.ws().receive({ type: 'conv', conv: { id: 'k7', status: 'open', agentName: 'Alice', lastSeq: 1 } });
  tab.ws().receive(agentMsg('k7', 1, '需要帮忙吗？'));
  assert.equal(tab.hook('panel').hidden(), false);
  assert.deepEqual(tab.sent('read'), [{ type: 'read', conv: 'k7', seq: 1 }]);
  assert.match(tab.hook('status').textContent, /Alice/);
});

test('pushState_sendsPageViewWithPreviousUrlAsReferrer', () => {
  const tab = boot();
  welcome(tab);
  tab.win.history.pushState({}, '', '/cart');
  tab.doc.title = 'Cart';
  tab.clock.tick(100);
  assert.deepEqual(tab.sent('page')[1], { type: 'page', url: 'https://shop.test/cart', title: 'Cart', referrer: 'https://shop.test/' });
});

test('typing_isSentAtMostEvery300ms_andClearedOnSend', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.type('h');
  tab.clock.tick(100);
  tab.type('he');
  tab.clock.tick(100);
  tab.type('hel');
  tab.clock.tick(200);
  assert.deepEqual(tab.sent('typing'), [{ type: 'typing', conv: 'k1', text: 'hel' }]);
  tab.hook('send').dispatch('click');
  assert.deepEqual(tab.sent('typing')[1], { type: 'typing', conv: 'k1', text: '' });
});

test('typingPreviewOff_hidesNotice_andSendsNoDraft', () => {
  const tab = boot({ attrs: { 'data-typing-preview': 'off' } });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  assert.equal(tab.hook('notice').hidden(), true);
  tab.type('secret');
  tab.clock.tick(500);
  assert.equal(tab.sent('typing').length, 0);
});

test('service_offline_tellsTheVisitorToLeaveAMessage_andOnlineClearsIt', () => {
  const tab = boot();
  welcome(tab, []);
  assert.equal(tab.hook('desk').hidden(), true);
  tab.ws().receive({ type: 'service', online: false, reason: 'no_agents', typingPreview: true });
  assert.equal(tab.hook('desk').hidden(), false);
  assert.match(tab.hook('desk').textContent, /客服暂时不在线，请留言/);
  tab.ws().receive({ type: 'service', online: false, reason: 'closed' });
  assert.match(tab.hook('desk').textContent, /非工作时间/);
  tab.ws().receive({ type: 'service', online: true });
  assert.equal(tab.hook('desk').hidden(), true);
});

test('service_typingPreviewOff_hidesTheNotice', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive({ type: 'service', online: true, typingPreview: false });
  assert.equal(tab.hook('notice').hidden(), true);
  tab.type('secret');
  tab.clock.tick(500);
  assert.equal(tab.sent('typing').length, 0);
});

test('queue_showsPositionAndWait_untilTheConversationIsTaken', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'waiting' }]);
  tab.ws().receive({ type: 'queue', conv: 'k1', position: 2, etaSec: 300 });
  assert.match(tab.hook('desk').textContent, /第 2 位，预计等待约 5 分钟/);
  tab.ws().receive({ type: 'queue', conv: 'k1', position: 1, etaSec: 20 });
  assert.match(tab.hook('desk').textContent, /第 1 位，预计等待约 1 分钟/);
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'open', agent: 'a1', agentName: 'Alice', lastSeq: 1 } });
  assert.equal(tab.hook('desk').hidden(), true);
});

test('reload_showsStoredHistoryAtOnce_andResumes', () => {
  const storage = new SharedStorage();
  const first = boot({ storage });
  welcome(first, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  first.ws().receive(agentMsg('k1', 1, 'stored'));
  const id = first.state().visitorId;

  const second = boot({ storage });
  assert.deepEqual(second.messages().map((m) => m.text), ['stored']);
  assert.equal(second.state().visitorId, id);
  second.ws().open();
  assert.deepEqual(second.ws().sent[0].resume, { k1: 1 });
});

test('offlineMessage_survivesReload_andIsSentAfterWelcome', () => {
  const storage = new SharedStorage();
  const first = boot({ storage });
  first.send('typed offline');
  assert.equal(first.state().outbox, 1);
  const cid = first.messages()[0].cid;

  const second = boot({ storage });
  assert.deepEqual(second.messages().map((m) => [m.state, m.text]), [['pending', 'typed offline']]);
  // The entry is another page's and fresh: wait until it is old enough for this tab to take over.
  const entries = JSON.parse(storage.data.get('kefu:demo:outbox'));
  entries[0].ts -= 10000;
  storage.data.set('kefu:demo:outbox', JSON.stringify(entries));
  welcome(second);
  assert.equal(second.sent('send')[0].cid, cid);
});

test('secondTab_leavesFreshEntryToItsOwner_andPicksUpAck', () => {
  const storage = new SharedStorage();
  const a = boot({ storage });
  const b = boot({ storage });
  welcome(a, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  welcome(b, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  a.send('from a');
  storage.deliver();
  b.clock.tick(5000); // b's periodic outbox sweep
  assert.equal(b.sent('send').length, 0);
  assert.deepEqual(b.messages().map((m) => m.state), ['pending']);

  ackLastSend(a, 'k1', 1);
  storage.deliver();
  b.ws().receive({ type: 'msg', conv: 'k1', seq: 1, cid: a.sent('send')[0].cid, from: { role: 'visitor', id: 'v' }, kind: 'text', body: 'from a', ts: 1 });
  assert.deepEqual(b.messages().map((m) => m.state), ['sent']);
  assert.equal(b.state().outbox, 0);
});

test('networkText_isNeverParsedAsMarkup', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, '<img src=x onerror=alert(1)> see https://shop.test/a?b=1.'));
  const bubble = tab.messages()[0].node.all((e) => e.hook() === 'text')[0];
  assert.equal(bubble.textContent, '<img src=x onerror=alert(1)> see https://shop.test/a?b=1.');
  const elements = bubble.all(() => true);
  assert.deepEqual(elements.map((e) => e.tagName), ['A']);
  assert.equal(elements[0].href, 'https://shop.test/a?b=1');
  assert.equal(elements[0].rel, 'noopener noreferrer nofollow');
});

test('tooLongDraft_isKeptWithAHint_notSent', () => {
  const tab = boot();
  welcome(tab);
  tab.send('字'.repeat(5001));
  assert.equal(tab.sent('send').length, 0);
  assert.equal(tab.hook('hint').hidden(), false);
  assert.equal(tab.hook('input').value.length, 5001);
});

test('badIdentity_retriesOnceWithoutSignedIdentity', () => {
  const tab = boot({ before: "Kefu('identify',{userId:'42',userHash:'bad'});" });
  tab.ws().open();
  assert.equal(tab.ws().sent[0].visitor.userId, '42');
  tab.ws().receive({ type: 'error', code: 'bad_identity' });
  tab.ws().drop(1008);
  tab.clock.tick(600);
  tab.ws().open();
  assert.equal('userId' in tab.ws().sent[0].visitor, false);
});

test('unknownSite_stopsReconnecting_andSaysSo', () => {
  const tab = boot();
  tab.ws().open();
  tab.ws().receive({ type: 'error', code: 'unknown_site' });
  tab.ws().drop(1008);
  tab.clock.tick(60000);
  assert.equal(tab.sockets.length, 1);
  assert.match(tab.hook('status').textContent, /unknown_site/);
});

test('onlineEvent_reconnectsAtOnce', () => {
  const tab = boot();
  welcome(tab);
  tab.ws().drop();
  tab.win.navigator.onLine = false;
  tab.clock.tick(100);
  tab.win.navigator.onLine = true;
  tab.win.fire('online');
  assert.equal(tab.sockets.length, 2);
});

test('visitorId_isStableAndWellFormed', () => {
  const storage = new SharedStorage();
  const a = boot({ storage });
  const b = boot({ storage });
  assert.match(a.state().visitorId, /^v-[A-Za-z0-9_-]{20}$/);
  assert.equal(a.state().visitorId, b.state().visitorId);
});

test('englishStrings_whenLangIsEn', () => {
  const tab = boot({ attrs: { 'data-lang': 'en' } });
  assert.equal(tab.hook('send').textContent, 'Send');
  assert.match(tab.hook('notice').textContent, /agents may see what you type/);
});

// ---------------------------------------------------------------- files

const PNG = { name: '截图 1.png', size: 300000, type: 'image/png' };

function policy(extra = {}) {
  return Object.assign({
    mode: 'oss', host: 'https://bucket.oss.test', 'x-oss-security-token': 'TOKEN', key: 'kefu/v/demo/VID/',
    policy: 'UE9MSUNZ', OSSAccessKeyId: 'STS.id', signature: 'SIG', success_action_status: '201',
    maxSize: 1048576, expiration: '2099-01-01T00:00:00Z', allowedTypes: ['image/*', 'application/pdf']
  }, extra);
}

// Attaches file, answers the policy request; returns the upload request.
function startUpload(tab, file = PNG, answer = policy()) {
  tab.attach(file);
  tab.requests('/api/files/policy').pop().respond(200, answer);
  return tab.requests('bucket.oss.test').pop();
}

function fileUrlRequest(tab, key) {
  return tab.requests('/api/files/url?key=' + encodeURIComponent(key)).pop();
}

test('attach_postsPolicyFormToStorage_thenSendsImageFrameThroughOutbox', () => {
  const tab = boot({ before: "Kefu('identify',{userId:'42',userHash:'abc'});" });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.hook('launcher').dispatch('click');
  tab.attach(PNG);

  const ask = tab.requests('/api/files/policy')[0];
  assert.equal(ask.url, 'https://relay.test/api/files/policy');
  assert.match(ask.headers['Content-Type'], /^text\/plain/);
  assert.deepEqual(ask.sentBody, { site: 'demo', visitor: tab.state().visitorId, userId: '42', userHash: 'abc' });
  assert.deepEqual(tab.messages().map((m) => [m.state, m.text]), [['uploading', '[图片] 截图 1.png']]);
  ask.respond(200, policy());

  const up = tab.requests('bucket.oss.test')[0];
  assert.equal(up.method, 'POST');
  const names = up.sentBody.entries.map((e) => e[0]);
  assert.deepEqual(names, ['x-oss-security-token', 'key', 'policy', 'OSSAccessKeyId', 'signature', 'success_action_status', 'file']);
  const key = up.sentBody.entries[1][1];
  assert.match(key, /^kefu\/v\/demo\/VID\/[A-Za-z0-9_-]{12}\/截图 1\.png$/);
  assert.equal(up.sentBody.entries[6][1], PNG);
  assert.equal(tab.sent('send').length, 0, 'nothing sent before the upload finished');

  up.progress(150000, 300000);
  const bar = tab.messages()[0].node.all((e) => e.hook() === 'progress')[0];
  assert.equal(bar.getAttribute('aria-valuenow'), '49');
  assert.equal(bar.hidden(), false);

  up.respond(201, '<PostResponse><Key>k</Key></PostResponse>');
  const send = tab.sent('send')[0];
  assert.deepEqual(send, { type: 'send', cid: send.cid, kind: 'image', file: { key, name: '截图 1.png', size: 300000, mime: 'image/png' }, conv: 'k1' });
  assert.equal(tab.messages()[0].state, 'pending');
  assert.equal(bar.hidden(), true);

  ackLastSend(tab, 'k1', 1);
  assert.equal(tab.messages()[0].state, 'sent');
  assert.equal(tab.state().outbox, 0);
});

test('ownImage_previewLoadsFromSignedUrl_setAsProperty', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.hook('launcher').dispatch('click');
  const up = startUpload(tab);
  const key = up.sentBody.entries[1][1];
  up.respond(201, '');

  const signed = fileUrlRequest(tab, key);
  assert.equal(signed.url, 'https://relay.test/api/files/url?key=' + encodeURIComponent(key) + '&site=demo&visitor=' + tab.state().visitorId);
  signed.respond(200, { url: 'https://bucket.oss.test/' + key + '?Signature=x', expiresAt: Date.now() + 900000 });
  const img = tab.hook('image');
  assert.equal(img.src, 'https://bucket.oss.test/' + key + '?Signature=x');
  assert.equal(img.hidden(), true, 'shown once loaded');
  img.dispatch('load');
  assert.equal(img.hidden(), false);
});

test('agentImage_showsPreview_onlyOnceThePanelIsOpen', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  const file = { key: 'kefu/a/ag1/x/图.png', name: '图.png', size: 10, mime: 'image/png' };
  tab.send('截个图看看？');
  ackLastSend(tab, 'k1', 1);
  tab.ws().receive(agentMsg('k1', 2, null, { kind: 'image', file }));
  assert.equal(tab.messages()[1].text, '[图片] 图.png');
  assert.equal(tab.requests('/api/files/url').length, 0, 'no URL asked while the panel is closed');

  tab.hook('launcher').dispatch('click');
  fileUrlRequest(tab, file.key).respond(200, { url: 'http://127.0.0.1:9/files/x.png?sig=s', expiresAt: Date.now() + 900000 });
  assert.equal(tab.hook('image').src, 'http://127.0.0.1:9/files/x.png?sig=s');
});

test('signedUrlThatIsNotHttp_isNeverUsed', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.hook('launcher').dispatch('click');
  tab.ws().receive(agentMsg('k1', 1, null, { kind: 'image', file: { key: 'kefu/a/ag1/x.png', name: 'x.png' } }));
  fileUrlRequest(tab, 'kefu/a/ag1/x.png').respond(200, { url: 'javascript:alert(1)', expiresAt: Date.now() + 900000 });
  assert.equal(tab.hook('image').src, undefined);
});

test('agentFile_isALink_thatOpensAFreshSignedUrlInANewTab', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.hook('launcher').dispatch('click');
  const file = { key: 'kefu/a/ag1/y/报价单.pdf', name: '报价单.pdf', size: 1572864, mime: 'application/pdf' };
  tab.ws().receive(agentMsg('k1', 1, null, { kind: 'file', file }));
  const link = tab.hook('file');
  assert.equal(link.tagName, 'BUTTON');
  assert.equal(link.textContent, '[文件] 报价单.pdf (1.5 MB)');
  assert.equal(tab.requests('/api/files/url').length, 0, 'asked on click only');

  link.click();
  const w = tab.opened[0];
  assert.equal(w.opener, null);
  fileUrlRequest(tab, file.key).respond(200, { url: 'https://bucket.oss.test/y.pdf?Signature=1', expiresAt: Date.now() + 900000 });
  assert.equal(w.location.href, 'https://bucket.oss.test/y.pdf?Signature=1');
});

test('tooLargeFile_withKnownLimits_isRefusedWithAHint_beforeAnyRequest', () => {
  const tab = boot();
  welcome(tab);
  tab.hook('launcher').dispatch('click');
  startUpload(tab).respond(201, ''); // the limits are known from now on
  const requests = tab.xhrs.length;

  tab.attach({ name: 'big.png', size: 2 * 1048576, type: 'image/png' });
  assert.equal(tab.xhrs.length, requests);
  assert.equal(tab.hook('hint').hidden(), false);
  assert.equal(tab.hook('hint').textContent, 'big.png: 文件太大，最大 1 MB');

  // Several files at once: the refused one is named, the others go.
  tab.attach({ name: 'setup.exe', size: 10, type: 'application/x-msdownload' }, { name: 'ok.pdf', size: 10, type: 'application/pdf' });
  assert.equal(tab.requests('/api/files/policy').length, 2);
  assert.equal(tab.hook('hint').textContent, 'setup.exe: 不支持此文件类型：application/x-msdownload');
  assert.deepEqual(tab.messages().map((m) => m.text), ['[图片] 截图 1.png', '[文件] ok.pdf (1 KB)']);
});

test('forbiddenType_onFirstAttach_isRefusedOnceThePolicyTellsTheLimits', () => {
  const tab = boot({ attrs: { 'data-lang': 'en' } });
  welcome(tab);
  tab.attach({ name: 'notes.zip', size: 10, type: 'application/zip' });
  assert.equal(tab.messages().length, 1);
  tab.requests('/api/files/policy')[0].respond(200, policy());
  assert.equal(tab.requests('bucket.oss.test').length, 0);
  assert.equal(tab.messages().length, 0);
  assert.equal(tab.state().outbox, 0);
  assert.equal(tab.hook('hint').textContent, 'notes.zip: File type not allowed: application/zip');
});

test('ossError_isShownOnTheBubble_andRetryUploadsAgain', () => {
  const tab = boot();
  welcome(tab);
  const up = startUpload(tab);
  up.respond(403, '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>');
  const failed = tab.messages()[0];
  assert.equal(failed.state, 'failed');
  const error = failed.node.all((e) => e.hook() === 'error')[0];
  assert.match(error.textContent, /上传失败: AccessDenied: Invalid according to Policy: Policy expired\./);
  assert.equal(tab.sent('send').length, 0);

  failed.node.all((e) => e.hook() === 'retry')[0].click();
  assert.equal(tab.messages()[0].state, 'uploading');
  tab.requests('/api/files/policy').pop().respond(200, policy());
  tab.requests('bucket.oss.test').pop().respond(201, '');
  assert.equal(tab.sent('send').length, 1);
  assert.equal(tab.sent('send')[0].cid, failed.cid);
});

test('relayError_isShownOnTheBubble', () => {
  const tab = boot();
  welcome(tab);
  tab.attach(PNG);
  tab.requests('/api/files/policy')[0].respond(200, policy({ mode: 'local', host: 'https://relay.test/api/files/upload', 'x-oss-security-token': undefined }));
  const up = tab.requests('/api/files/upload')[0];
  assert.deepEqual(up.sentBody.entries.map((e) => e[0]), ['key', 'policy', 'OSSAccessKeyId', 'signature', 'success_action_status', 'file']);
  up.respond(413, { type: 'error', code: 'too_large', message: 'file above 1048576 bytes' });
  const error = tab.messages()[0].node.all((e) => e.hook() === 'error')[0];
  assert.match(error.textContent, /上传失败: too_large: file above 1048576 bytes/);
});

test('fileAttachedOffline_waitsInMemory_andUploadsAfterTheNextWelcome', () => {
  const tab = boot();
  welcome(tab);
  tab.ws().drop();
  tab.win.navigator.onLine = false;
  tab.attach(PNG);
  assert.equal(tab.requests('/api/files/policy').length, 0);
  assert.deepEqual(tab.messages().map((m) => m.state), ['uploading']);

  tab.win.navigator.onLine = true;
  tab.win.fire('online');
  welcome(tab, [{ id: 'k2', lastSeq: 0, status: 'open' }]);
  tab.requests('/api/files/policy')[0].respond(200, policy());
  tab.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(tab.sent('send')[0].kind, 'image');
});

test('uploadCutByTheNetwork_startsAgainAfterTheNextWelcome', () => {
  const tab = boot();
  welcome(tab);
  const up = startUpload(tab);
  tab.win.navigator.onLine = false;
  up.finish(0, '');
  assert.equal(tab.messages()[0].state, 'uploading');
  tab.win.navigator.onLine = true;
  tab.ws().drop();
  tab.clock.tick(600);
  welcome(tab);
  assert.equal(tab.requests('/api/files/policy').length, 2);
});

test('policyRequestUnanswered_whileConnected_isAskedAgain_thenTheUploadGoesOn', () => {
  const tab = boot();
  welcome(tab);
  tab.attach(PNG);
  tab.requests('/api/files/policy').pop().respond(0, ''); // e.g. just after the network came back
  assert.equal(tab.messages()[0].state, 'uploading');
  tab.clock.tick(1600);
  assert.equal(tab.requests('/api/files/policy').length, 2, 'asked again');
  tab.requests('/api/files/policy').pop().respond(200, policy());
  tab.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(tab.sent('send')[0].kind, 'image');
});

test('fileAttachedOffline_policyUnansweredForSecondsAfterTheOnlineEvent_whileTheSocketLived_isStillUploadedAndSent', () => {
  // Chromium may fire 'online' before its network lets requests through again; the socket lived
  // through the outage, so the widget counts as connected all along.
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.win.navigator.onLine = false;
  tab.attach(PNG);
  tab.win.navigator.onLine = true;
  tab.win.fire('online');
  tab.ws().receive({ type: 'pong' }); // the socket's probe answered
  for (const wait of [1500, 3000, 6000]) {
    tab.requests('/api/files/policy').pop().respond(0, '');
    assert.equal(tab.messages()[0].state, 'uploading');
    tab.clock.tick(wait);
  }
  assert.equal(tab.requests('/api/files/policy').length, 4, 'asked again after 1.5 s, 3 s and 6 s');
  tab.requests('/api/files/policy').pop().respond(200, policy());
  tab.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(tab.sent('send')[0].kind, 'image');
  assert.equal(tab.messages()[0].state, 'pending');
});

test('policyNeverAnswered_withTheRelayConnected_showsFailedAfterSixTries_withRetry', () => {
  const tab = boot();
  welcome(tab);
  tab.attach(PNG);
  const waits = [1500, 3000, 6000, 12000, 24000];
  for (const wait of waits) {
    tab.requests('/api/files/policy').pop().respond(0, '');
    tab.clock.tick(wait - 1);
    const asked = tab.requests('/api/files/policy').length;
    tab.clock.tick(1);
    assert.equal(tab.requests('/api/files/policy').length, asked + 1, 'asked again after ' + wait + ' ms');
  }
  tab.requests('/api/files/policy').pop().respond(0, '');
  assert.equal(tab.requests('/api/files/policy').length, 6);
  const failed = tab.messages()[0];
  assert.equal(failed.state, 'failed');
  assert.match(failed.node.textContent, /上传失败: 网络错误/);

  failed.node.all((e) => e.hook() === 'retry')[0].click();
  tab.requests('/api/files/policy').pop().respond(200, policy());
  tab.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(tab.sent('send')[0].cid, failed.cid);
});

test('policyUnanswered_thenTheSocketDrops_waitsForTheNextWelcome_withItsPatienceRenewed', () => {
  const tab = boot();
  welcome(tab);
  tab.attach(PNG);
  for (const wait of [1500, 3000, 6000, 12000]) {
    tab.requests('/api/files/policy').pop().respond(0, '');
    tab.clock.tick(wait);
  }
  tab.ws().drop();
  tab.requests('/api/files/policy').pop().respond(0, ''); // the fifth: the relay is out of reach too
  tab.clock.tick(600);
  assert.equal(tab.sockets.length, 2);
  assert.equal(tab.requests('/api/files/policy').length, 5);
  assert.equal(tab.messages()[0].state, 'uploading');

  welcome(tab);
  assert.equal(tab.requests('/api/files/policy').length, 6);
  tab.requests('/api/files/policy').pop().respond(0, '');
  tab.clock.tick(1500);
  assert.equal(tab.messages()[0].state, 'uploading', 'six tries in all, but only one since the welcome');
  assert.equal(tab.requests('/api/files/policy').length, 7);
});

test('uploadThatStalls_isCut_andStartsAgainFromThePolicy', () => {
  const tab = boot();
  welcome(tab);
  const up = startUpload(tab);
  up.progress(1000, 300000);
  tab.clock.tick(40000);
  tab.ws().receive({ type: 'ping' }); // the relay is there all along
  tab.clock.tick(19000);
  assert.equal(up.aborted, undefined);
  tab.ws().receive({ type: 'ping' });
  tab.clock.tick(2000);
  assert.equal(up.aborted, true);
  assert.equal(tab.messages()[0].state, 'uploading');

  tab.clock.tick(1500);
  tab.requests('/api/files/policy').pop().respond(200, policy());
  tab.requests('bucket.oss.test').pop().respond(201, '');
  assert.equal(tab.sent('send').length, 1);
  assert.equal(tab.requests('bucket.oss.test').length, 2);
});

// Where IndexedDB is missing or refuses (private mode, quota), a reload still loses the upload.
for (const [how, indexedDB, fail] of [['noIndexedDB', false, null], ['indexedDBRefusesToOpen', true, 'open'], ['indexedDBRefusesTheWrite', true, 'write']]) {
  test('reloadDuringUpload_' + how + '_showsItFailed_withRemoveInsteadOfRetry', () => {
    const storage = new SharedStorage();
    storage.idb.fail = fail;
    const first = boot({ storage, indexedDB });
    welcome(first);
    startUpload(first);
    first.clock.tick(0); // what IndexedDB would do, it has done
    first.win.fire('pagehide');

    const second = boot({ storage, indexedDB });
    second.clock.tick(0);
    const shown = second.messages()[0];
    assert.equal(shown.state, 'failed');
    assert.match(shown.node.textContent, /页面刷新时上传未完成/);
    const button = shown.node.all((e) => e.hook() === 'retry')[0];
    assert.equal(button.textContent, '移除');
    welcome(second);
    assert.equal(second.sent('send').length, 0);
    assert.equal(second.requests('/api/files/policy').length, 0);
    button.click();
    assert.equal(second.messages().length, 0);
    assert.equal(second.state().outbox, 0);
  });
}

const FILES_DB = 'kefu:demo:files';

// A first page that got the file while offline, with its bytes in IndexedDB, and then went away.
function attachOfflineAndLeave(storage) {
  const first = boot({ storage });
  welcome(first, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  first.win.navigator.onLine = false;
  first.attach(PNG);
  first.clock.tick(0);
  const cid = first.messages()[0].cid;
  assert.deepEqual(storage.idb.values(FILES_DB, 'files'), [PNG], 'the bytes kept in IndexedDB');
  first.win.fire('pagehide');
  return { first, cid };
}

test('fileAttachedOffline_pageReloaded_uploadResumesWithTheSameCid_andIsSentOnce', () => {
  const storage = new SharedStorage();
  const { first, cid } = attachOfflineAndLeave(storage);

  const second = boot({ storage });
  second.clock.tick(0);
  assert.deepEqual(second.messages().map((m) => [m.cid, m.state]), [[cid, 'uploading']]);
  welcome(second, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  assert.equal(second.requests('/api/files/policy').length, 1);
  second.requests('/api/files/policy')[0].respond(200, policy());
  const up = second.requests('bucket.oss.test')[0];
  assert.deepEqual(up.sentBody.entries[6][1], PNG, 'the same bytes');
  up.respond(201, '');
  second.clock.tick(0);

  const sends = second.sent('send');
  assert.equal(sends.length, 1);
  assert.equal(sends[0].cid, cid);
  assert.deepEqual(sends[0].file, { key: up.sentBody.entries[1][1], name: PNG.name, size: PNG.size, mime: PNG.type });
  ackLastSend(second, 'k1', 1);
  second.clock.tick(0);
  assert.deepEqual(second.messages().map((m) => [m.cid, m.state]), [[cid, 'sent']]);
  assert.equal(second.state().outbox, 0);
  assert.deepEqual(storage.idb.values(FILES_DB, 'files'), [], 'the bytes dropped');
  assert.equal(first.requests('/api/files/policy').length, 0);
});

test('fileHandedOnByAClosedTab_isUploadedByOneOfTheOtherTabs', () => {
  const storage = new SharedStorage();
  const first = boot({ storage });
  const b = boot({ storage });
  const c = boot({ storage });
  for (const tab of [first, b, c]) welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  first.win.navigator.onLine = false;
  first.attach(PNG);
  first.clock.tick(0);
  storage.deliver();
  b.clock.tick(0);
  c.clock.tick(0);
  const asked = () => b.requests('/api/files/policy').concat(c.requests('/api/files/policy'));
  assert.equal(asked().length, 0, 'the other tabs leave it to its own tab while that lives');

  first.win.fire('pagehide');
  storage.deliver();
  b.clock.tick(0);
  c.clock.tick(0);
  storage.deliver();
  b.clock.tick(0);
  c.clock.tick(0);
  assert.equal(asked().length, 1, 'one upload');
  const uploader = b.requests('/api/files/policy').length ? b : c;
  uploader.requests('/api/files/policy')[0].respond(200, policy());
  uploader.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(b.sent('send').length + c.sent('send').length, 1);
});

test('logout_dropsTheKeptBytes', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab);
  tab.win.navigator.onLine = false;
  tab.attach(PNG);
  tab.clock.tick(0);
  assert.equal(storage.idb.values(FILES_DB, 'files').length, 1);
  tab.kefu('logout');
  tab.clock.tick(0);
  assert.deepEqual(storage.idb.values(FILES_DB, 'files'), []);
});

test('removingALostUpload_dropsItsBytes', () => {
  const storage = new SharedStorage();
  const entry = { cid: 'c-lost', kind: 'image', name: 'a.png', size: 5, mime: 'image/png', tab: 'gone', state: 'failed', lost: true, ts: Date.now() };
  storage.data.set('kefu:demo:outbox', JSON.stringify([entry]));
  storage.idb.put(FILES_DB, 'files', 'c-orphan-looking', { name: 'b.png', size: 5, type: 'image/png' });
  storage.idb.put(FILES_DB, 'files', 'c-lost', { name: 'a.png', size: 5, type: 'image/png' });
  const tab = boot({ storage });
  tab.clock.tick(0);
  tab.messages()[0].node.all((e) => e.hook() === 'retry')[0].click();
  tab.clock.tick(0);
  assert.deepEqual(storage.idb.values(FILES_DB, 'files').map((f) => f.name), ['b.png']);
});

test('handedOnUploadAnHourOld_isShownLost_andItsBytesDropped', () => {
  const storage = new SharedStorage();
  const entry = { cid: 'c-old', kind: 'image', name: 'a.png', size: 5, mime: 'image/png', tab: '', state: 'uploading', ts: Date.now() - 3700000 };
  storage.data.set('kefu:demo:outbox', JSON.stringify([entry]));
  storage.idb.put(FILES_DB, 'files', 'c-old', { name: 'a.png', size: 5, type: 'image/png' });
  const tab = boot({ storage });
  welcome(tab);
  assert.equal(tab.messages()[0].state, 'failed');
  assert.equal(tab.requests('/api/files/policy').length, 0);
  assert.deepEqual(storage.idb.values(FILES_DB, 'files'), []);
});

test('fileSendRefused_retrySendsTheSameFileWithANewCid', () => {
  const tab = boot();
  welcome(tab);
  startUpload(tab).respond(201, '');
  const first = tab.sent('send')[0];
  tab.ws().receive({ type: 'error', code: 'not_allowed', cid: first.cid });
  tab.messages()[0].node.all((e) => e.hook() === 'retry')[0].click();
  const second = tab.sent('send')[1];
  assert.notEqual(second.cid, first.cid);
  assert.deepEqual(second.file, first.file);
  assert.equal(tab.requests('bucket.oss.test').length, 1, 'no second upload');
});

test('pastedScreenshot_isAttached_butTextPasteStaysText', () => {
  const tab = boot();
  welcome(tab);
  const panel = tab.hook('panel');
  const image = { name: 'image.png', size: 2000, type: 'image/png' };
  const withText = tab.hook('input').dispatch('paste', { clipboardData: { files: [image], getData: (t) => (t === 'text/plain' ? 'a table' : '') } });
  assert.equal(withText.defaultPrevented, false);
  assert.equal(tab.messages().length, 0);

  const shot = panel.dispatch('paste', { clipboardData: { files: [image], getData: () => '' } });
  assert.equal(shot.defaultPrevented, true);
  assert.deepEqual(tab.messages().map((m) => m.text), ['[图片] image.png']);
});

test('droppedFiles_areAttached_andTheDropZoneIsMarked', () => {
  const tab = boot();
  welcome(tab);
  const root = tab.root.all((e) => /\bkf-root\b/.test(e.className))[0];
  const dataTransfer = { types: ['Files'], files: [{ name: '合同.pdf', size: 5000, type: 'application/pdf' }] };
  const over = tab.hook('list').dispatch('dragover', { dataTransfer });
  assert.equal(over.defaultPrevented, true);
  assert.match(root.className, /kf-drag/);
  tab.hook('list').dispatch('drop', { dataTransfer });
  assert.doesNotMatch(root.className, /kf-drag/);
  assert.deepEqual(tab.messages().map((m) => m.text), ['[文件] 合同.pdf (5 KB)']);

  const text = tab.hook('list').dispatch('dragover', { dataTransfer: { types: ['text/plain'] } });
  assert.equal(text.defaultPrevented, false);
});

test('keyName_isSanitised', () => {
  const tab = boot();
  welcome(tab);
  const up = startUpload(tab, { name: '../a/b\\c${filename}?.png', size: 10, type: 'image/png' });
  assert.match(up.sentBody.entries[1][1], /^kefu\/v\/demo\/VID\/[A-Za-z0-9_-]{12}\/\._a_b_c_filename_\.png$/);
});

test('anotherPagesUpload_isShownUploading_untilAnHourOld', () => {
  const storage = new SharedStorage();
  const entry = { cid: 'c-other', kind: 'image', name: 'a.png', size: 5, mime: 'image/png', tab: 'gone', state: 'uploading' };
  storage.data.set('kefu:demo:outbox', JSON.stringify([Object.assign({}, entry, { ts: Date.now() - 60000 })]));
  assert.equal(boot({ storage }).messages()[0].state, 'uploading');

  storage.data.set('kefu:demo:outbox', JSON.stringify([Object.assign({}, entry, { ts: Date.now() - 3700000 })]));
  const shown = boot({ storage }).messages()[0];
  assert.equal(shown.state, 'failed');
  assert.equal(shown.node.all((e) => e.hook() === 'retry')[0].textContent, '移除');
});

test('fileAttachedDuringAShortOutage_uploadsOnTheOnlineEvent_evenIfTheSocketLived', () => {
  const tab = boot();
  welcome(tab);
  tab.win.navigator.onLine = false;
  tab.attach(PNG);
  assert.equal(tab.requests('/api/files/policy').length, 0);
  tab.win.navigator.onLine = true;
  tab.win.fire('online');
  assert.equal(tab.sockets.length, 1, 'same socket');
  tab.requests('/api/files/policy')[0].respond(200, policy());
  tab.requests('bucket.oss.test')[0].respond(201, '');
  assert.equal(tab.sent('send')[0].kind, 'image');
});

test('paperclip_opensTheFilePicker', () => {
  const tab = boot();
  let opened = 0;
  tab.hook('picker').addEventListener('click', () => { opened++; });
  tab.hook('attach').click();
  assert.equal(opened, 1);
  assert.equal(tab.hook('picker').type, 'file');
  assert.equal(tab.hook('picker').multiple, true);
});

// ---- contact details and rating

// A contact or rate frame as sent, its cid checked and taken out (the widget makes it).
function withoutCid(frame) {
  const { cid, ...rest } = frame;
  assert.match(cid, /^c-[A-Za-z0-9_-]{20}$/);
  return rest;
}

function fillContact(tab, fields) {
  for (const k of ['name', 'phone', 'email', 'text']) tab.hook('c-' + k).value = fields[k] || '';
  tab.hook('c-submit').dispatch('click');
}

test('contactForm_offeredWhenNobodyCanAnswer_andValidated', () => {
  const tab = boot();
  welcome(tab, []);
  assert.equal(tab.hook('contact'), undefined);
  tab.ws().receive({ type: 'service', online: false, reason: 'no_agents' });
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'form');

  fillContact(tab, { name: 'Li', text: 'hi' });
  assert.match(tab.hook('c-error').textContent, /电话或邮箱/);
  fillContact(tab, { email: 'li@example', text: 'hi' });
  assert.match(tab.hook('c-error').textContent, /邮箱格式不正确/);
  assert.equal(tab.hook('c-email').getAttribute('aria-invalid'), 'true');
  fillContact(tab, { phone: 'call me', text: 'hi' });
  assert.match(tab.hook('c-error').textContent, /电话号码格式不正确/);
  fillContact(tab, { email: 'li@example.com' });
  assert.match(tab.hook('c-error').textContent, /请填写留言/);
  fillContact(tab, { email: 'li@example.com', text: 'x'.repeat(2001) });
  assert.match(tab.hook('c-error').textContent, /最多 2000 字/);
  assert.equal(tab.sent('send').length + tab.sent('contact').length, 0);
});

test('contactWithoutConversation_sendsTheMessageFirst_thenTheContactOnce', () => {
  const tab = boot();
  welcome(tab, []);
  tab.ws().receive({ type: 'service', online: false, reason: 'closed' });
  fillContact(tab, { name: '李雷 🦊', phone: '+86 138 0013 8000', text: '请回电 📞' });
  assert.equal(tab.sent('send')[0].body, '请回电 📞');
  assert.equal(tab.sent('contact').length, 0, 'no conversation to name yet');
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'pending');

  ackLastSend(tab, 'k1', 1);
  const sent = tab.sent('contact');
  assert.equal(sent.length, 1);
  assert.deepEqual(withoutCid(sent[0]), { type: 'contact', conv: 'k1', name: '李雷 🦊', phone: '+86 138 0013 8000', text: '请回电 📞' });
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'offline', lastSeq: 1, contact: sent[0] } });
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'sent');
  assert.match(tab.hook('contact-status').textContent, /已收到您的联系方式/);
  tab.hook('c-later').dispatch('click');
  assert.equal(tab.hook('contact'), undefined, 'not offered again for this conversation');
});

test('contactLeftOffline_sentAfterWelcome_andNotResentOnceTheRelayListsIt', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'offline' }]);
  tab.ws().drop();
  tab.hook('contact-open').dispatch('click');
  fillContact(tab, { email: 'li@example.com' });
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'pending');
  assert.match(tab.hook('contact-status').textContent, /联网后会自动提交/);

  tab.clock.tick(600);
  tab.ws().open();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'offline' }]);
  assert.deepEqual(tab.sent('contact').map(withoutCid), [{ type: 'contact', conv: 'k1', email: 'li@example.com' }]);
  tab.ws().drop(); // the relay stored it, but its conv frame was lost with the connection
  tab.clock.tick(2000);
  tab.ws().open();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'offline', contact: { email: 'li@example.com' } }]);
  assert.equal(tab.sent('contact').length, 0);
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'sent');
});

test('contactRefused_showsTheReason_andSubmittingAgainRetries', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open', agent: 'a1', agentName: 'Alice' }]);
  tab.hook('contact-open').dispatch('click');
  fillContact(tab, { phone: '13800138000' });
  tab.ws().receive({ type: 'error', code: 'unknown_conv', message: 'no conversation k1' });
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'failed');
  assert.match(tab.hook('contact-status').textContent, /提交失败: 会话不存在/);
  tab.hook('c-submit').dispatch('click');
  assert.equal(tab.sent('contact').length, 2);
});

// Contact details left in open chat k1, then k1 closed and rated: both pending at once, the
// contact sent first. welcomeExtra: what the welcome adds ({ cidEcho: true } or nothing).
function contactAndRatingPending(tab, welcomeExtra) {
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open', agent: 'a1', agentName: 'Alice' }], welcomeExtra);
  tab.hook('contact-open').dispatch('click');
  fillContact(tab, { email: 'li@example.com' });
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', agent: 'a1', agentName: 'Alice', lastSeq: 1 } });
  tab.hooks('star')[2].dispatch('click');
  tab.hook('r-submit').dispatch('click');
  return { contact: tab.sent('contact')[0], rate: tab.sent('rate')[0] };
}

test('contactAndRatingPending_errorsNamingTheirCids_goToTheirOwn_whateverTheOrder', () => {
  const tab = boot();
  const { contact, rate } = contactAndRatingPending(tab, { cidEcho: true });
  assert.ok(contact && rate && contact.cid !== rate.cid, 'both sent, each with its own cid');

  tab.ws().receive({ type: 'error', code: 'bad_frame', message: 'score is 1 to 5', cid: rate.cid });

  assert.equal(tab.hook('rate').getAttribute('data-state'), 'failed');
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'pending', 'the older contact was not the one refused');
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', agentName: 'Alice', lastSeq: 1, contact: withoutCid(contact) }, cid: contact.cid });
  assert.equal(tab.hook('contact').getAttribute('data-state'), 'sent');
});

test('relayEchoingCids_aCidlessErrorAnswersNeitherPendingContactNorRating', () => {
  const tab = boot();
  contactAndRatingPending(tab, { cidEcho: true });

  tab.ws().receive({ type: 'error', code: 'unknown_conv', message: 'no conversation k0' }); // a sync's, say

  assert.equal(tab.hook('contact').getAttribute('data-state'), 'pending');
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'pending');
});

test('olderRelay_noCidEcho_aCidlessErrorStillAnswersTheOldestPending', () => {
  const tab = boot();
  contactAndRatingPending(tab);

  tab.ws().receive({ type: 'error', code: 'unknown_conv', message: 'no conversation k1' });

  assert.equal(tab.hook('contact').getAttribute('data-state'), 'failed', 'the contact went first');
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'pending');
});

test('contactResent_afterReconnect_keepsItsCid', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'offline' }], { cidEcho: true });
  tab.hook('contact-open').dispatch('click');
  fillContact(tab, { email: 'li@example.com' });
  const first = tab.sent('contact')[0];
  tab.ws().drop();
  tab.clock.tick(600);
  tab.ws().open();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'offline' }], { cidEcho: true });

  assert.equal(tab.sent('contact')[0].cid, first.cid);
});

test('closedConversation_asksForARating_once', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open', agent: 'a1', agentName: 'Alice' }]);
  tab.ws().receive(agentMsg('k1', 1, 'bye'));
  assert.equal(tab.hook('rate'), undefined);
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', agent: 'a1', agentName: 'Alice', lastSeq: 1 } });
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'form');

  tab.hook('r-submit').dispatch('click');
  assert.match(tab.hook('r-error').textContent, /请先选择星级/);
  tab.hooks('star')[3].dispatch('click');
  assert.equal(tab.hook('r-caption').textContent, '满意');
  tab.hook('r-comment').value = ' 很好 👍 ';
  tab.hook('r-submit').dispatch('click');
  assert.deepEqual(tab.sent('rate').map(withoutCid), [{ type: 'rate', conv: 'k1', score: 4, comment: '很好 👍' }]);
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', agentName: 'Alice', lastSeq: 1, rating: 4, ratingComment: '很好 👍' } });
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'sent');
  assert.match(tab.hook('rate-status').textContent, /感谢您的评价！ ★★★★☆$/);

  const reloaded = boot({ storage });
  welcome(reloaded, [{ id: 'k1', lastSeq: 1, status: 'closed', agentName: 'Alice', rating: 4 }]);
  assert.equal(reloaded.hook('rate'), undefined);
  assert.equal(reloaded.sent('rate').length, 0);
});

test('rating_alreadyRatedElsewhere_countsAsDone', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'closed', agent: 'a1', agentName: 'Alice' }]);
  tab.hooks('star')[0].dispatch('click');
  tab.hook('r-submit').dispatch('click');
  tab.ws().receive({ type: 'error', code: 'not_allowed', message: 'this conversation was rated already' });
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'sent');
  tab.ws().drop();
  tab.clock.tick(600);
  tab.ws().open();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'closed', agent: 'a1', agentName: 'Alice' }]);
  assert.equal(tab.sent('rate').length, 0);
});

test('conversationNobodyTook_isNotRated', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'closed' }]);
  assert.equal(tab.hook('rate'), undefined);
});

test('nextClosedConversation_getsAFreshRatingForm', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'closed', agent: 'a1', agentName: 'Alice' }]);
  tab.hooks('star')[4].dispatch('click');
  tab.hook('r-submit').dispatch('click');
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', agentName: 'Alice', lastSeq: 1, rating: 5 } });
  tab.send('again');
  ackLastSend(tab, 'k2', 1);
  assert.equal(tab.hook('rate'), undefined, 'no rating while the new chat is open');
  tab.ws().receive({ type: 'conv', conv: { id: 'k2', status: 'closed', agent: 'a1', agentName: 'Alice', lastSeq: 1 } });
  assert.equal(tab.hook('rate').getAttribute('data-state'), 'form');
  assert.equal(tab.hooks('star').filter((s) => /kf-on/.test(s.className)).length, 0);
});

// ---------------------------------------------------------------- after a restore from backup (epoch)
// docs/protocol.md, "After a restore from backup (epoch)": the relay's store went back in time and
// hands out again seqs the widget holds.

function reconnect(tab) {
  tab.ws().drop();
  tab.clock.tick(600);
  tab.ws().open();
  return tab.ws().sent[0];
}

function visitorMsg(conv, seq, cid, body) {
  return { type: 'msg', conv, seq, cid, from: { role: 'visitor', id: 'v' }, kind: 'text', body, ts: 1 };
}

test('welcomeEpoch_isKept_andSentInTheNextHelloWithResume_overWebSocketAndLongPoll', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k1', 1, 'hi'));

  const hello = reconnect(tab);
  assert.equal(hello.epoch, 'E1');
  assert.deepEqual(hello.resume, { k1: 1 });

  const lp = boot({ storage, webSocket: false }); // a reload without WebSocket
  assert.equal(lp.xhrs[0].sentBody.epoch, 'E1');
  assert.deepEqual(lp.xhrs[0].sentBody.resume, { k1: 1 });
});

test('firstHello_withNoEpochKept_carriesNone', () => {
  const tab = boot();
  tab.ws().open();
  assert.equal('epoch' in tab.ws().sent[0], false);
});

test('welcomeWithAnotherEpoch_forgetsHeldSeqsAndWhatShowedThem_thenShowsTheReplay', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage, before: "window.got=[];Kefu('on','message',function(m){got.push(m.seq+' '+m.body)});" });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  tab.send('before the backup');
  const first = ackLastSend(tab, 'k1', 1);
  tab.ws().receive(agentMsg('k1', 2, 'in the backup'));
  tab.ws().receive(agentMsg('k1', 3, 'lost with the restore'));
  tab.ws().receive({ type: 'read', conv: 'k1', seq: 1, from: { role: 'agent', id: 'ag1' } });
  tab.hook('launcher').dispatch('click'); // seen: read marks up to 3
  assert.deepEqual(tab.messages().map((m) => m.state), ['read', 'sent', 'sent']);

  assert.deepEqual(reconnect(tab).resume, { k1: 3 });
  welcome(tab, [{ id: 'k1', lastSeq: 2, status: 'open' }], { epoch: 'E2' });
  assert.deepEqual(tab.messages(), [], 'nothing shown for the seqs of the old history');
  assert.deepEqual(JSON.parse(storage.data.get('kefu:demo:reads')), {});
  tab.win.got.length = 0;
  tab.ws().receive(visitorMsg('k1', 1, first.cid, 'before the backup'));
  tab.ws().receive(agentMsg('k1', 2, 'in the backup'));
  tab.ws().receive(agentMsg('k1', 3, 'after the restore')); // seq 3 again, another message

  assert.deepEqual(tab.messages().map((m) => [m.from, m.state, m.seq, m.text]), [
    ['visitor', 'sent', '1', 'before the backup'],
    ['agent', 'sent', '2', 'in the backup'],
    ['agent', 'sent', '3', 'after the restore']]);
  assert.deepEqual([...tab.win.got], ['1 before the backup', '2 in the backup', '3 after the restore']);
  assert.deepEqual(JSON.parse(storage.data.get('kefu:demo:h:k1')).m.map((m) => m.body),
    ['before the backup', 'in the backup', 'after the restore']);
  const hello = reconnect(tab);
  assert.equal(hello.epoch, 'E2');
  assert.deepEqual(hello.resume, { k1: 3 });
});

test('welcomeWithAnotherEpoch_pagesTheClosedConversationItLists_thoughItWasInTheResume', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k1', 1, 'a'));
  tab.ws().receive({ type: 'conv', conv: { id: 'k1', status: 'closed', lastSeq: 1 } });

  assert.deepEqual(reconnect(tab).resume, { k1: 1 });
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'closed' }], { epoch: 'E2' });
  // The relay ignored that resume: a closed conversation is not replayed by itself.
  assert.deepEqual(tab.sent('sync'), [{ type: 'sync', conv: 'k1', after: 0, limit: 500 }]);
});

test('welcomeWithAnotherEpoch_resendsTheOutboxWithItsCids_withoutConvWhenTheConversationIsGone', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k2', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k2', 1, 'opened after the backup'));
  tab.ws().drop();
  tab.send('typed while the relay was down');
  const cid = tab.messages()[1].cid;
  tab.clock.tick(600);
  tab.ws().open();

  welcome(tab, [], { epoch: 'E2' }); // the restored store does not know k2
  const resent = tab.sent('send');
  assert.equal(resent.length, 1);
  assert.equal(resent[0].cid, cid);
  assert.equal('conv' in resent[0], false);
  assert.deepEqual(tab.messages().map((m) => [m.state, m.text]), [['pending', 'typed while the relay was down']]);
  assert.equal(tab.state().conv, null);
});

test('welcomeWithAnotherEpoch_sendsTheOutboxToTheOpenConversationItLists', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  tab.ws().drop();
  tab.send('pending');
  tab.clock.tick(600);
  tab.ws().open();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E2' });
  assert.equal(tab.sent('send')[0].conv, 'k1');
});

test('firstEpoch_afterAnOlderRelay_keepsWhatItHolds', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]); // an older relay: no epoch
  tab.ws().receive(agentMsg('k1', 1, 'kept'));
  assert.equal('epoch' in reconnect(tab), false);

  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k1', 1, 'kept'));
  assert.deepEqual(tab.messages().map((m) => m.text), ['kept']);
  assert.equal(tab.sent('sync').length, 0);
  const hello = reconnect(tab);
  assert.equal(hello.epoch, 'E1');
  assert.deepEqual(hello.resume, { k1: 1 });
});

test('welcomeWithTheSameEpoch_keepsWhatItHolds', () => {
  const tab = boot();
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k1', 1, 'kept'));
  reconnect(tab);
  welcome(tab, [{ id: 'k1', lastSeq: 1, status: 'open' }], { epoch: 'E1' });
  tab.ws().receive(agentMsg('k1', 1, 'kept'));
  assert.deepEqual(tab.messages().map((m) => m.text), ['kept']);
});

test('anotherTabMeetsTheNewEpochFirst_thisTabDropsTheOldHistoryToo', () => {
  const storage = new SharedStorage();
  const a = boot({ storage });
  const b = boot({ storage });
  welcome(a, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  welcome(b, [{ id: 'k1', lastSeq: 0, status: 'open' }], { epoch: 'E1' });
  a.ws().receive(agentMsg('k1', 1, 'old'));
  b.ws().receive(agentMsg('k1', 1, 'old'));
  storage.deliver();

  reconnect(a);
  const helloB = reconnect(b);
  welcome(a, [{ id: 'k1', lastSeq: 1, status: 'open' }], { epoch: 'E2' });
  a.ws().receive(agentMsg('k1', 1, 'new'));
  storage.deliver();
  assert.deepEqual(b.messages().map((m) => m.text), ['new']);

  // b's hello still named E1, so the relay replays to b too; the same epoch keeps what a stored.
  assert.equal(helloB.epoch, 'E1');
  welcome(b, [{ id: 'k1', lastSeq: 1, status: 'open' }], { epoch: 'E2' });
  b.ws().receive(agentMsg('k1', 1, 'new'));
  b.ws().receive(agentMsg('k1', 2, 'newer'));
  assert.deepEqual(b.messages().map((m) => m.text), ['new', 'newer']);
});

// ---------------------------------------------------------------- signed-in users on every device
// docs/protocol.md, "A signed-in user on every device": the relay answers a signed hello with the
// user's one visitor, refuses an anonymous hello with an id a user signed in with, and the host page
// says when its user signs out.

const SIGNED_A = "Kefu('identify',{userId:'alice',userHash:'ha'});";
const SIGNED_B = "Kefu('identify',{userId:'bob',userHash:'hb'});";
const USERS_VISITOR = 'v-theUsersOneVisitor01';

// A browser where user alice chatted: her visitor, an agent's message, and a message left unsent.
function browserOfAlice() {
  const storage = new SharedStorage();
  const tab = boot({ storage, before: SIGNED_A });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, 'your order ships Monday'));
  tab.ws().drop();
  tab.send('my address is 1 Main St');
  assert.equal(tab.state().outbox, 1);
  return { storage, aliceId: tab.state().visitorId };
}

test('signedWelcome_withTheUsersVisitor_adoptsItsId_andDropsWhatThisBrowserHeld', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab, [{ id: 'k-here', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k-here', 1, 'before signing in'));
  tab.ws().drop();
  tab.send('typed while offline');

  tab.kefu('identify', { userId: 'alice', userHash: 'ha' });
  tab.clock.tick(600);
  tab.ws().open();
  assert.equal(tab.ws().sent[0].visitor.userId, 'alice');
  tab.ws().receive({ type: 'welcome', session: 'S', you: { role: 'visitor', id: USERS_VISITOR },
    conversations: [{ id: 'k-user', lastSeq: 1, status: 'open' }], heartbeatSec: 25, serverTime: Date.now() });
  tab.ws().receive(agentMsg('k-user', 1, 'from the other device'));

  assert.equal(tab.state().visitorId, USERS_VISITOR);
  assert.deepEqual(tab.messages().filter((m) => m.from !== 'visitor').map((m) => m.text), ['from the other device']);
  assert.deepEqual(tab.sent('send').map((f) => [f.body, f.conv]), [['typed while offline', 'k-user']],
    'the outbox goes to the user');
  storage.deliver();
  assert.equal(boot({ storage, before: SIGNED_A }).state().visitorId, USERS_VISITOR, 'kept for the next page');
});

test('signedWelcome_listingThisBrowsersChat_keepsIt_andTheReplayShowsEveryMessageOnce', () => {
  // docs/protocol.md: the relay moved this browser's anonymous chat to the user who signed in here.
  const storage = new SharedStorage();
  const tab = boot({ storage });
  welcome(tab, [{ id: 'k-here', lastSeq: 1, status: 'open' }]);
  tab.ws().receive(agentMsg('k-here', 1, 'how can I help?'));
  tab.send('where is my order?');
  ackLastSend(tab, 'k-here', 2);
  tab.ws().drop();
  tab.send('typed during the switch');

  tab.kefu('identify', { userId: 'alice', userHash: 'ha' });
  tab.clock.tick(600);
  tab.ws().open();
  assert.deepEqual(tab.ws().sent[0].resume, { 'k-here': 2 });
  tab.ws().receive({ type: 'welcome', session: 'S', you: { role: 'visitor', id: USERS_VISITOR },
    conversations: [{ id: 'k-user', lastSeq: 1, status: 'closed', createdAt: 1 },
      { id: 'k-here', lastSeq: 2, status: 'open', createdAt: 2 }], heartbeatSec: 25, serverTime: Date.now() });
  const shownAtWelcome = tab.messages().map((m) => m.text);
  assert.deepEqual(shownAtWelcome.slice(0, 2), ['how can I help?', 'where is my order?'], 'kept, not blanked');
  // The relay replays a moved conversation from the start.
  tab.ws().receive(agentMsg('k-here', 1, 'how can I help?'));
  tab.ws().receive(visitorMsg('k-here', 2, 'c-old', 'where is my order?'));
  const resent = tab.sent('send');
  assert.deepEqual(resent.map((f) => [f.body, f.conv]), [['typed during the switch', 'k-here']],
    'the outbox goes on in the same conversation');
  tab.ws().receive({ type: 'ack', cid: resent[0].cid, conv: 'k-here', seq: 3, ts: Date.now() });

  assert.equal(tab.state().visitorId, USERS_VISITOR);
  assert.deepEqual(tab.messages().map((m) => m.text),
    ['how can I help?', 'where is my order?', 'typed during the switch'], 'each once');
  assert.equal(tab.state().outbox, 0);
  assert.equal(tab.state().conv, 'k-here');
  storage.deliver();
  assert.deepEqual(boot({ storage, before: SIGNED_A }).messages().map((m) => m.text),
    ['how can I help?', 'where is my order?', 'typed during the switch'], 'kept for the next page');
});

test('convFrame_ofAChatMovedToUsFromAnotherBrowser_pagesItsHistory', () => {
  const tab = boot({ before: SIGNED_A });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive({ type: 'conv', conv: { id: 'k-laptop', status: 'open', lastSeq: 2, visitor: tab.state().visitorId } });
  assert.deepEqual(tab.sent('sync').map((f) => [f.conv, f.after]), [['k-laptop', 0]]);
  tab.ws().receive({ type: 'conv', conv: { id: 'k-laptop', status: 'open', lastSeq: 3 } });
  assert.equal(tab.sent('sync').length, 1, 'once, for a conversation new to us');
});

test('identityRequired_startsOverAsANewAnonymousVisitor_withNothingOfTheUser', () => {
  const { storage, aliceId } = browserOfAlice();
  // The page signs alice in, then the host signs her out server-side and the next hello is anonymous.
  const tab = boot({ storage, before: SIGNED_A });
  assert.equal(tab.messages().length, 2);
  tab.kefu('identify', {});
  tab.ws().open();
  tab.ws().receive({ type: 'error', code: 'identity_required', message: 'belongs to a signed-in user' });
  tab.ws().drop(1008);
  tab.clock.tick(600);
  tab.ws().open();

  const hello = tab.ws().sent[0];
  assert.notEqual(hello.visitor.id, aliceId);
  assert.equal('userId' in hello.visitor, false);
  assert.deepEqual(hello.resume, {});
  assert.deepEqual(tab.messages(), []);
  assert.equal(tab.state().outbox, 0);
});

test('logout_forgetsTheUser_andReconnectsAnonymouslyWithANewId', () => {
  const storage = new SharedStorage();
  const tab = boot({ storage, before: SIGNED_A });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, 'your order ships Monday'));
  const aliceId = tab.state().visitorId;

  tab.kefu('logout');
  tab.ws().open();
  const hello = tab.ws().sent[0];
  assert.notEqual(hello.visitor.id, aliceId);
  assert.equal('userId' in hello.visitor, false);
  assert.deepEqual(hello.resume, {});
  assert.deepEqual(tab.messages(), []);
  assert.deepEqual(boot({ storage }).messages(), [], 'nothing of hers for the next page either');
});

test('pageThatSignsNobodyIn_onABrowserWhereAUserWasSignedIn_showsNoneOfTheirs', () => {
  const { storage, aliceId } = browserOfAlice();
  const tab = boot({ storage });
  assert.deepEqual(tab.messages(), []);
  tab.clock.tick(3000); // no identify within the wait: she signed out without Kefu('logout')
  assert.equal(tab.state().outbox, 0);
  tab.ws().open();
  assert.notEqual(tab.ws().sent[0].visitor.id, aliceId);
  assert.deepEqual(tab.ws().sent[0].resume, {});
});

test('lateIdentifyOfTheSameUser_showsTheirHistory_andNoAnonymousHelloEverLeaves', () => {
  const { storage, aliceId } = browserOfAlice();
  // The host page signs its user in only once its own session check returns.
  const tab = boot({ storage });
  assert.deepEqual(tab.messages(), [], 'nothing of hers before the page says who is here');
  assert.equal(tab.hook('badge').textContent, '0');
  tab.clock.tick(2000);
  assert.equal(tab.sockets.length, 0, 'no hello before the page has said who is here');

  tab.kefu('identify', { userId: 'alice', userHash: 'ha' });
  assert.deepEqual(tab.messages().map((m) => m.text), ['your order ships Monday', 'my address is 1 Main St']);
  tab.ws().open();
  const hello = tab.ws().sent[0];
  assert.equal(hello.visitor.id, aliceId);
  assert.equal(hello.visitor.userId, 'alice');
  assert.deepEqual(hello.resume, { k1: 1 });
  assert.equal(tab.state().outbox, 1, 'her unsent message is still hers');
  tab.clock.tick(5000);
  assert.equal(tab.sockets.length, 1, 'the wait ended with the identify');
});

test('whileWaitingForIdentify_aTypedMessageStaysInTheInput_andIsSentForWhoeverIsHere', () => {
  const { storage, aliceId } = browserOfAlice();
  const tab = boot({ storage });
  tab.send('hello?');
  assert.equal(tab.hook('input').value, 'hello?', 'kept until we know who is here');
  assert.equal(tab.sockets.length, 0);
  tab.clock.tick(3000);
  tab.ws().open();
  assert.notEqual(tab.ws().sent[0].visitor.id, aliceId);
  welcome(tab);
  tab.hook('send').dispatch('click');
  assert.deepEqual(tab.sent('send').map((f) => f.body), ['hello?']);
  assert.equal(tab.sent('send')[0].conv, undefined, 'not into her conversation');
});

test('identifyWait_isTheScriptsDataIdentifyWait', () => {
  const { storage } = browserOfAlice();
  const tab = boot({ storage, attrs: { 'data-identify-wait': '500' } });
  tab.clock.tick(499);
  assert.equal(tab.sockets.length, 0);
  tab.clock.tick(1);
  assert.equal(tab.sockets.length, 1);
  tab.ws().open();
  assert.equal('userId' in tab.ws().sent[0].visitor, false);
});

test('lateIdentifyOfAnotherUser_orLogout_whileWaiting_startsFromNothing', () => {
  for (const late of [(t) => t.kefu('identify', { userId: 'bob', userHash: 'hb' }), (t) => t.kefu('logout')]) {
    const { storage, aliceId } = browserOfAlice();
    const tab = boot({ storage });
    tab.clock.tick(1000);
    late(tab);
    assert.deepEqual(tab.messages(), []);
    assert.equal(tab.state().outbox, 0);
    tab.ws().open();
    assert.notEqual(tab.ws().sent[0].visitor.id, aliceId);
    assert.deepEqual(tab.ws().sent[0].resume, {});
  }
});

test('anotherUserSignedInOnTheSameBrowser_startsFromNothing', () => {
  const { storage, aliceId } = browserOfAlice();
  const tab = boot({ storage, before: SIGNED_B });
  assert.deepEqual(tab.messages(), []);
  assert.equal(tab.state().outbox, 0);
  tab.ws().open();
  assert.notEqual(tab.ws().sent[0].visitor.id, aliceId);
  assert.equal(tab.ws().sent[0].visitor.userId, 'bob');
});

test('sameUserOnTheNextPage_keepsTheirHistoryAndOutbox', () => {
  const { storage, aliceId } = browserOfAlice();
  const tab = boot({ storage, before: SIGNED_A });
  assert.deepEqual(tab.messages().map((m) => m.text), ['your order ships Monday', 'my address is 1 Main St']);
  tab.ws().open();
  assert.equal(tab.ws().sent[0].visitor.id, aliceId);
  assert.deepEqual(tab.ws().sent[0].resume, { k1: 1 });
});

test('hostIdOfTheSignedInUser_onTheNextPage_keepsTheUsersVisitorAndHistory', () => {
  const { storage, aliceId } = browserOfAlice();
  const tab = boot({ storage, before: "Kefu('identify',{id:'host-id-of-alice-0001',userId:'alice',userHash:'ha'});" });
  assert.equal(tab.state().visitorId, aliceId);
  assert.equal(tab.messages().length, 2);
});

test('downloadUrl_carriesTheSignedIdentity', () => {
  const tab = boot({ before: SIGNED_A });
  welcome(tab, [{ id: 'k1', lastSeq: 0, status: 'open' }]);
  tab.ws().receive(agentMsg('k1', 1, '', { kind: 'image', file: { key: 'kefu/a/x/p.png', name: 'p.png', size: 10, mime: 'image/png' } }));
  const ask = fileUrlRequest(tab, 'kefu/a/x/p.png');
  assert.match(ask.url, /&userId=alice&userHash=ha$/);
});

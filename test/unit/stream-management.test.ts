/**
 * Regression test for patches/@xmpp+stream-management+0.14.0+001+fixes.patch (and +002+perf): the XEP-0198 inbound
 * counter must start at the <enabled/> element itself. Upstream reset it a microtask later,
 * after stanzas from the same read had been counted, so the client acknowledged fewer stanzas
 * than it had handled and Prosody closed the stream ("The client says it handled N new
 * stanzas, but we sent M").
 *
 * Also: <r/> requests are capped at 10 unacknowledged stanzas (upstream only debounced them,
 * 250 ms after the last stanza, so a steady flow was never acknowledged until it paused).
 *
 * And: every stanza is counted, including the iq results and requests that the iq caller's and
 * callee's middleware handle without passing them on (upstream counted in a middleware behind
 * them, so 'h' fell one behind per iq and Prosody redelivered our newest message after a
 * sign-out; test/integration/stream-management.test.ts shows that against Prosody).
 *
 * And two costs per stanza: the <a/> that answers an <r/> leaves after the handlers of the
 * read that brought it (a reply they write goes first; several requests share one <a/>), and
 * the time of each sent stanza is formatted only if it is ever sent again.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/client';
// @ts-expect-error untyped ESM module, bundled by esbuild
import streamManagement from '@xmpp/stream-management';

const NS = 'urn:xmpp:sm:3';

/** What the library needs of @xmpp/connection: events, send (recorded), hooks. */
function fakeEntity() {
  return Object.assign(new EventEmitter(), {
    sent: [] as string[],
    async send(el: { toString(): string }) {
      this.sent.push(el.toString());
    },
    hook() {},
  });
}

type Filter = (ctx: { stanza: unknown }, next: () => unknown) => unknown;
type Feature = (ctx: unknown, next: () => Promise<void>) => Promise<void>;

/** Stream management enabled on `entity`, with its outgoing filter (what a sent stanza passes). */
async function sendingSession(entity: ReturnType<typeof fakeEntity>, id: string) {
  let filter: Filter | undefined;
  let feature: Feature | undefined;
  const sm = streamManagement({
    entity,
    middleware: { use: () => {}, filter: (fn: Filter) => (filter = fn) },
    streamFeatures: { use: (_name: string, _ns: string, fn: Feature) => (feature = fn) },
  });
  const negotiation = feature!({ entity }, async () => {});
  await new Promise((r) => setImmediate(r));
  entity.emit('nonza', xml('enabled', { xmlns: NS, id, resume: 'true' }));
  await negotiation;
  return { sm, filter: filter!, feature: feature! };
}

/**
 * Stream management on `entity`, not yet negotiated, with a receive() that delivers an element
 * as @xmpp/connection does: an "element" event, which also runs the middleware.
 */
function receivingSession(entity: ReturnType<typeof fakeEntity>) {
  const incoming: ((ctx: { stanza: unknown }, next: () => Promise<void>) => Promise<void>)[] = [];
  let feature: Feature | undefined;
  const sm = streamManagement({
    entity,
    middleware: { use: (fn: (typeof incoming)[number]) => incoming.push(fn), filter: () => {} },
    streamFeatures: { use: (_name: string, _ns: string, fn: Feature) => (feature = fn) },
  });
  const receive = (stanza: ReturnType<typeof xml>) => {
    void incoming[0]!({ stanza }, async () => {});
    entity.emit('element', stanza);
  };
  return { sm, feature: feature!, receive };
}

describe('XEP-0198 inbound counter (patched @xmpp/stream-management)', () => {
  it('counts every stanza that arrives right after <enabled/>, in the same tick', async () => {
    const entity = fakeEntity();
    const { sm, feature, receive } = receivingSession(entity);
    assert.ok(feature, 'the stream feature was registered');
    const negotiation = feature({ entity }, async () => {}); // resource binding done
    await new Promise((r) => setImmediate(r)); // <enable/> is on its way
    assert.ok(entity.sent.some((s) => s.includes('<enable')), 'the client asked to enable stream management');
    // The server's <enabled/> and two stanzas, parsed from one read: synchronous, in order.
    entity.emit('nonza', xml('enabled', { xmlns: NS, id: 'sm-1', resume: 'true' }));
    receive(xml('message', { from: 'a@localhost/x' }, xml('body', {}, '1')));
    receive(xml('presence', { from: 'b@localhost/y' }));
    await negotiation;
    assert.equal(sm.enabled, true);
    assert.equal(sm.inbound, 2, 'both stanzas after <enabled/> are counted');
    entity.emit('disconnect'); // clears the library's ack timers
  });

  it('asks for an acknowledgement after 10 stanzas in a steady flow, not only when it pauses', async () => {
    const entity = fakeEntity();
    const { sm, filter } = await sendingSession(entity, 'sm-2');
    assert.equal(sm.enabled, true);
    const requests = () => entity.sent.filter((s) => s.startsWith('<r ')).length;
    const turn = () => new Promise((r) => setTimeout(r, 0)); // one timer phase: a capped request is due
    const send = (i: number) => filter({ stanza: xml('message', { to: 'b@localhost', id: `m${i}` }, xml('body', {}, String(i))) }, () => undefined);
    for (let i = 1; i <= 9; i++) send(i);
    await turn();
    assert.equal(requests(), 0, '9 stanzas: the request still waits for a pause (debounced)');
    send(10);
    await turn();
    assert.equal(requests(), 1, 'the 10th stanza brings a request at once');
    for (let i = 11; i <= 19; i++) send(i);
    await turn();
    assert.equal(requests(), 1, 'the count starts again after a request');
    send(20);
    await turn();
    assert.equal(requests(), 2);
    assert.equal(sm.outbound_q.length, 20, 'every stanza is kept until the server acknowledges it');
    entity.emit('disconnect');
  });

  it('counts the iq results and requests that middleware ahead of it consumes', async () => {
    const entity = fakeEntity();
    type Mw = (ctx: { stanza: ReturnType<typeof xml> }, next: () => Promise<unknown>) => unknown;
    // Like @xmpp/client: the iq caller's middleware is registered first and resolves the
    // pending request without calling next(); stream management's comes after it.
    const chain: Mw[] = [(ctx, next) => (ctx.stanza.name === 'iq' && ctx.stanza.attrs.type === 'result' ? undefined : next())];
    let feature: ((ctx: unknown, next: () => Promise<void>) => Promise<void>) | undefined;
    const sm = streamManagement({
      entity,
      middleware: { use: (fn: Mw) => chain.push(fn), filter: () => {} },
      streamFeatures: { use: (_name: string, _ns: string, fn: typeof feature) => (feature = fn) },
    });
    const run = (stanza: ReturnType<typeof xml>, i = 0): Promise<unknown> => Promise.resolve(chain[i]?.({ stanza }, () => run(stanza, i + 1)));
    // @xmpp/middleware listens to "element" first (it is created before stream management).
    const receive = (stanza: ReturnType<typeof xml>) => {
      const done = run(stanza);
      entity.emit('element', stanza);
      return done;
    };
    const negotiation = feature!({ entity }, async () => {});
    await new Promise((r) => setImmediate(r));
    entity.emit('nonza', xml('enabled', { xmlns: NS, id: 'sm-3', resume: 'true' }));
    await negotiation;
    await receive(xml('iq', { type: 'result', id: 'roster-1' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await receive(xml('message', { from: 'a@localhost/x' }, xml('body', {}, 'hi')));
    assert.equal(sm.inbound, 2, 'the iq result counts as a handled stanza');
    await receive(xml('r', { xmlns: NS }));
    await new Promise((r) => setImmediate(r)); // the <a/> leaves after the read's handlers
    assert.ok(entity.sent.includes(`<a xmlns="${NS}" h="2"/>`), `answered <r/> with h=2: ${entity.sent.join(' ')}`);
    entity.emit('disconnect');
  });

  /** An enabled session and a receive() that runs the middleware as @xmpp/connection does. */
  async function enabledSession(id: string) {
    const entity = fakeEntity();
    const { sm, feature, receive } = receivingSession(entity);
    const negotiation = feature({ entity }, async () => {});
    await new Promise((r) => setImmediate(r));
    entity.emit('nonza', xml('enabled', { xmlns: NS, id, resume: 'true' }));
    await negotiation;
    return { entity, sm, receive };
  }

  it('answers <r/> after the handlers of the same read, so a reply written by them leaves first', async () => {
    const { entity, sm, receive } = await enabledSession('sm-4');
    const acks = () => entity.sent.filter((s) => s.startsWith('<a '));
    // Prosody delivers a message followed by its <r/> (mod_smacks asks after every stanza it
    // flushes); the application answers the message at once, from its handler.
    entity.on('element', (el: ReturnType<typeof xml>) => {
      if (el.name === 'message') void entity.send(xml('message', { to: 'a@localhost/x', id: 'reply' }, xml('body', {}, 'echo')));
    });
    receive(xml('message', { from: 'a@localhost/x' }, xml('body', {}, 'hi')));
    receive(xml('r', { xmlns: NS }));
    receive(xml('r', { xmlns: NS }));
    assert.deepEqual(acks(), [], 'not yet: the read is still being handled');
    receive(xml('presence', { from: 'b@localhost/y' }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(acks(), [`<a xmlns="${NS}" h="2"/>`], 'one <a/> for both requests, counting every stanza handled when it was written');
    assert.ok(entity.sent.findIndex((s) => s.includes('id="reply"')) < entity.sent.indexOf(acks()[0]!), `the reply went first: ${entity.sent.join(' ')}`);
    receive(xml('r', { xmlns: NS }));
    await new Promise((r) => setImmediate(r));
    assert.equal(acks().length, 2, 'a later request gets its own <a/>');
    receive(xml('r', { xmlns: NS }));
    entity.emit('disconnect');
    await new Promise((r) => setImmediate(r));
    assert.equal(acks().length, 2, 'nothing is written once the stream is gone');
    assert.equal(sm.enabled, false);
  });

  it('stamps a stanza only if it is sent again (XEP-0203 <delay/> on a resumed stream)', async () => {
    const entity = Object.assign(fakeEntity(), { jid: { toString: () => 'me@localhost/r' }, _ready() {}, sendMany: async (els: { toString(): string }[]) => void els.forEach((e) => entity.sent.push(e.toString())) });
    const { sm, filter, feature } = await sendingSession(entity, 'sm-5');
    const before = Date.now();
    filter({ stanza: xml('message', { to: 'b@localhost', id: 'm1' }, xml('body', {}, 'one')) }, () => undefined);
    assert.equal(typeof sm.outbound_q[0].stamp, 'number', 'no date string is made for a stanza sent once');
    // The stream drops and is resumed: the unacknowledged message goes out again, stamped.
    entity.emit('disconnect');
    const negotiation = feature({ entity }, async () => {});
    await new Promise((r) => setImmediate(r));
    assert.ok(entity.sent.some((s) => s.includes('<resume')), entity.sent.join(' '));
    entity.emit('nonza', xml('resumed', { xmlns: NS, h: '0', previd: 'sm-5' }));
    await negotiation;
    const again = entity.sent.find((s) => s.includes('id="m1"'));
    const stamp = /stamp="([^"]+)"/.exec(again ?? '')?.[1];
    assert.ok(stamp && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(stamp), `resent with a XEP-0082 stamp: ${again}`);
    assert.ok(Math.abs(Date.parse(stamp!) - before) < 2000, 'the stamp is the time it was first sent');
    entity.emit('disconnect');
  });
});

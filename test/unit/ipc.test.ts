// Webview side of the protocol (webview/shared/ipc.ts), with a fake host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcClient, RequestError } from '../../webview/shared/ipc';
import type { ChatNotifications, ChatRequests } from '../../src/shared/protocol';

function harness(timeoutMs = 1000) {
  const posted: Array<{ kind: string; id: number; method: string; params: unknown }> = [];
  let listener: ((data: unknown) => void) | undefined;
  let unsubscribed = false;
  const logs: string[] = [];
  const ipc = new IpcClient<ChatRequests, ChatNotifications>({
    post: (m) => posted.push(m as (typeof posted)[number]),
    source: (l) => {
      listener = l;
      return () => (unsubscribed = true);
    },
    timeoutMs,
    log: (m) => logs.push(m),
  });
  const deliver = (data: unknown) => listener!(data);
  return { ipc, posted, deliver, logs, isUnsubscribed: () => unsubscribed };
}

test('requests carry increasing ids and resolve with the matching response', async () => {
  const { ipc, posted, deliver } = harness();
  const a = ipc.request('send', { text: 'one' });
  const b = ipc.request('send', { text: 'two' });
  assert.equal(posted.length, 2);
  assert.deepEqual(posted[0], { kind: 'request', id: 1, method: 'send', params: { text: 'one' } });
  assert.equal(posted[1]!.id, 2);
  // Answered out of order: each promise gets its own result.
  deliver({ kind: 'response', id: 2, ok: true, result: { id: 'm2' } });
  deliver({ kind: 'response', id: 1, ok: true, result: { id: 'm1' } });
  assert.deepEqual(await a, { id: 'm1' });
  assert.deepEqual(await b, { id: 'm2' });
});

test('ready() sends the handshake request and returns the initial state', async () => {
  const { ipc, posted, deliver } = harness();
  const r = ipc.ready();
  assert.deepEqual(posted[0], { kind: 'request', id: 1, method: 'ready', params: {} });
  const state = { account: 'a', accountJid: 'me@x', jid: 'bob@x', name: 'Bob', presence: 'available', connection: 'online', messages: [] };
  deliver({ kind: 'response', id: 1, ok: true, result: state });
  assert.deepEqual(await r, state);
});

test('ok:false rejects with the host error text', async () => {
  const { ipc, deliver } = harness();
  const p = ipc.request('send', { text: 'x' });
  deliver({ kind: 'response', id: 1, ok: false, error: 'not connected' });
  await assert.rejects(p, (err: unknown) => err instanceof RequestError && err.message === 'not connected' && !err.timedOut && err.method === 'send');
});

test('a response without ok is an error, not a success', async () => {
  const { ipc, deliver } = harness();
  const p = ipc.request('chatState', { state: 'composing' });
  deliver({ kind: 'response', id: 1, result: 'sneaky' });
  await assert.rejects(p, /Malformed response/);
});

test('an unanswered request times out with an Error, and a late reply is ignored', async () => {
  const { ipc, deliver, logs } = harness(30);
  const t0 = Date.now();
  await assert.rejects(ipc.request('send', { text: 'x' }), (err: unknown) => err instanceof RequestError && err.timedOut && /timed out/.test(err.message));
  assert.ok(Date.now() - t0 >= 25);
  deliver({ kind: 'response', id: 1, ok: true, result: { id: 'late' } });
  assert.ok(logs.some((l) => /no pending request/.test(l)));
});

test('the default timeout is the protocol REQUEST_TIMEOUT_MS', async () => {
  const { REQUEST_TIMEOUT_MS } = await import('../../src/shared/protocol');
  const { mock } = await import('node:test');
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const ipc = new IpcClient<ChatRequests, ChatNotifications>({ post: () => {}, source: () => () => {}, log: () => {} });
    let settled = false;
    const p = ipc.request('send', { text: 'x' }).catch((e: Error) => {
      settled = true;
      return e;
    });
    mock.timers.tick(REQUEST_TIMEOUT_MS - 1);
    await Promise.resolve();
    assert.equal(settled, false);
    mock.timers.tick(1);
    assert.ok((await p) instanceof RequestError);
  } finally {
    mock.timers.reset();
  }
});

test('a throwing post rejects instead of hanging', async () => {
  const ipc = new IpcClient<ChatRequests, ChatNotifications>({
    post: () => {
      throw new Error('channel closed');
    },
    source: () => () => {},
    log: () => {},
  });
  await assert.rejects(ipc.request('send', { text: 'x' }), /channel closed/);
});

test('notifications reach their handlers; unsubscribe works; a throwing handler does not stop others', () => {
  const { ipc, deliver, logs } = harness();
  const got: unknown[] = [];
  ipc.onNotification('theirState', () => {
    throw new Error('boom');
  });
  const off = ipc.onNotification('theirState', (d) => got.push(d.state));
  deliver({ kind: 'notification', type: 'theirState', data: { state: 'composing' } });
  off();
  deliver({ kind: 'notification', type: 'theirState', data: { state: 'paused' } });
  assert.deepEqual(got, ['composing']);
  assert.ok(logs.some((l) => /threw/.test(l)));
});

test('malformed and unknown messages are ignored and logged', async () => {
  const { ipc, deliver, logs } = harness();
  const p = ipc.request('send', { text: 'x' });
  for (const junk of [null, undefined, 42, 'response', [], {}, { kind: 'response' }, { kind: 'response', id: '1', ok: true }, { kind: 'notification' }, { kind: 'notification', type: 'nobodyListens', data: 1 }, { kind: 'weird' }]) {
    assert.doesNotThrow(() => deliver(junk));
  }
  assert.equal(logs.length, 11);
  // The pending request is unaffected by the junk.
  deliver({ kind: 'response', id: 1, ok: true, result: { id: 'ok' } });
  assert.deepEqual(await p, { id: 'ok' });
});

test('dispose rejects pending requests and stops listening', async () => {
  const { ipc, isUnsubscribed } = harness();
  const p = ipc.request('send', { text: 'x' });
  ipc.dispose();
  await assert.rejects(p, /closed/);
  assert.equal(isUnsubscribed(), true);
});

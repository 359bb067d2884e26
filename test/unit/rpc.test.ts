/**
 * Host side of the webview protocol (src/host/rpc.ts) with a fake webview: the ready
 * handshake, replies by id, the error path, and notifications held across ready.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { WebviewRpc } from '../../src/host/rpc';
import { type ChatNotifications, type ChatRequests, type MessageView, chatValidators } from '../../src/shared/protocol';

function fakeWebview() {
  const posted: any[] = [];
  let listener: ((m: unknown) => void) | undefined;
  const webview = {
    postMessage: async (m: unknown) => {
      posted.push(m);
      return true;
    },
    onDidReceiveMessage: (l: (m: unknown) => void) => {
      listener = l;
      return { dispose: () => (listener = undefined) };
    },
  } as unknown as vscode.Webview;
  const send = (m: unknown) => listener!(m);
  return { webview, posted, send };
}

const msg = (id: string): MessageView => ({ id, ts: 1, direction: 'in', text: id });

/** Resolves once `posted` has n entries (the handlers are async). */
async function until(posted: unknown[], n: number): Promise<void> {
  for (let i = 0; i < 100 && posted.length < n; i++) await new Promise((r) => setImmediate(r));
  assert.ok(posted.length >= n, `expected ${n} posts, got ${posted.length}`);
}

function rpcWith(webview: vscode.Webview, handlers: Partial<Record<keyof ChatRequests, (p: any) => unknown>>, logs: string[] = []) {
  const all = { ready: () => ({ state: 'S' }), send: () => ({ id: 'x' }), chatState: () => undefined, otr: () => undefined, otrPolicy: () => undefined, codeAction: () => undefined, ...handlers };
  return new WebviewRpc<ChatRequests, ChatNotifications>(webview, chatValidators, all as any, (m) => logs.push(m), new Set(['header', 'otr']));
}

describe('WebviewRpc (host side)', () => {
  it('holds notifications until ready, then sends them after the ready response, in order', async () => {
    const { webview, posted, send } = fakeWebview();
    const rpc = rpcWith(webview, {});
    rpc.notify('message', msg('a'));
    rpc.notify('header', { name: 'old', presence: 'away', connection: 'online' });
    rpc.notify('message', msg('b'));
    rpc.notify('header', { name: 'new', presence: 'available', connection: 'online' });
    assert.equal(posted.length, 0);
    send({ kind: 'request', id: 1, method: 'ready', params: null });
    await until(posted, 4);
    assert.deepEqual(posted[0], { kind: 'response', id: 1, ok: true, result: { state: 'S' } });
    // Every incremental message arrives; of the state kind only the newest.
    assert.deepEqual(
      posted.slice(1).map((p) => (p.type === 'message' ? p.data.id : p.data.name)),
      ['a', 'b', 'new'],
    );
    rpc.notify('message', msg('c'));
    assert.equal(posted.at(-1).data.id, 'c');
  });

  it('a notification sent while the ready handler runs is not lost', async () => {
    const { webview, posted, send } = fakeWebview();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const rpc = rpcWith(webview, { ready: async () => (await gate, 'S') });
    send({ kind: 'request', id: 1, method: 'ready', params: null });
    rpc.notify('message', msg('during'));
    release();
    await until(posted, 2);
    assert.equal(posted[0].kind, 'response');
    assert.equal(posted[1].data.id, 'during');
  });

  it('answers a throwing handler with an error response carrying its id', async () => {
    const { webview, posted, send } = fakeWebview();
    rpcWith(webview, {
      send: () => {
        throw new Error('not signed in');
      },
    });
    send({ kind: 'request', id: 7, method: 'send', params: { text: 'hi' } });
    await until(posted, 1);
    assert.deepEqual(posted[0], { kind: 'response', id: 7, ok: false, error: 'not signed in' });
  });

  it('refuses an invalid request with an error response and a log line, calling no handler', async () => {
    const { webview, posted, send } = fakeWebview();
    const logs: string[] = [];
    let called = false;
    rpcWith(webview, { send: () => (called = true) }, logs);
    send({ kind: 'request', id: 3, method: 'send', params: { text: 42 } });
    send({ kind: 'request', id: 4, method: 'rm -rf', params: null });
    send('garbage');
    await until(posted, 2);
    assert.equal(called, false);
    assert.deepEqual(posted.map((p) => [p.id, p.ok]), [[3, false], [4, false]]);
    assert.equal(logs.length, 3);
  });

  it('bounds what it holds for a webview that never becomes ready', () => {
    const { webview, posted } = fakeWebview();
    const rpc = rpcWith(webview, {});
    for (let i = 0; i < 5000; i++) rpc.notify('message', msg(String(i)));
    assert.equal(posted.length, 0);
    assert.ok((rpc as unknown as { pending: unknown[] }).pending.length <= 2000);
  });
});

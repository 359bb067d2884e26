// Host-side validation of webview requests (src/shared/protocol.ts). Every input here is
// what a compromised or buggy webview could post.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHAT_STATES,
  CONTACT_ACTIONS,
  MAX_OUTGOING_TEXT,
  chatValidators,
  contactsValidators,
  validateRequest,
  type ChatRequests,
  type ContactsRequests,
} from '../../src/shared/protocol';

const req = (method: unknown, params?: unknown, id: unknown = 7) => ({ kind: 'request', id, method, params });

function chat(raw: unknown) {
  return validateRequest<ChatRequests>(raw, chatValidators);
}
function contacts(raw: unknown) {
  return validateRequest<ContactsRequests>(raw, contactsValidators);
}
function errorOf(r: ReturnType<typeof chat> | ReturnType<typeof contacts>): { id?: number; error: string } {
  assert.equal(r.ok, false, `expected a rejection, got ${JSON.stringify(r)}`);
  return r as { id?: number; error: string };
}

describe('protocol: valid requests', () => {
  it('accepts every contacts method with good params and returns the envelope', () => {
    const good: Array<[string, unknown]> = [
      ['ready', {}],
      ['ready', undefined],
      ['openChat', { account: 'acct', jid: 'a@example.com' }],
      ['addAccount', {}],
      ['addContact', {}],
      ['addContact', { account: 'acct' }],
      ['signIn', { account: 'acct' }],
      ['signOut', { account: 'acct' }],
      ['answerRequest', { account: 'acct', jid: 'a@example.com', answer: 'authorize' }],
      ['answerRequest', { account: 'acct', jid: 'a@example.com', answer: 'deny' }],
      ...CONTACT_ACTIONS.map((action): [string, unknown] => ['contactAction', { account: 'acct', jid: 'a@example.com', action }]),
    ];
    for (const [method, params] of good) {
      const r = contacts(req(method, params, 42));
      assert.deepEqual(r, { ok: true, request: { kind: 'request', id: 42, method, params: params ?? {} } }, `${method} ${JSON.stringify(params)}`);
    }
  });

  it('accepts every chat method with good params', () => {
    assert.deepEqual(chat(req('send', { text: 'hello' }, 1)), { ok: true, request: { kind: 'request', id: 1, method: 'send', params: { text: 'hello' } } });
    assert.equal(chat(req('ready', {})).ok, true);
    for (const state of CHAT_STATES) assert.equal(chat(req('chatState', { state })).ok, true, state);
  });

  it('accepts text of exactly MAX_OUTGOING_TEXT characters and hostile-looking text', () => {
    assert.equal(chat(req('send', { text: 'x'.repeat(MAX_OUTGOING_TEXT) })).ok, true);
    assert.equal(chat(req('send', { text: '<script>alert(1)</script>]]>&amp;' })).ok, true);
  });

  it('a method of one view is unknown to the other', () => {
    assert.equal(errorOf(chat(req('signIn', { account: 'acct' }))).error, 'unknown method');
    assert.equal(errorOf(contacts(req('send', { text: 'hi' }))).error, 'unknown method');
  });
});

describe('protocol: envelope errors', () => {
  it('rejects non-objects', () => {
    for (const raw of [null, undefined, 42, 'request', true, [], [req('ready')]]) {
      assert.deepEqual(chat(raw), { ok: false, error: 'message is not an object' }, JSON.stringify(raw));
    }
  });

  it('rejects a missing or bad id, without echoing a bad one', () => {
    for (const id of [undefined, null, '7', 1.5, NaN, Infinity, 2 ** 53, {}]) {
      const r = errorOf(chat({ kind: 'request', id, method: 'ready', params: {} }));
      assert.equal(r.error, 'not a request', String(id));
      assert.equal(r.id, undefined);
    }
  });

  it('rejects a wrong kind but still reports the id', () => {
    assert.deepEqual(chat({ kind: 'response', id: 3, method: 'ready' }), { ok: false, id: 3, error: 'not a request' });
    assert.deepEqual(chat({ id: 3, method: 'ready' }), { ok: false, id: 3, error: 'not a request' });
  });

  it('rejects unknown and non-string methods', () => {
    for (const method of ['nope', '', 'READY', 'send ', undefined, null, 1, ['send'], { toString: () => 'send' }]) {
      assert.deepEqual(chat(req(method, { text: 'x' }, 9)), { ok: false, id: 9, error: 'unknown method' }, String(method));
    }
  });

  it('rejects prototype names as methods (no lookup through Object.prototype)', () => {
    for (const method of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__']) {
      assert.deepEqual(chat(req(method, {}, 5)), { ok: false, id: 5, error: 'unknown method' }, method);
      assert.deepEqual(contacts(req(method, {}, 5)), { ok: false, id: 5, error: 'unknown method' }, method);
    }
  });
});

describe('protocol: params', () => {
  it('send: text must be a non-empty string within MAX_OUTGOING_TEXT', () => {
    assert.equal(errorOf(chat(req('send', { text: 'x'.repeat(MAX_OUTGOING_TEXT + 1) }))).error, 'text is too long');
    assert.equal(errorOf(chat(req('send', { text: '' }))).error, 'text is empty');
    assert.equal(errorOf(chat(req('send', { text: ' \n\t\u00a0 ' }))).error, 'text is empty');
    for (const text of [undefined, null, 5, ['hi'], { toString: () => 'hi' }, new String('hi')]) {
      assert.equal(errorOf(chat(req('send', { text }))).error, 'text must be a string', String(text));
    }
    assert.equal(errorOf(chat(req('send', undefined))).error, 'text must be a string');
    for (const params of ['hi', 42, ['hi'], true]) {
      assert.equal(errorOf(chat(req('send', params))).error, 'params must be an object', JSON.stringify(params));
    }
  });

  it('chatState: only XEP-0085 states', () => {
    for (const state of ['typing', 'ACTIVE', '', undefined, 1, ['active'], 'constructor', 'toString']) {
      assert.match(errorOf(chat(req('chatState', { state }))).error, /^state is not one of active, composing/, String(state));
    }
    assert.equal(errorOf(chat(req('chatState', 'active'))).error, 'params must be an object');
  });

  it('contactAction and answerRequest: enums checked after account and jid', () => {
    assert.match(errorOf(contacts(req('contactAction', { account: 'a', jid: 'b@c', action: 'delete-all' }))).error, /^action is not one of/);
    assert.match(errorOf(contacts(req('contactAction', { account: 'a', jid: 'b@c' }))).error, /^action is not one of/);
    assert.match(errorOf(contacts(req('answerRequest', { account: 'a', jid: 'b@c', answer: 'yes' }))).error, /^answer is not one of authorize, deny/);
    assert.equal(errorOf(contacts(req('contactAction', { jid: 'b@c', action: 'remove' }))).error, 'account must be a string');
    assert.equal(errorOf(contacts(req('answerRequest', { account: 'a', answer: 'deny' }))).error, 'jid must be a string');
    assert.equal(errorOf(contacts(req('contactAction', 'remove'))).error, 'params must be an object');
    assert.equal(errorOf(contacts(req('answerRequest', null))).error, 'account must be a string', 'null params read as {}');
  });

  it('account and jid: types and sizes', () => {
    assert.equal(errorOf(contacts(req('signIn', { account: 5 }))).error, 'account must be a string');
    assert.equal(errorOf(contacts(req('signIn', {}))).error, 'account must be a string');
    assert.equal(errorOf(contacts(req('signIn', { account: 'x'.repeat(257) }))).error, 'account is too long');
    assert.equal(contacts(req('signIn', { account: 'x'.repeat(256) })).ok, true);
    assert.equal(errorOf(contacts(req('openChat', { account: 'a', jid: 'x'.repeat(3072) }))).error, 'jid is too long');
    assert.equal(contacts(req('openChat', { account: 'a', jid: 'x'.repeat(3071) })).ok, true);
    assert.equal(errorOf(contacts(req('openChat', { account: 'a', jid: ['b@c'] }))).error, 'jid must be a string');
    assert.equal(errorOf(contacts(req('addContact', { account: 7 }))).error, 'account must be a string');
    assert.equal(errorOf(contacts(req('addContact', { account: 'x'.repeat(257) }))).error, 'account is too long');
  });

  it('methods without params reject non-object params', () => {
    for (const params of ['x', 1, [], true]) {
      assert.equal(errorOf(contacts(req('ready', params))).error, 'params must be an object', JSON.stringify(params));
      assert.equal(errorOf(contacts(req('addAccount', params))).error, 'params must be an object', JSON.stringify(params));
    }
    assert.deepEqual(contacts(req('ready', null, 1)), { ok: true, request: { kind: 'request', id: 1, method: 'ready', params: {} } });
  });

  it('extra fields are tolerated (ignored by handlers) and do not bypass checks', () => {
    const r = chat(req('send', { text: 'hi', to: 'someone-else@example.com', admin: true }, 2));
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.request.params, { text: 'hi', to: 'someone-else@example.com', admin: true });
    const extraEnvelope = chat({ ...req('send', { text: 'hi' }, 3), extra: 1 });
    assert.equal(extraEnvelope.ok, true);
    assert.equal(errorOf(chat(req('send', { text: '', fallback: 'x' }))).error, 'text is empty');
  });

  it('JSON with "__proto__" keys neither passes checks through the prototype nor pollutes Object.prototype', () => {
    // JSON.parse creates an own "__proto__" property, exactly what postMessage data can carry.
    const raw = JSON.parse('{"kind":"request","id":1,"method":"send","params":{"__proto__":{"text":"from proto"}},"__proto__":{"polluted":true}}');
    assert.equal(errorOf(chat(raw)).error, 'text must be a string');
    const raw2 = JSON.parse('{"kind":"request","id":2,"method":"chatState","params":{"__proto__":{"state":"active"}}}');
    assert.match(errorOf(chat(raw2)).error, /^state is not one of/);
    const raw3 = JSON.parse('{"kind":"request","id":3,"method":"send","params":{"text":"ok","__proto__":{"polluted":true}}}');
    assert.equal(chat(raw3).ok, true);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });
});

describe('chat: earlier (older pages of history)', () => {
  it('accepts a message id and a page size up to CHAT_PAGE', () => {
    assert.equal(chat({ kind: 'request', id: 1, method: 'earlier', params: { before: 'm1', limit: 200 } }).ok, true);
    assert.equal(chat({ kind: 'request', id: 1, method: 'earlier', params: { before: 'm1', limit: 1 } }).ok, true);
  });
  it('refuses a missing or huge id and a page size that is not 1..CHAT_PAGE', () => {
    for (const params of [{ limit: 10 }, { before: 'x'.repeat(300), limit: 10 }, { before: 'm1', limit: 0 }, { before: 'm1', limit: 201 }, { before: 'm1', limit: 1.5 }, { before: 'm1' }, null, 'x']) {
      const r = chat({ kind: 'request', id: 1, method: 'earlier', params });
      assert.equal(r.ok, false, JSON.stringify(params));
    }
  });
});

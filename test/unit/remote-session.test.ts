// A follower window's view of an account (src/host/remoteSession.ts, issue 7): snapshots from
// the owner drive the roster, state and presence the contact tree and chats read; every action
// becomes exactly one request to the owner; owner events become the session's events.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteSession, isRemote, type AccountSnapshot } from '../../src/host/remoteSession';

function snap(over: Partial<AccountSnapshot> = {}): AccountSnapshot {
  return {
    id: 'alice@example.org',
    jid: 'alice@example.org',
    state: 'online',
    presence: { show: 'available' },
    roster: {
      items: [{ jid: 'bob@example.org', name: 'Bob', subscription: 'both', groups: ['Friends'] } as AccountSnapshot['roster']['items'][number]],
      presence: [['bob@example.org', [['laptop', { show: 'away', status: 'lunch', priority: 0 }]]]],
      requests: [['eve@example.org', 1]],
      denied: [],
    },
    queued: 2,
    ...over,
  };
}

function recorder() {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const call = async <T,>(method: string, params: Record<string, unknown>): Promise<T> => {
    calls.push({ method, params });
    return (method === 'history' ? [{ id: 'm1', direction: 'in', text: 'hi', ts: 1 }] : undefined) as T;
  };
  return { calls, call };
}

describe('RemoteSession', () => {
  it('shows the owner snapshot: roster, presence, requests, queue size', () => {
    const r = new RemoteSession(snap(), recorder().call);
    assert.ok(isRemote(r));
    assert.equal(r.state, 'online');
    assert.equal(r.roster.displayName('bob@example.org'), 'Bob');
    assert.deepEqual(r.roster.aggregate('bob@example.org'), { show: 'away', status: 'lunch', resource: 'laptop' });
    assert.deepEqual(r.roster.requestViews().map((v) => v.jid), ['eve@example.org']);
    assert.equal(r.queue.size, 2);
  });

  it('a new snapshot replaces the old one and emits state and roster events', () => {
    const r = new RemoteSession(snap(), recorder().call);
    const seen: string[] = [];
    r.on('state', ({ state }) => seen.push(`state:${state}`));
    r.on('roster', () => seen.push('roster'));
    r.on('ownPresence', ({ show }) => seen.push(`own:${show}`));
    r.apply(snap({ state: 'signedOut', presence: { show: 'offline' }, roster: { items: [], presence: [], requests: [], denied: [] }, queued: 0 }));
    assert.deepEqual(seen, ['state:signedOut', 'own:offline', 'roster']);
    assert.equal(r.roster.items.size, 0);
    assert.equal(r.roster.aggregate('bob@example.org').show, 'offline');
    // While the owner is being replaced a signed-out account stays signed out.
    r.detached();
    assert.equal(r.state, 'signedOut');
  });

  it('while the owner changes, an online account shows "connecting"', () => {
    const r = new RemoteSession(snap(), recorder().call);
    r.detached();
    assert.equal(r.state, 'connecting');
    // What the owner last said decides whether the next owner signs the account in.
    assert.equal(r.lastOwnerState, 'online');
  });

  it('every action is one request to the owner, never a send of its own', async () => {
    const { calls, call } = recorder();
    const r = new RemoteSession(snap(), call);
    await r.sendMessage('bob@example.org', 'hello', { requirePrivate: true });
    await r.sendChatState('bob@example.org', 'composing');
    await r.renameContact('bob@example.org', 'Robert');
    await r.answerRequest('eve@example.org', 'deny');
    await r.otrAction('Bob@Example.org/x', 'startPrivate');
    await r.signOut();
    assert.deepEqual(await r.history('bob@example.org', 5), [{ id: 'm1', direction: 'in', text: 'hi', ts: 1 }]);
    assert.deepEqual(
      calls.map((c) => c.method),
      ['send', 'chatState', 'contact', 'contact', 'otr', 'signOut', 'history'],
    );
    assert.deepEqual(calls[0].params, { account: 'alice@example.org', jid: 'bob@example.org', text: 'hello', opts: { requirePrivate: true } });
    assert.deepEqual(calls[2].params, { account: 'alice@example.org', op: 'renameContact', args: ['bob@example.org', 'Robert'] });
    assert.equal(calls[4].params.jid, 'bob@example.org');
  });

  it('owner events become the session events the chats listen to; OTR changes are cached per contact', () => {
    const r = new RemoteSession(snap(), recorder().call);
    const got: unknown[] = [];
    r.on('message', (m) => got.push(m));
    r.on('messageStatus', (m) => got.push(m));
    const otr: (string | undefined)[] = [];
    r.onOtrChange((c) => otr.push(c));
    const message = { contact: 'bob@example.org', message: { id: 'x', direction: 'in', text: 't', ts: 2 }, incoming: true, notifyWindow: 'w1' };
    r.onOwnerEvent('message', message);
    r.onOwnerEvent('messageStatus', { contact: 'bob@example.org', id: 'x', status: 'sent' });
    r.onOwnerEvent('otr', { contact: 'bob@example.org', view: { state: 'private-verified' } });
    assert.deepEqual(got, [message, { contact: 'bob@example.org', id: 'x', status: 'sent' }]);
    assert.deepEqual(otr, ['bob@example.org']);
    assert.deepEqual(r.cachedOtrView('bob@example.org'), { state: 'private-verified' });
    r.onOwnerEvent('otr', { contact: 'bob@example.org', view: { state: 'plaintext' } });
    assert.deepEqual(r.cachedOtrView('bob@example.org'), { state: 'plaintext' });
    r.dispose();
    r.onOwnerEvent('message', message);
    assert.equal(got.length, 2);
  });
});

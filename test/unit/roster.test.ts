// Roster and presence model (src/core/roster.ts): RFC 6121 roster management (§2),
// subscriptions (§3) and availability (§4), fed with stanzas built by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { NS_ROSTER, Roster, parseItem } from '../../src/core/roster';

const ME = 'me@example.com';

type ItemSpec = { jid?: string; name?: string; subscription?: string; ask?: string; groups?: string[] };

function itemEl(spec: ItemSpec): Element {
  const attrs: Record<string, string> = {};
  if (spec.jid !== undefined) attrs.jid = spec.jid;
  if (spec.name !== undefined) attrs.name = spec.name;
  if (spec.subscription !== undefined) attrs.subscription = spec.subscription;
  if (spec.ask !== undefined) attrs.ask = spec.ask;
  return xml('item', attrs, ...(spec.groups ?? []).map((g) => xml('group', {}, g)));
}

function rosterResult(items: ItemSpec[], ver?: string): Element {
  return xml('iq', { type: 'result', id: 'r1' }, xml('query', { xmlns: NS_ROSTER, ...(ver ? { ver } : {}) }, ...items.map(itemEl)));
}

function push(items: ItemSpec[], from?: string, ver?: string): Element {
  return xml(
    'iq',
    { type: 'set', id: 'p1', ...(from !== undefined ? { from } : {}) },
    xml('query', { xmlns: NS_ROSTER, ...(ver ? { ver } : {}) }, ...items.map(itemEl)),
  );
}

function presence(from: string, type?: string, children: Element[] = []): Element {
  return xml('presence', { from, ...(type ? { type } : {}) }, ...children);
}

function available(from: string, opts: { show?: string; status?: string; priority?: string } = {}): Element {
  const c: Element[] = [];
  if (opts.show !== undefined) c.push(xml('show', {}, opts.show));
  if (opts.status !== undefined) c.push(xml('status', {}, opts.status));
  if (opts.priority !== undefined) c.push(xml('priority', {}, opts.priority));
  return presence(from, undefined, c);
}

function counted(roster: Roster): { count: () => number } {
  let n = 0;
  roster.on('changed', () => n++);
  return { count: () => n };
}

function view(roster: Roster, jid: string) {
  const v = roster.contactViews(() => 0).find((c) => c.jid === jid);
  assert.ok(v, `no contact view for ${jid}`);
  return v;
}

describe('roster: parseItem', () => {
  it('reads jid (bare, case-folded), name, groups, subscription and ask', () => {
    const item = parseItem(
      itemEl({ jid: 'Juliet@Example.COM/balcony', name: 'Juliet', subscription: 'both', ask: 'subscribe', groups: ['Friends', ' Friends ', 'Work', ''] }),
    );
    assert.deepEqual(item, { jid: 'juliet@example.com', name: 'Juliet', groups: ['Friends', 'Work'], subscription: 'both', ask: true });
  });

  it('defaults: no subscription → none, unknown subscription → none, no name → undefined, ask only for "subscribe"', () => {
    assert.deepEqual(parseItem(itemEl({ jid: 'a@example.com' })), { jid: 'a@example.com', name: undefined, groups: [], subscription: 'none', ask: false });
    assert.equal(parseItem(itemEl({ jid: 'a@example.com', subscription: 'everything' }))!.subscription, 'none');
    assert.equal(parseItem(itemEl({ jid: 'a@example.com', ask: 'unsubscribe' }))!.ask, false);
    assert.equal(parseItem(itemEl({ jid: 'a@example.com', name: '' }))!.name, undefined);
  });

  it('caps names and groups to 256 characters', () => {
    const long = 'x'.repeat(1000);
    const item = parseItem(itemEl({ jid: 'a@example.com', name: long, groups: [long] }))!;
    assert.equal(item.name!.length, 256);
    assert.equal(item.groups[0]!.length, 256);
  });

  it('an item without jid is no item', () => {
    assert.equal(parseItem(itemEl({ name: 'nobody' })), undefined);
  });
});

describe('roster: roster result (RFC 6121 §2.1.3)', () => {
  it('replaces the items, skips subscription=remove and items without jid, keeps ver, emits changed', () => {
    const r = new Roster(ME);
    const ev = counted(r);
    r.applyRosterResult(
      rosterResult(
        [
          { jid: 'romeo@example.net', name: 'Romeo', subscription: 'both', groups: ['Friends'] },
          { jid: 'nurse@example.com', subscription: 'none', ask: 'subscribe' },
          { jid: 'gone@example.com', subscription: 'remove' },
          { name: 'no jid' },
        ],
        'ver7',
      ),
    );
    assert.deepEqual([...r.items.keys()].sort(), ['nurse@example.com', 'romeo@example.net']);
    assert.deepEqual(r.items.get('romeo@example.net'), { jid: 'romeo@example.net', name: 'Romeo', groups: ['Friends'], subscription: 'both', ask: false });
    assert.equal(r.items.get('nurse@example.com')!.ask, true);
    assert.equal(r.version, 'ver7');
    assert.equal(ev.count(), 1);

    // A second full result replaces the first.
    r.applyRosterResult(rosterResult([{ jid: 'benvolio@example.net', subscription: 'to' }]));
    assert.deepEqual([...r.items.keys()], ['benvolio@example.net']);
    assert.equal(r.version, undefined);
    assert.equal(ev.count(), 2);
  });

  it('a result without <query/> (cached version is current, §2.6.3) changes nothing', () => {
    const r = new Roster(ME);
    r.applyRosterResult(rosterResult([{ jid: 'romeo@example.net', subscription: 'both' }], 'v1'));
    const ev = counted(r);
    r.applyRosterResult(xml('iq', { type: 'result', id: 'r2' }));
    assert.deepEqual([...r.items.keys()], ['romeo@example.net']);
    assert.equal(r.version, 'v1');
    assert.equal(ev.count(), 0);
  });
});

describe('roster: roster push (RFC 6121 §2.1.6)', () => {
  it('accepts a push without from, from our bare JID and from our full JID', () => {
    const r = new Roster(ME);
    const ev = counted(r);
    assert.equal(r.applyPush(push([{ jid: 'a@example.com', subscription: 'to' }]), ME), true);
    assert.equal(r.applyPush(push([{ jid: 'b@example.com', subscription: 'from' }], ME), ME), true);
    assert.equal(r.applyPush(push([{ jid: 'c@example.com' }], 'Me@Example.com/laptop', 'v9'), ME), true);
    assert.deepEqual([...r.items.keys()].sort(), ['a@example.com', 'b@example.com', 'c@example.com']);
    assert.equal(r.items.get('a@example.com')!.subscription, 'to');
    assert.equal(r.version, 'v9');
    assert.equal(ev.count(), 3);
  });

  it('ignores a push from a stranger (anyone could rewrite our roster)', () => {
    const r = new Roster(ME);
    r.applyRosterResult(rosterResult([{ jid: 'romeo@example.net', name: 'Romeo', subscription: 'both' }], 'v1'));
    const ev = counted(r);
    assert.equal(r.applyPush(push([{ jid: 'romeo@example.net', subscription: 'remove' }], 'mallory@evil.example'), ME), false);
    assert.equal(r.applyPush(push([{ jid: 'mallory@evil.example', name: 'Trusted', subscription: 'both' }], 'mallory@evil.example/x', 'v2'), ME), false);
    // Our server's domain is not our bare JID either.
    assert.equal(r.applyPush(push([{ jid: 'x@example.com' }], 'example.com'), ME), false);
    assert.deepEqual([...r.items.keys()], ['romeo@example.net']);
    assert.equal(r.items.get('romeo@example.net')!.name, 'Romeo');
    assert.equal(r.version, 'v1');
    assert.equal(ev.count(), 0);
  });

  it('ignores pushes with 0 or 2 items, or an item without jid', () => {
    const r = new Roster(ME);
    const ev = counted(r);
    assert.equal(r.applyPush(push([]), ME), false);
    assert.equal(r.applyPush(push([{ jid: 'a@example.com' }, { jid: 'b@example.com' }]), ME), false);
    assert.equal(r.applyPush(push([{ name: 'no jid' }]), ME), false);
    assert.equal(r.applyPush(xml('iq', { type: 'set', id: 'x' }), ME), false);
    assert.equal(r.items.size, 0);
    assert.equal(ev.count(), 0);
  });

  it('updates an existing item (name, groups) in place', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', name: 'Old', groups: ['G1'] }]), ME);
    r.applyPush(push([{ jid: 'A@example.com', name: 'New', groups: ['G2', 'G3'], subscription: 'to' }]), ME);
    assert.equal(r.items.size, 1);
    assert.deepEqual(r.items.get('a@example.com'), { jid: 'a@example.com', name: 'New', groups: ['G2', 'G3'], subscription: 'to', ask: false });
  });

  it('subscription=remove deletes the item, its presence and its denied flag', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none', ask: 'subscribe' }]), ME);
    r.applyPresence(available('a@example.com/phone'), ME);
    r.applyPresence(presence('a@example.com', 'unsubscribed'), ME);
    assert.ok(r.denied.has('a@example.com'));
    const ev = counted(r);
    assert.equal(r.applyPush(push([{ jid: 'a@example.com', subscription: 'remove' }]), ME), true);
    assert.equal(r.items.has('a@example.com'), false);
    assert.equal(r.presence.has('a@example.com'), false);
    assert.equal(r.denied.has('a@example.com'), false);
    assert.equal(ev.count(), 1);
    // Re-added later: nothing of the old state leaks back (no longer "asked", so a later
    // unsubscribed is a revocation, not a denial).
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    const e = r.applyPresence(presence('a@example.com', 'unsubscribed'), ME);
    assert.deepEqual(e, { kind: 'unsubscribed', jid: 'a@example.com', denied: false });
  });
});

describe('roster: subscriptions (RFC 6121 §3)', () => {
  it('an incoming subscribe is listed as a request, once, with its arrival time', () => {
    const r = new Roster('me@example.com');
    const ev = counted(r);
    const before = Date.now();
    assert.deepEqual(r.applyPresence(presence('Stranger@Example.org/x', 'subscribe'), ME), {
      kind: 'subscribe',
      jid: 'stranger@example.org',
      preApproved: false,
    });
    assert.equal(r.applyPresence(presence('stranger@example.org', 'subscribe'), ME).kind, 'subscribe');
    const views = r.requestViews();
    assert.equal(views.length, 1);
    assert.equal(views[0]!.account, 'me@example.com');
    assert.equal(views[0]!.jid, 'stranger@example.org');
    assert.ok(views[0]!.at >= before && views[0]!.at <= Date.now());
    assert.equal(ev.count(), 1, 'a repeated request does not re-emit');
  });

  for (const sub of ['from', 'both'] as const) {
    it(`a subscribe from a contact with subscription=${sub} is pre-approved and not listed`, () => {
      const r = new Roster(ME);
      r.applyPush(push([{ jid: 'friend@example.com', subscription: sub }]), ME);
      const ev = counted(r);
      assert.deepEqual(r.applyPresence(presence('friend@example.com/pc', 'subscribe'), ME), {
        kind: 'subscribe',
        jid: 'friend@example.com',
        preApproved: true,
      });
      assert.equal(r.requests.size, 0);
      assert.equal(ev.count(), 0);
    });
  }

  for (const sub of ['none', 'to'] as const) {
    it(`a subscribe from a contact with subscription=${sub} needs an answer`, () => {
      const r = new Roster(ME);
      r.applyPush(push([{ jid: 'friend@example.com', subscription: sub }]), ME);
      assert.equal((r.applyPresence(presence('friend@example.com', 'subscribe'), ME) as { preApproved: boolean }).preApproved, false);
      assert.deepEqual([...r.requests.keys()], ['friend@example.com']);
    });
  }

  it('unsubscribe withdraws a pending request; clearRequest answers one', () => {
    const r = new Roster(ME);
    r.applyPresence(presence('a@example.com', 'subscribe'), ME);
    r.applyPresence(presence('b@example.com', 'subscribe'), ME);
    const ev = counted(r);
    assert.deepEqual(r.applyPresence(presence('a@example.com/x', 'unsubscribe'), ME), { kind: 'unsubscribe', jid: 'a@example.com' });
    assert.deepEqual([...r.requests.keys()], ['b@example.com']);
    r.clearRequest('b@example.com');
    assert.equal(r.requests.size, 0);
    assert.equal(ev.count(), 2);
    r.clearRequest('b@example.com'); // nothing to clear: no event
    assert.equal(ev.count(), 2);
  });

  it('markAsked shows "waiting for authorisation" before the server push arrives', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    assert.equal(view(r, 'a@example.com').pendingOut, false);
    const ev = counted(r);
    r.markAsked('a@example.com');
    assert.equal(ev.count(), 1);
    assert.equal(view(r, 'a@example.com').pendingOut, true);
    assert.equal(view(r, 'a@example.com').denied, false);
  });

  it('ask="subscribe" from the server marks the request pending', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none', ask: 'subscribe' }]), ME);
    assert.equal(view(r, 'a@example.com').pendingOut, true);
  });

  it('subscribed clears the pending request (and an earlier denial)', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    r.markAsked('a@example.com');
    const ev = counted(r);
    assert.deepEqual(r.applyPresence(presence('a@example.com/x', 'subscribed'), ME), { kind: 'subscribed', jid: 'a@example.com' });
    assert.equal(ev.count(), 1);
    const v = view(r, 'a@example.com');
    assert.equal(v.pendingOut, false);
    assert.equal(v.denied, false);
    // The server's push with subscription=to follows: still not pending.
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'to' }]), ME);
    assert.equal(view(r, 'a@example.com').pendingOut, false);
  });

  it('unsubscribed after our request is a denial: denied=true, pendingOut=false', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    r.markAsked('a@example.com');
    r.applyPresence(available('a@example.com/x'), ME);
    const ev = counted(r);
    assert.deepEqual(r.applyPresence(presence('a@example.com/x', 'unsubscribed'), ME), { kind: 'unsubscribed', jid: 'a@example.com', denied: true });
    assert.equal(ev.count(), 1);
    const v = view(r, 'a@example.com');
    assert.equal(v.denied, true);
    assert.equal(v.pendingOut, false);
    assert.equal(v.presence, 'offline', 'presence is forgotten');
    // The server's push (ask cleared) keeps the denial until we ask again.
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    assert.equal(view(r, 'a@example.com').denied, true);
    r.markAsked('a@example.com');
    assert.equal(view(r, 'a@example.com').denied, false);
    assert.equal(view(r, 'a@example.com').pendingOut, true);
  });

  it('unsubscribed while the roster item carries ask="subscribe" is a denial too', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none', ask: 'subscribe' }]), ME);
    const e = r.applyPresence(presence('a@example.com', 'unsubscribed'), ME);
    assert.deepEqual(e, { kind: 'unsubscribed', jid: 'a@example.com', denied: true });
    // The user's server also pushes the item without ask (RFC 6121 §3.2).
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'none' }]), ME);
    const v = view(r, 'a@example.com');
    assert.equal(v.denied, true);
    assert.equal(v.pendingOut, false);
  });

  it('unsubscribed without a request is a revocation (§3.3), not a denial', () => {
    const r = new Roster(ME);
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'to' }]), ME);
    r.applyPresence(available('a@example.com/x'), ME);
    const e = r.applyPresence(presence('a@example.com', 'unsubscribed'), ME);
    assert.deepEqual(e, { kind: 'unsubscribed', jid: 'a@example.com', denied: false });
    assert.equal(r.denied.has('a@example.com'), false);
    assert.equal(r.presence.has('a@example.com'), false);
    assert.equal(view(r, 'a@example.com').denied, false);
  });

  it('an ask then subscription=to push clears the asked state (a later unsubscribed is a revocation)', () => {
    const r = new Roster(ME);
    r.markAsked('a@example.com');
    r.applyPush(push([{ jid: 'a@example.com', subscription: 'to' }]), ME);
    assert.equal(view(r, 'a@example.com').pendingOut, false);
    assert.equal((r.applyPresence(presence('a@example.com', 'unsubscribed'), ME) as { denied: boolean }).denied, false);
  });

  it('presence errors report their condition; probes and unknown types are ignored', () => {
    const r = new Roster(ME);
    const err = presence('a@example.com', 'error', [
      xml('error', { type: 'cancel' }, xml('remote-server-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
    ]);
    assert.deepEqual(r.applyPresence(err, ME), { kind: 'error', jid: 'a@example.com', condition: 'remote-server-not-found' });
    assert.deepEqual(r.applyPresence(presence('a@example.com', 'error'), ME), { kind: 'error', jid: 'a@example.com', condition: 'undefined-condition' });
    assert.equal(r.applyPresence(presence('a@example.com', 'probe'), ME).kind, 'ignored');
    assert.equal(r.applyPresence(presence('a@example.com', 'bogus'), ME).kind, 'ignored');
    assert.deepEqual(r.applyPresence(xml('presence', {}), ME), { kind: 'ignored', reason: 'no from' });
    assert.equal(r.presence.size, 0);
  });
});

describe('roster: availability (RFC 6121 §4)', () => {
  it('keeps presence per resource; unavailable removes only that resource', () => {
    const r = new Roster(ME);
    assert.deepEqual(r.applyPresence(available('a@example.com/phone', { show: 'away' }), ME), { kind: 'available', jid: 'a@example.com', resource: 'phone' });
    r.applyPresence(available('A@Example.com/Laptop', { status: 'coding' }), ME);
    const res = r.presence.get('a@example.com')!;
    assert.deepEqual([...res.keys()].sort(), ['Laptop', 'phone']);
    assert.deepEqual(res.get('phone'), { show: 'away', status: undefined, priority: 0 });
    assert.deepEqual(res.get('Laptop'), { show: 'available', status: 'coding', priority: 0 });

    assert.deepEqual(r.applyPresence(presence('a@example.com/phone', 'unavailable'), ME), { kind: 'unavailable', jid: 'a@example.com', resource: 'phone' });
    assert.deepEqual([...r.presence.get('a@example.com')!.keys()], ['Laptop']);
    r.applyPresence(presence('a@example.com/Laptop', 'unavailable'), ME);
    assert.equal(r.presence.has('a@example.com'), false, 'the last resource gone: no entry');
    assert.deepEqual(r.aggregate('a@example.com'), { show: 'offline' });
  });

  it('unavailable from the bare JID clears every resource', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/one'), ME);
    r.applyPresence(available('a@example.com/two'), ME);
    r.applyPresence(presence('a@example.com', 'unavailable'), ME);
    assert.equal(r.presence.has('a@example.com'), false);
  });

  it('a new presence from the same resource replaces the old one', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/phone', { show: 'dnd', status: 'busy' }), ME);
    r.applyPresence(available('a@example.com/phone', { show: 'chat' }), ME);
    assert.deepEqual(r.aggregate('a@example.com'), { show: 'chat', status: undefined, resource: 'phone' });
  });

  it('maps <show/> values; unknown or empty show means available', () => {
    const r = new Roster(ME);
    const cases: Array<[string, string]> = [
      ['chat', 'chat'],
      ['away', 'away'],
      ['xa', 'xa'],
      ['dnd', 'dnd'],
      [' away ', 'away'],
      ['offline', 'available'],
      ['', 'available'],
      ['AWAY', 'available'],
    ];
    for (const [show, expected] of cases) {
      r.applyPresence(available('a@example.com/r', { show }), ME);
      assert.equal(r.aggregate('a@example.com').show, expected, `show=${JSON.stringify(show)}`);
    }
  });

  it('aggregates by priority first, then by show', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/low', { show: 'chat', priority: '1' }), ME);
    r.applyPresence(available('a@example.com/high', { show: 'xa', status: 'gone fishing', priority: '5' }), ME);
    assert.deepEqual(r.aggregate('a@example.com'), { show: 'xa', status: 'gone fishing', resource: 'high' });

    const s = new Roster(ME);
    s.applyPresence(available('b@example.com/one', { show: 'away', priority: '3' }), ME);
    s.applyPresence(available('b@example.com/two', { show: 'dnd', priority: '3' }), ME);
    s.applyPresence(available('b@example.com/three', { priority: '3' }), ME);
    s.applyPresence(available('b@example.com/four', { show: 'xa', priority: '3' }), ME);
    assert.equal(s.aggregate('b@example.com').resource, 'three', 'available beats away, dnd and xa at equal priority');
    s.applyPresence(available('b@example.com/five', { show: 'chat', priority: '3' }), ME);
    assert.equal(s.aggregate('b@example.com').resource, 'five', 'chat beats available');
    s.applyPresence(available('b@example.com/neg', { show: 'chat', priority: '-1' }), ME);
    assert.equal(s.aggregate('b@example.com').resource, 'five', 'a lower priority never wins');
  });

  it('ignores our own available presence (other resources of our account)', () => {
    const r = new Roster(ME);
    const ev = counted(r);
    assert.deepEqual(r.applyPresence(available('Me@example.com/other-client'), ME), { kind: 'ignored', reason: 'own presence' });
    assert.equal(r.presence.size, 0);
    assert.equal(ev.count(), 0);
  });

  it('caps status to 1024 characters; an empty status is no status', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/r', { status: 's'.repeat(5000) }), ME);
    assert.equal(r.aggregate('a@example.com').status!.length, 1024);
    r.applyPresence(available('a@example.com/r', { status: '' }), ME);
    assert.equal(r.aggregate('a@example.com').status, undefined);
  });

  it('bad priority values fall back or clamp to -128..127', () => {
    const r = new Roster(ME);
    const cases: Array<[string, number]> = [
      ['abc', 0],
      ['', 0],
      ['NaN', 0],
      ['Infinity', 0],
      ['1000', 127],
      ['-1000', -128],
      ['99999999999999999999999', 127],
      ['7.9', 7],
      [' 12 ', 12],
      ['-5', -5],
    ];
    for (const [p, expected] of cases) {
      r.applyPresence(available('a@example.com/r', { priority: p }), ME);
      assert.equal(r.presence.get('a@example.com')!.get('r')!.priority, expected, `priority=${JSON.stringify(p)}`);
    }
  });

  it('clearPresence forgets everyone (we went offline)', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/r'), ME);
    r.applyPresence(available('b@example.com/r'), ME);
    const ev = counted(r);
    r.clearPresence();
    assert.equal(r.presence.size, 0);
    assert.equal(ev.count(), 1);
  });

  it('emits changed for available and unavailable presence', () => {
    const r = new Roster(ME);
    const ev = counted(r);
    r.applyPresence(available('a@example.com/r'), ME);
    r.applyPresence(presence('a@example.com/r', 'unavailable'), ME);
    assert.equal(ev.count(), 2);
  });
});

describe('roster: contact views', () => {
  it('builds one view per item, sorted by name, with name fallback to the local part', () => {
    const r = new Roster('acct-1');
    r.applyRosterResult(
      rosterResult([
        { jid: 'zed@example.com', name: 'Aaron', subscription: 'both', groups: ['Work'] },
        { jid: 'bob@example.com', subscription: 'to' },
        { jid: 'transport.example.com', subscription: 'both' },
      ]),
    );
    r.applyPresence(available('zed@example.com/pc', { show: 'dnd', status: 'meeting' }), ME);
    const views = r.contactViews((jid) => (jid === 'bob@example.com' ? 3 : 0));
    assert.deepEqual(
      views.map((v) => v.name),
      ['Aaron', 'bob', 'transport.example.com'],
    );
    assert.deepEqual(views[0], {
      account: 'acct-1',
      jid: 'zed@example.com',
      name: 'Aaron',
      groups: ['Work'],
      presence: 'dnd',
      status: 'meeting',
      subscription: 'both',
      pendingOut: false,
      denied: false,
      unread: 0,
    });
    assert.equal(views[1]!.presence, 'offline');
    assert.equal(views[1]!.unread, 3);
    assert.equal(r.displayName('stranger@example.org'), 'stranger');
  });

  it('contacts with only presence or only a request are not listed as contacts', () => {
    const r = new Roster(ME);
    r.applyPresence(available('a@example.com/r'), ME);
    r.applyPresence(presence('b@example.com', 'subscribe'), ME);
    assert.deepEqual(r.contactViews(() => 0), []);
    assert.equal(r.requestViews().length, 1);
  });
});

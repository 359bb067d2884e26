// Group chat core (src/core/muc.ts, src/core/bookmarks.ts) without a server: parsing,
// dedupe, mentions, error words, hostile input, and the MucManager state machine driven by a
// fake session that records what it sends and lets the test inject what a room would send.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import {
  BookmarkStore,
  NS_BOOKMARKS1,
  NS_BOOKMARKS2,
  NS_PRIVATE,
  NS_PUBSUB,
  parseBookmarks1,
  parseBookmarks2,
  publishBookmark2,
  setBookmarks1,
} from '../../src/core/bookmarks';
import { Emitter } from '../../src/core/emitter';
import {
  MAX_ROOM_MESSAGES,
  MessageDedupe,
  MucError,
  MucManager,
  type MucSession,
  NS_MUC,
  NS_MUC_OWNER,
  NS_MUC_USER,
  checkNick,
  checkRoomJid,
  describeExit,
  describeMucError,
  isMention,
  parseDecline,
  parseForm,
  parseInvitation,
  parseMucPresence,
  parseRoomMessage,
  roomConfigSubmit,
  sanitizeNick,
} from '../../src/core/muc';
import { nullLogger } from '../../src/core/log';
import type { ConnectionState } from '../../src/shared/protocol';

const ROOM = 'lobby@conference.localhost';

function status(...codes: number[]): Element[] {
  return codes.map((code) => xml('status', { code: String(code) }));
}

function presence(nick: string, opts: { type?: string; role?: string; affiliation?: string; jid?: string; codes?: number[]; newNick?: string; show?: string; status?: string; extra?: Element[]; room?: string } = {}): Element {
  const item = xml('item', {
    role: opts.role ?? 'participant',
    affiliation: opts.affiliation ?? 'none',
    ...(opts.jid ? { jid: opts.jid } : {}),
    ...(opts.newNick ? { nick: opts.newNick } : {}),
  });
  return xml(
    'presence',
    { from: `${opts.room ?? ROOM}/${nick}`, to: 'me@localhost/r', ...(opts.type ? { type: opts.type } : {}) },
    ...(opts.show ? [xml('show', {}, opts.show)] : []),
    ...(opts.status ? [xml('status', {}, opts.status)] : []),
    xml('x', { xmlns: NS_MUC_USER }, item, ...status(...(opts.codes ?? [])), ...(opts.extra ?? [])),
  );
}

function groupchat(nick: string, body: string, opts: { sid?: string; oid?: string; stamp?: string; id?: string } = {}): Element {
  return xml(
    'message',
    { from: `${ROOM}/${nick}`, type: 'groupchat', ...(opts.id ? { id: opts.id } : {}) },
    xml('body', {}, body),
    ...(opts.sid ? [xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ROOM, id: opts.sid })] : []),
    ...(opts.oid ? [xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: opts.oid })] : []),
    ...(opts.stamp ? [xml('delay', { xmlns: 'urn:xmpp:delay', from: ROOM, stamp: opts.stamp })] : []),
  );
}

function subjectMsg(nick: string, subject: string, id?: string): Element {
  return xml('message', { from: nick ? `${ROOM}/${nick}` : ROOM, type: 'groupchat', ...(id ? { id } : {}) }, xml('subject', {}, subject));
}

/** A stand-in for AccountSession: records sent stanzas, lets the test deliver stanzas. */
class FakeSession extends Emitter<{ online: { resumed: boolean }; state: { state: ConnectionState } }> implements MucSession {
  id = 'me@localhost';
  jid = 'me@localhost';
  fullJid = 'me@localhost/r';
  state: ConnectionState = 'online';
  sent: Element[] = [];
  handlers: ((el: Element) => boolean)[] = [];
  iqHandler: (el: Element) => Element | Promise<Element> = (el) => xml('iq', { type: 'result', id: el.attrs.id as string });
  onSend?: (el: Element) => void;
  addStanzaHandler(h: (el: Element) => boolean): () => void {
    this.handlers.push(h);
    return () => (this.handlers = this.handlers.filter((x) => x !== h));
  }
  async send(el: Element): Promise<void> {
    this.sent.push(el);
    if (el.name === 'iq') {
      // Replies come back as stanzas, like from a server (MucManager matches them by id).
      void Promise.resolve(this.iqHandler(el)).then(
        (r) => this.deliver(Object.assign(r, { attrs: { ...r.attrs, id: el.attrs.id, ...(el.attrs.to ? { from: el.attrs.to } : {}) } })),
        (e: { condition?: string }) =>
          this.deliver(xml('iq', { type: 'error', id: el.attrs.id as string, ...(el.attrs.to ? { from: el.attrs.to as string } : {}) }, xml('error', { type: 'cancel' }, xml(e.condition ?? 'undefined-condition', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })))),
      );
      return;
    }
    this.onSend?.(el);
    // §7.14: a room confirms a leave with our own unavailable presence.
    const to = String(el.attrs.to ?? '');
    if (el.name === 'presence' && el.attrs.type === 'unavailable' && to.includes('/')) {
      queueMicrotask(() => this.deliver(presence(to.slice(to.indexOf('/') + 1), { type: 'unavailable', role: 'none', codes: [110], room: to.slice(0, to.indexOf('/')) })));
    }
  }
  async iq(el: Element): Promise<Element> {
    this.sent.push(el);
    return this.iqHandler(el);
  }
  /** Delivers a stanza; returns whether group chat claimed it. */
  deliver(el: Element): boolean {
    return this.handlers.some((h) => h(el));
  }
  fire<K extends 'online' | 'state'>(k: K, v: K extends 'online' ? { resumed: boolean } : { state: ConnectionState }): void {
    this.emit(k, v as never);
  }
  lastPresence(): Element | undefined {
    return [...this.sent].reverse().find((e) => e.name === 'presence');
  }
}

/** Joins ROOM: answers the join presence with `before` occupants, then our own presence. */
async function joined(s: FakeSession, m: MucManager, before: Element[] = [], nick = 'me', opts: { codes?: number[]; affiliation?: string; role?: string } = {}) {
  s.onSend = (el) => {
    if (el.name === 'presence' && String(el.attrs.to).startsWith(`${ROOM}/`) && !el.attrs.type) {
      s.onSend = undefined;
      queueMicrotask(() => {
        for (const p of before) s.deliver(p);
        s.deliver(presence(nick, { codes: [110, ...(opts.codes ?? [])], affiliation: opts.affiliation ?? 'none', role: opts.role ?? 'participant', jid: 'me@localhost/r' }));
      });
    }
  };
  return m.join(ROOM, nick);
}

function manager(s = new FakeSession(), extra: Partial<ConstructorParameters<typeof MucManager>[1]> = {}): { s: FakeSession; m: MucManager } {
  return { s, m: new MucManager(s, { logger: nullLogger, autojoin: false, joinTimeoutMs: 2000, ...extra }) };
}

describe('muc: presence parsing (XEP-0045 §7.2, §15.6)', () => {
  it('reads status codes, role, affiliation, real JID, show and status', () => {
    const p = parseMucPresence(presence('Bob', { role: 'moderator', affiliation: 'owner', jid: 'bob@localhost/x', codes: [110, 201, 100], show: 'away', status: 'lunch' }))!;
    assert.equal(p.room, ROOM);
    assert.equal(p.nick, 'Bob');
    assert.equal(p.type, 'available');
    assert.deepEqual(p.codes, [110, 201, 100]);
    assert.equal(p.item?.role, 'moderator');
    assert.equal(p.item?.affiliation, 'owner');
    assert.equal(p.item?.jid, 'bob@localhost/x');
    assert.equal(p.show, 'away');
    assert.equal(p.status, 'lunch');
    assert.ok(p.isMuc);
  });

  it('reads kick (307), ban (301) with actor and reason, nick change (303) with the new nick', () => {
    const kick = parseMucPresence(
      xml('presence', { from: `${ROOM}/eve`, type: 'unavailable' }, xml('x', { xmlns: NS_MUC_USER }, xml('item', { role: 'none', affiliation: 'none' }, xml('actor', { nick: 'mod' }), xml('reason', {}, 'spam')), ...status(307))),
    )!;
    assert.equal(kick.type, 'unavailable');
    assert.deepEqual(kick.codes, [307]);
    assert.equal(kick.item?.actor, 'mod');
    assert.equal(kick.item?.reason, 'spam');
    assert.equal(describeExit(kick).reason, 'kicked');
    assert.match(describeExit(kick).message!, /kicked.*mod.*spam/);
    const ban = parseMucPresence(presence('eve', { type: 'unavailable', affiliation: 'outcast', role: 'none', codes: [301] }))!;
    assert.equal(describeExit(ban).reason, 'banned');
    const nick = parseMucPresence(presence('old', { type: 'unavailable', newNick: 'new', codes: [303, 110] }))!;
    assert.equal(nick.item?.nick, 'new');
  });

  it('reads a destroyed room (§10.9) and a shutdown (332)', () => {
    const d = parseMucPresence(
      presence('me', { type: 'unavailable', role: 'none', codes: [110], extra: [xml('destroy', { jid: 'other@conference.localhost' }, xml('reason', {}, 'moving'))] }),
    )!;
    assert.deepEqual(d.destroy, { jid: 'other@conference.localhost', reason: 'moving' });
    const e = describeExit(d);
    assert.equal(e.reason, 'destroyed');
    assert.match(e.message!, /destroyed: moving\. It continues at other@conference\.localhost/);
    assert.equal(describeExit(parseMucPresence(presence('me', { type: 'unavailable', codes: [110, 332] }))!).reason, 'shutdown');
  });

  it('reads presence errors; ignores junk roles, codes and JIDs', () => {
    const err = parseMucPresence(xml('presence', { from: `${ROOM}/me`, type: 'error' }, xml('error', { type: 'cancel' }, xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))))!;
    assert.equal(err.type, 'error');
    assert.equal(err.errorCondition, 'conflict');
    const junk = parseMucPresence(
      xml('presence', { from: `${ROOM}/x` }, xml('x', { xmlns: NS_MUC_USER }, xml('item', { role: 'god', affiliation: 'emperor', jid: 'not a jid@@' }), xml('status', { code: 'abc' }), xml('status', { code: '99999' }))),
    )!;
    assert.equal(junk.item?.role, undefined);
    assert.equal(junk.item?.affiliation, undefined);
    assert.equal(junk.item?.jid, undefined);
    assert.deepEqual(junk.codes, []);
    assert.equal(parseMucPresence(xml('presence', { from: `${ROOM}/x`, type: 'subscribe' })), undefined);
  });
});

describe('muc: messages, dedupe and mentions', () => {
  it('parses stanza-id only when assigned by the room, origin-id, delay and subject', () => {
    const m = parseRoomMessage(
      xml(
        'message',
        { from: `${ROOM}/bob`, type: 'groupchat', id: 'x1' },
        xml('body', {}, 'hi'),
        xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'evil@localhost', id: 'forged' }),
        xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: ROOM, id: 'real' }),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'o1' }),
        xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2024-01-02T03:04:05Z' }),
      ),
    )!;
    assert.equal(m.stanzaId, 'real');
    assert.equal(m.originId, 'o1');
    assert.equal(m.delayTs, Date.parse('2024-01-02T03:04:05Z'));
    assert.equal(m.nick, 'bob');
    assert.equal(parseRoomMessage(subjectMsg('bob', 'Topic'))!.subject, 'Topic');
  });

  it('dedupes by stanza-id, by origin-id per nick, and by (nick, body, stamp) without ids', () => {
    const d = new MessageDedupe();
    assert.equal(d.check({ nick: 'a', body: 'x', stanzaId: 's1' }), false);
    assert.equal(d.check({ nick: 'a', body: 'x', stanzaId: 's1', delayStamp: 't', delayTs: 1 }), true, 'the history copy of a live message');
    assert.equal(d.check({ nick: 'a', body: 'y', originId: 'o' }), false);
    assert.equal(d.check({ nick: 'b', body: 'y', originId: 'o' }), false, 'another nick cannot suppress it by reusing the origin-id');
    assert.equal(d.check({ nick: 'a', body: 'y', originId: 'o' }), true);
    assert.equal(d.check({ nick: 'a', body: 'z', delayStamp: '2024-01-01T00:00:00Z', delayTs: 5 }), false);
    assert.equal(d.check({ nick: 'a', body: 'z', delayStamp: '2024-01-01T00:00:00Z', delayTs: 5 }), true, 'same history twice (rejoin)');
    assert.equal(d.check({ nick: 'a', body: 'z', delayStamp: '2024-01-01T00:00:01Z', delayTs: 6 }), false, 'a different stamp is another message');
    // A live message without ids, and its history copy a moment later.
    const now = 1_700_000_000_000;
    assert.equal(d.check({ nick: 'c', body: 'plain' }, now), false);
    assert.equal(d.check({ nick: 'c', body: 'plain', delayStamp: 's', delayTs: now + 1000 }, now + 5000), true);
    assert.equal(MessageDedupe.idFor({ nick: 'a', stanzaId: 's9' }), 'sid:s9');
  });

  it('keeps a bounded number of keys', () => {
    const d = new MessageDedupe(100);
    for (let i = 0; i < 1000; i++) d.check({ nick: 'a', stanzaId: `s${i}` });
    assert.equal(d.size, 100);
    assert.equal(d.check({ nick: 'a', stanzaId: 's999' }), true);
    assert.equal(d.check({ nick: 'a', stanzaId: 's0' }), false, 'forgotten');
  });

  it('detects mentions on word boundaries, case-insensitively, with odd nicks', () => {
    assert.ok(isMention('hi Bob!', 'bob'));
    assert.ok(isMention('@BOB: look', 'bob'));
    assert.ok(isMention('bob', 'bob'));
    assert.ok(!isMention('bobby is here', 'bob'));
    assert.ok(!isMention('kebob', 'bob'));
    assert.ok(!isMention('bob_2 said', 'bob'));
    assert.ok(isMention('ping Zoë.', 'zoë'));
    assert.ok(!isMention('Zoëlle', 'Zoë'));
    assert.ok(isMention('thanks a.b*c+', 'a.b*c+'), 'regex characters are literal');
    assert.ok(!isMention('thanks axb*c+', 'a.b*c+'));
    assert.ok(isMention('hey (x) there', '(x)'));
    assert.ok(!isMention('anything', ''));
  });
});

describe('muc: errors in plain words', () => {
  const cases: [string, string, RegExp][] = [
    ['conflict', 'conflict', /nickname is already in use/],
    ['not-authorized', 'password', /password/],
    ['registration-required', 'membersOnly', /members only/],
    ['forbidden', 'banned', /banned/],
    ['service-unavailable', 'full', /full/],
    ['item-not-found', 'notFound', /does not exist/],
    ['not-acceptable', 'nickRejected', /nickname/],
    ['gone', 'destroyed', /destroyed/],
    ['not-allowed', 'notAllowed', /create rooms/],
  ];
  for (const [cond, kind, re] of cases) {
    it(`${cond} -> ${kind}`, () => {
      const e = describeMucError(cond, 'join');
      assert.ok(e instanceof MucError);
      assert.equal(e.kind, kind);
      assert.match(e.message, re);
      assert.equal(e.condition, cond);
    });
  }
  it('forbidden on an action is not "banned"', () => {
    const e = describeMucError('forbidden', 'action');
    assert.equal(e.kind, 'forbidden');
    assert.match(e.message, /not allowed/);
  });
  it('validates room addresses and nicknames', () => {
    assert.equal(checkRoomJid('Lobby@Conference.Localhost'), 'lobby@conference.localhost');
    assert.throws(() => checkRoomJid('conference.localhost'), /not a room address/);
    assert.throws(() => checkRoomJid('a@b/c'), /not a room address/);
    assert.throws(() => checkNick(''), /Choose a nickname/);
    assert.throws(() => checkNick('a\u0007b'), /control/);
    assert.throws(() => checkNick('x'.repeat(1024)), /too long/);
    assert.equal(checkNick('<b>ok</b>'), '<b>ok</b>');
  });
});

describe('muc: hostile nicknames', () => {
  it('strips control, bidi and zero-width characters and caps the length for display', () => {
    assert.equal(sanitizeNick('a\u0000b\u001bc\u007f\u0085d'), 'abcd');
    assert.equal(sanitizeNick('evil\u202egnp.exe'), 'evilgnp.exe');
    assert.equal(sanitizeNick('zero\u200bwidth'), 'zerowidth');
    assert.equal(sanitizeNick('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>', 'HTML stays text (the UI renders it with textContent)');
    const long = sanitizeNick('x'.repeat(10_000));
    assert.equal(long, 'x'.repeat(64) + '…');
    assert.equal(sanitizeNick('\u0001\u0002'), '(no name)');
    assert.equal(sanitizeNick('😀'.repeat(100)).length, 64 * 2 + 1, 'cut on code points, not halfway through a surrogate pair');
  });

  it('keeps the raw nick as identity: two nicks that display alike stay two occupants', async () => {
    const { s, m } = manager();
    const long = 'N'.repeat(10_000);
    await joined(s, m, [presence('bob'), presence('bo\u200bb'), presence(long), presence('<script>alert(1)</script>\u0007')]);
    const room = m.room(ROOM)!;
    assert.equal(room.occupants.size, 5);
    assert.equal(room.occupants.get('bob')!.displayNick, 'bob');
    assert.equal(room.occupants.get('bo\u200bb')!.displayNick, 'bob');
    assert.equal(room.occupants.get(long)!.nick.length, 10_000);
    assert.equal(room.occupants.get(long)!.displayNick.length, 65);
    assert.equal(room.occupants.get('<script>alert(1)</script>\u0007')!.displayNick, '<script>alert(1)</script>');
    s.deliver(groupchat(long, 'hello from a long nick'));
    const last = room.messages.at(-1)!;
    assert.equal(last.from, long);
    assert.equal(last.displayFrom!.length, 65);
  });
});

describe('muc: invitations (XEP-0249, §7.8.2)', () => {
  it('parses a mediated invitation (with Prosody\'s compat element) and a direct one', () => {
    const mediated = xml(
      'message',
      { from: ROOM, to: 'me@localhost' },
      xml('x', { xmlns: NS_MUC_USER }, xml('invite', { from: 'alice@localhost/r' }, xml('reason', {}, 'join us')), xml('password', {}, 'pw')),
      xml('x', { xmlns: 'jabber:x:conference', jid: ROOM }),
      xml('body', {}, 'alice@localhost invited you'),
    );
    assert.deepEqual(parseInvitation(mediated), { room: ROOM, from: 'alice@localhost', reason: 'join us', password: 'pw', kind: 'mediated' });
    const direct = xml('message', { from: 'alice@localhost/r' }, xml('x', { xmlns: 'jabber:x:conference', jid: ROOM, reason: 'hi', password: 'pw' }));
    assert.deepEqual(parseInvitation(direct), { room: ROOM, from: 'alice@localhost', reason: 'hi', password: 'pw', kind: 'direct' });
    assert.equal(parseInvitation(xml('message', { from: 'a@b' }, xml('x', { xmlns: 'jabber:x:conference', jid: 'not a room' }))), undefined);
    // Prosody in a semi-anonymous room names the inviter by occupant JID: keep it for the decline.
    const byNick = xml('message', { from: ROOM }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { from: `${ROOM}/alice` })));
    assert.deepEqual(parseInvitation(byNick), { room: ROOM, from: `${ROOM}/alice`, inviterNick: 'alice', reason: undefined, password: undefined, kind: 'mediated' });
    const decline = xml('message', { from: ROOM }, xml('x', { xmlns: NS_MUC_USER }, xml('decline', { from: 'bob@localhost/x' }, xml('reason', {}, 'busy'))));
    assert.deepEqual(parseDecline(decline), { room: ROOM, from: 'bob@localhost', reason: 'busy' });
  });

  it('shows the same invitation sent both ways once, claims it from 1:1 chat, and declines through the room', async () => {
    const { s, m } = manager();
    const seen: string[] = [];
    m.on('invitation', (i) => seen.push(i.kind));
    assert.ok(s.deliver(xml('message', { from: 'alice@localhost/r' }, xml('x', { xmlns: 'jabber:x:conference', jid: ROOM }))));
    assert.ok(s.deliver(xml('message', { from: ROOM }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { from: 'alice@localhost/r' })), xml('body', {}, 'invited'))));
    assert.deepEqual(seen, ['direct']);
    const [inv] = m.pendingInvitations;
    await m.decline(inv!, 'no thanks');
    const out = s.sent.at(-1)!;
    assert.equal(out.attrs.to, ROOM);
    const d = out.getChild('x', NS_MUC_USER)!.getChild('decline')!;
    assert.equal(d.attrs.to, 'alice@localhost');
    assert.equal(d.getChildText('reason'), 'no thanks');
    assert.equal(m.pendingInvitations.length, 0);
  });
});

describe('muc: MucManager state', () => {
  it('joins (§7.2): occupants first, then own presence (110), history, subject', async () => {
    const { s, m } = manager();
    const events: string[] = [];
    m.on('occupantJoined', (e) => events.push(`joined ${e.occupant.nick}`));
    m.on('joined', (e) => events.push(`in as ${e.nick}`));
    m.on('subject', (e) => events.push(`subject ${e.subject}`));
    const room = await joined(s, m, [presence('bob', { role: 'moderator', affiliation: 'owner', jid: 'bob@localhost/x' })]);
    const join = s.sent.find((e) => e.name === 'presence')!;
    assert.equal(join.attrs.to, `${ROOM}/me`);
    assert.ok(join.getChild('x', NS_MUC), 'the join presence carries <x xmlns=muc/>');
    assert.equal(room.status, 'joined');
    assert.equal(room.occupants.get('bob')!.role, 'moderator');
    assert.equal(room.occupants.get('bob')!.jid, 'bob@localhost/x');
    assert.ok(room.occupants.get('me')!.self);
    s.deliver(groupchat('bob', 'old news', { sid: 'h1', stamp: '2024-01-01T00:00:00Z' }));
    assert.equal(room.historyComplete, false);
    s.deliver(subjectMsg('bob', 'Welcome'));
    assert.equal(room.historyComplete, true);
    assert.equal(room.subject, 'Welcome');
    assert.deepEqual(events, ['joined bob', 'joined me', 'in as me', 'subject Welcome']);
    assert.equal(room.messages.length, 1);
    assert.equal(room.messages[0]!.delayed, true);
  });

  it('join errors reject with plain words and leave the room in error', async () => {
    for (const [cond, kind] of [
      ['conflict', 'conflict'],
      ['not-authorized', 'password'],
      ['registration-required', 'membersOnly'],
      ['forbidden', 'banned'],
    ] as const) {
      const { s, m } = manager();
      s.onSend = (el) => {
        if (el.name !== 'presence') return;
        queueMicrotask(() =>
          s.deliver(xml('presence', { from: `${ROOM}/me`, type: 'error' }, xml('x', { xmlns: NS_MUC }), xml('error', { type: 'auth' }, xml(cond, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })))),
        );
      };
      const err = await m.join(ROOM, 'me').then(
        () => assert.fail('joined'),
        (e: unknown) => e as MucError,
      );
      assert.equal(err.kind, kind);
      assert.equal(m.room(ROOM)!.status, 'error');
      assert.equal(m.room(ROOM)!.messages.at(-1)!.level, 'error', 'a system line in the room says why');
    }
  });

  it('tracks role changes, nick changes (303) and leaves', async () => {
    const { s, m } = manager();
    await joined(s, m, [presence('bob')]);
    const changes: string[] = [];
    m.on('occupantChanged', (e) => changes.push(`${e.oldNick ?? e.occupant.nick}->${e.occupant.nick} ${e.occupant.role}`));
    m.on('occupantLeft', (e) => changes.push(`left ${e.occupant.nick} ${e.codes.join(',')}`));
    s.deliver(presence('bob', { role: 'moderator' }));
    s.deliver(presence('bob', { type: 'unavailable', newNick: 'robert', codes: [303] }));
    s.deliver(presence('robert', { role: 'moderator' }));
    s.deliver(presence('robert', { type: 'unavailable', role: 'none', codes: [307] }));
    assert.deepEqual(changes, ['bob->bob moderator', 'bob->robert moderator', 'left robert 307']);
    assert.deepEqual([...m.room(ROOM)!.occupants.keys()], ['me']);
  });

  it('changes own nick (§7.6) and reports a refused one', async () => {
    const { s, m } = manager();
    await joined(s, m);
    s.onSend = (el) => {
      if (el.name === 'presence') {
        queueMicrotask(() => {
          s.deliver(presence('me', { type: 'unavailable', newNick: 'me2', codes: [303, 110] }));
          s.deliver(presence('me2', { codes: [110] }));
        });
      }
    };
    await m.changeNick(ROOM, 'me2');
    assert.equal(m.room(ROOM)!.nick, 'me2');
    s.onSend = (el) => {
      if (el.name === 'presence') {
        queueMicrotask(() =>
          s.deliver(xml('presence', { from: `${ROOM}/taken`, type: 'error', id: el.attrs.id as string }, xml('error', { type: 'cancel' }, xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })))),
        );
      }
    };
    await assert.rejects(m.changeNick(ROOM, 'taken'), (e: MucError) => e.kind === 'conflict');
    assert.equal(m.room(ROOM)!.nick, 'me2');
    assert.equal(m.room(ROOM)!.status, 'joined');
  });

  it('being kicked, banned or the room destroyed: left with the reason, no rejoin', async () => {
    for (const [codes, extra, reason] of [
      [[110, 307], [], 'kicked'],
      [[110, 301], [], 'banned'],
      [[110], [xml('destroy', {}, xml('reason', {}, 'bye'))], 'destroyed'],
    ] as const) {
      const { s, m } = manager();
      await joined(s, m);
      const left = m.waitFor('left');
      s.deliver(presence('me', { type: 'unavailable', role: 'none', codes: [...codes], extra: [...extra] }));
      const l = await left;
      assert.equal(l.reason, reason);
      assert.ok(l.message);
      assert.equal(m.room(ROOM)!.status, 'error');
      assert.equal(m.room(ROOM)!.error, l.message);
      // A reconnect does not pull us back in.
      s.sent = [];
      s.fire('online', { resumed: false });
      await new Promise((r) => setImmediate(r));
      assert.equal(s.sent.filter((e) => e.name === 'presence').length, 0);
    }
  });

  it('a message: mine (reflection by origin-id), mention flagged, sendMessage resolves on reflection', async () => {
    const { s, m } = manager();
    await joined(s, m, [presence('bob')]);
    s.onSend = (el) => {
      if (el.name === 'message' && el.attrs.type === 'groupchat') {
        const oid = el.getChild('origin-id', 'urn:xmpp:sid:0')!.attrs.id as string;
        queueMicrotask(() => s.deliver(groupchat('me', el.getChildText('body')!, { sid: 'r1', oid, id: el.attrs.id as string })));
      }
    };
    const sent = await m.sendMessage(ROOM, 'hello all');
    assert.equal(sent.mine, true);
    assert.equal(sent.direction, 'out');
    assert.equal(sent.id, 'sid:r1');
    s.deliver(groupchat('bob', 'hey ME, look'));
    const last = m.room(ROOM)!.messages.at(-1)!;
    assert.equal(last.mention, true);
    assert.equal(last.direction, 'in');
    assert.equal(last.from, 'bob');
    s.deliver(groupchat('bob', 'nothing for meme'));
    assert.equal(m.room(ROOM)!.messages.at(-1)!.mention, undefined);
  });

  it('a flood: 1,500 messages in order, at most the last 1,000 kept in memory', async () => {
    const { s, m } = manager();
    await joined(s, m, [presence('bob')]);
    let count = 0;
    m.on('message', () => count++);
    for (let i = 0; i < 1500; i++) s.deliver(groupchat('bob', `m${i}`, { sid: `f${i}` }));
    assert.equal(count, 1500);
    const msgs = m.room(ROOM)!.messages;
    assert.equal(msgs.length, MAX_ROOM_MESSAGES);
    assert.equal(msgs[0]!.text, 'm500');
    assert.equal(msgs.at(-1)!.text, 'm1499');
  });

  it('500 occupants (synthetic presences): all tracked (no hang)', { timeout: 20_000 }, async () => {
    const { s, m } = manager();
    const before = Array.from({ length: 499 }, (_, i) => presence(`user ${i}`, { jid: `u${i}@localhost/r` }));
    const room = await joined(s, m, before);
    assert.equal(room.occupants.size, 500);
    for (let i = 0; i < 499; i += 2) s.deliver(presence(`user ${i}`, { type: 'unavailable', role: 'none' }));
    assert.equal(room.occupants.size, 250);
  });

  it('history on a rejoin is not shown twice', async () => {
    const { s, m } = manager();
    const history = [
      groupchat('bob', 'one', { sid: 'a1', stamp: '2024-01-01T00:00:00Z' }),
      groupchat('bob', 'two', { stamp: '2024-01-01T00:00:01Z' }), // no ids: (nick, body, stamp)
    ];
    await joined(s, m, [presence('bob')]);
    for (const h of history) s.deliver(h);
    s.deliver(subjectMsg('', ''));
    assert.equal(m.room(ROOM)!.messages.length, 2);
    await m.leave(ROOM).catch(() => {});
    await joined(s, m, [presence('bob')]);
    for (const h of history) s.deliver(h);
    s.deliver(groupchat('bob', 'three', { sid: 'a3' }));
    assert.deepEqual(
      m.room(ROOM)!.messages.filter((x) => x.direction !== 'system').map((x) => x.text),
      ['one', 'two', 'three'],
    );
  });

  it('claims room stanzas (so 1:1 chat never sees them) but not private messages (§7.5)', async () => {
    const { s, m } = manager();
    await joined(s, m, [presence('bob')]);
    assert.ok(s.deliver(groupchat('bob', 'x')));
    assert.ok(s.deliver(presence('carol')));
    assert.ok(s.deliver(xml('message', { from: 'elsewhere@conference.localhost/x', type: 'groupchat' }, xml('body', {}, 'stray'))));
    assert.ok(!s.deliver(xml('message', { from: `${ROOM}/bob`, type: 'chat' }, xml('body', {}, 'pm'))));
    assert.ok(!s.deliver(xml('presence', { from: 'friend@localhost/r' })));
    assert.ok(!s.deliver(xml('message', { from: 'friend@localhost/r', type: 'chat' }, xml('body', {}, 'hi'))));
  });

  it('rejoins after a reconnect that was not resumed; not after a resumed one', async () => {
    const { s, m } = manager();
    await joined(s, m, [presence('bob')]);
    s.fire('state', { state: 'reconnecting' });
    assert.equal(m.room(ROOM)!.status, 'offline');
    s.state = 'online';
    s.sent = [];
    s.fire('online', { resumed: true });
    await new Promise((r) => setImmediate(r));
    assert.equal(s.sent.length, 0);
    const rejoined = m.waitFor('joined', (e) => e.rejoin);
    s.onSend = (el) => {
      if (el.name === 'presence') queueMicrotask(() => s.deliver(presence('me', { codes: [110] })));
    };
    s.fire('online', { resumed: false });
    await rejoined;
    assert.equal(m.room(ROOM)!.status, 'joined');
  });

  it('creates a reserved room (§10.1.3) by filling in only the offered fields', async () => {
    const { s, m } = manager();
    const formReply = (el: Element) =>
      xml(
        'iq',
        { type: 'result', id: el.attrs.id as string },
        xml(
          'query',
          { xmlns: NS_MUC_OWNER },
          xml(
            'x',
            { xmlns: 'jabber:x:data', type: 'form' },
            ...['FORM_TYPE', 'muc#roomconfig_membersonly', 'muc#roomconfig_publicroom', 'muc#roomconfig_persistentroom'].map((v) => xml('field', { var: v }, xml('value', {}, '0'))),
          ),
        ),
      );
    const submitted: Element[] = [];
    s.iqHandler = (el) => {
      const q = el.getChild('query', NS_MUC_OWNER);
      if (el.attrs.type === 'get' && q) return formReply(el);
      if (q) submitted.push(q.getChild('x', 'jabber:x:data')!);
      return xml('iq', { type: 'result', id: el.attrs.id as string });
    };
    s.onSend = (el) => {
      if (el.name === 'presence') queueMicrotask(() => s.deliver(presence('me', { codes: [110, 201], affiliation: 'owner', role: 'moderator' })));
    };
    const room = await m.create(ROOM, 'me', { membersOnly: true, public: false, persistent: true, password: 'secret' });
    assert.equal(room.affiliation, 'owner');
    const fields = parseForm(submitted[0]);
    assert.deepEqual(
      fields.map((f) => [f.var, f.values[0]]),
      [
        ['FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'],
        ['muc#roomconfig_membersonly', '1'],
        ['muc#roomconfig_publicroom', '0'],
        ['muc#roomconfig_persistentroom', '1'],
      ],
      'password fields are not sent when the form does not offer them',
    );
    assert.equal(submitted[0]!.attrs.type, 'submit');
    const withPw = parseForm(
      roomConfigSubmit(
        [{ var: 'muc#roomconfig_passwordprotectedroom', values: [] }, { var: 'muc#roomconfig_roomsecret', values: [] }],
        { password: 'pw' },
      ),
    );
    assert.deepEqual(withPw.map((f) => f.values[0]), ['http://jabber.org/protocol/muc#roomconfig', '1', 'pw']);
  });

  it('create() on an existing room fails with "exists" and leaves', async () => {
    const { s, m } = manager();
    s.onSend = (el) => {
      if (el.name === 'presence' && !el.attrs.type) queueMicrotask(() => s.deliver(presence('me', { codes: [110] })));
    };
    await assert.rejects(m.create(ROOM, 'me', {}), (e: MucError) => e.kind === 'exists');
    assert.equal(m.room(ROOM)!.status, 'left');
  });
});

describe('bookmarks (XEP-0402, XEP-0048)', () => {
  it('parses XEP-0402 items; skips junk; keeps autojoin, nick and password', () => {
    const items = xml(
      'items',
      { node: NS_BOOKMARKS2 },
      xml('item', { id: ROOM }, xml('conference', { xmlns: NS_BOOKMARKS2, name: 'Lobby', autojoin: 'true' }, xml('nick', {}, 'me'), xml('password', {}, 'pw'))),
      xml('item', { id: 'b@conference.localhost' }, xml('conference', { xmlns: NS_BOOKMARKS2, autojoin: '1' })),
      xml('item', { id: 'c@conference.localhost' }, xml('conference', { xmlns: NS_BOOKMARKS2 })),
      xml('item', { id: 'no-local-part' }, xml('conference', { xmlns: NS_BOOKMARKS2 })),
      xml('item', { id: 'd@conference.localhost' }, xml('other', { xmlns: 'x' })),
    );
    assert.deepEqual(parseBookmarks2(items), [
      { jid: ROOM, name: 'Lobby', autojoin: true, nick: 'me', password: 'pw' },
      { jid: 'b@conference.localhost', name: undefined, autojoin: true, nick: undefined, password: undefined },
      { jid: 'c@conference.localhost', name: undefined, autojoin: false, nick: undefined, password: undefined },
    ]);
  });

  it('parses XEP-0048 storage; dedupes; caps a hostile number of entries', () => {
    const storage = xml(
      'storage',
      { xmlns: NS_BOOKMARKS1 },
      xml('url', { name: 'x', url: 'https://example.org' }),
      xml('conference', { jid: ROOM, autojoin: 'true', name: 'Lobby' }, xml('nick', {}, 'me')),
      xml('conference', { jid: ROOM, autojoin: 'false' }),
      xml('conference', { jid: 'x@conference.localhost/res' }),
    );
    assert.deepEqual(parseBookmarks1(storage), [{ jid: ROOM, name: undefined, autojoin: false, nick: undefined, password: undefined }]);
    const many = xml('storage', { xmlns: NS_BOOKMARKS1 }, ...Array.from({ length: 5000 }, (_, i) => xml('conference', { jid: `r${i}@c.localhost` })));
    assert.equal(parseBookmarks1(many).length, 1000);
  });

  it('publishes XEP-0402 with private publish-options; rewrites XEP-0048 keeping URLs', () => {
    const pub = publishBookmark2({ jid: ROOM, autojoin: true, nick: 'me' });
    const ps = pub.getChild('pubsub', NS_PUBSUB)!;
    assert.equal(ps.getChild('publish')!.attrs.node, NS_BOOKMARKS2);
    assert.equal(ps.getChild('publish')!.getChild('item')!.attrs.id, ROOM);
    const opts = parseForm(ps.getChild('publish-options')!.getChild('x', 'jabber:x:data'));
    assert.equal(opts.find((f) => f.var === 'pubsub#access_model')!.values[0], 'whitelist');
    const url = xml('url', { name: 'x', url: 'https://example.org' });
    const set = setBookmarks1([{ jid: ROOM, autojoin: false, password: 'p' }], [url]);
    const st = set.getChild('query', NS_PRIVATE)!.getChild('storage', NS_BOOKMARKS1)!;
    assert.equal(st.getChildren('url').length, 1);
    assert.equal(st.getChild('conference')!.getChildText('password'), 'p');
  });

  it('BookmarkStore picks XEP-0402 when the server advertises #compat, else private storage', async () => {
    const discoReply = (features: string[]) => (el: Element) =>
      xml('iq', { type: 'result', id: el.attrs.id as string }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, ...features.map((f) => xml('feature', { var: f }))));
    const a = new BookmarkStore({ jid: 'me@localhost', iq: async (el) => discoReply(['urn:xmpp:bookmarks:1#compat'])(el) });
    assert.equal(await a.detect(), 'pep');
    const b = new BookmarkStore({ jid: 'me@localhost', iq: async (el) => discoReply(['jabber:iq:private'])(el) });
    assert.equal(await b.detect(), 'private');
    const c = new BookmarkStore({
      jid: 'me@localhost',
      iq: async () => {
        throw Object.assign(new Error('x'), { condition: 'service-unavailable' });
      },
    });
    assert.equal(await c.detect(), 'private');
  });

  it('autojoins marked bookmarks on sign-in', async () => {
    const s = new FakeSession();
    const m = new MucManager(s, { logger: nullLogger, bookmarks: 'private', joinTimeoutMs: 2000 });
    s.iqHandler = (el) =>
      xml(
        'iq',
        { type: 'result', id: el.attrs.id as string },
        xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_BOOKMARKS1 }, xml('conference', { jid: ROOM, autojoin: 'true' }, xml('nick', {}, 'marked')), xml('conference', { jid: 'no@conference.localhost', autojoin: 'false' }))),
      );
    s.onSend = (el) => {
      if (el.name === 'presence') queueMicrotask(() => s.deliver(presence('marked', { codes: [110] })));
    };
    const j = m.waitFor('joined');
    s.fire('online', { resumed: false });
    const e = await j;
    assert.equal(e.room, ROOM);
    assert.equal(e.nick, 'marked');
    assert.equal(s.sent.filter((x) => x.name === 'presence').length, 1, 'only the autojoin one');
    assert.equal(m.bookmarks.length, 2);
  });
});

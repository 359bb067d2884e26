// Stanza builders and the message reader (src/core/stanzas.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/client';
import * as xmppXml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import {
  MAX_INCOMING_BODY,
  NS_CHATSTATES,
  NS_DELAY,
  NS_HINTS,
  NS_RECEIPTS,
  NS_SID,
  chatMessage,
  chatStateMessage,
  describeStanzaError,
  parseMessage,
  presenceStanza,
  receiptMessage,
  rosterGet,
  rosterRemove,
  rosterSet,
  subscriptionPresence,
} from '../../src/core/stanzas';
import { NS_ROSTER } from '../../src/core/roster';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

// The streaming parser @xmpp/client itself uses (not in src/types/xmpp.d.ts, hence the cast).
type StreamParser = { on(ev: string, cb: (v: unknown) => void): void; write(s: string): void };
const { Parser } = xmppXml as unknown as { Parser: new () => StreamParser };

/** Parses one stanza the way it arrives on a stream: as a child of <stream>. */
function parseStanza(text: string): Element {
  const p = new Parser();
  const found: Element[] = [];
  let error: unknown;
  p.on('element', (el) => found.push(el as Element));
  p.on('error', (e) => (error = e));
  p.write(`<stream xmlns="jabber:client">${text}</stream>`);
  if (error) throw error;
  assert.equal(found.length, 1, `expected one stanza in ${text}`);
  return found[0]!;
}

const childNames = (el: Element) => el.getChildElements().map((c) => `${c.name}|${(c.attrs.xmlns as string | undefined) ?? ''}`);

describe('stanzas: builders', () => {
  it('chatMessage: type chat, to, id, body, chat state, receipt request; no origin-id (1:1 ids are kept)', () => {
    const m = chatMessage({ to: 'romeo@example.net/orchard', id: 'm-1', body: 'Wherefore art thou?', receipt: true, chatState: 'active' });
    assert.equal(m.name, 'message');
    assert.deepEqual(m.attrs, { type: 'chat', to: 'romeo@example.net/orchard', id: 'm-1' });
    assert.deepEqual(childNames(m), ['body|', `active|${NS_CHATSTATES}`, `request|${NS_RECEIPTS}`]);
    assert.equal(m.getChildText('body'), 'Wherefore art thou?');
  });

  it('chatMessage: no receipt request or chat state unless asked; extra elements appended last', () => {
    const extra = xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: 'urn:xmpp:otr:0' });
    const m = chatMessage({ to: 'a@example.com', id: 'x', body: '?OTR:AAM', extra: [extra] });
    assert.deepEqual(childNames(m), ['body|', 'encryption|urn:xmpp:eme:0']);
    assert.equal(m.getChild('request', NS_RECEIPTS), undefined);
  });

  it('chatStateMessage: no body, the state and a no-store hint', () => {
    const m = chatStateMessage('a@example.com', 'composing');
    assert.deepEqual(m.attrs, { type: 'chat', to: 'a@example.com' });
    assert.deepEqual(childNames(m), [`composing|${NS_CHATSTATES}`, `no-store|${NS_HINTS}`]);
    assert.equal(m.getChild('body'), undefined);
  });

  it('receiptMessage: echoes the received id (XEP-0184 §5.2), not stored', () => {
    const m = receiptMessage('a@example.com/phone', 'their-id');
    assert.equal(m.attrs.to, 'a@example.com/phone');
    assert.equal(m.attrs.id, 'r-their-id');
    assert.equal(m.getChild('received', NS_RECEIPTS)!.attrs.id, 'their-id');
    assert.ok(m.getChild('no-store', NS_HINTS));
    assert.equal(m.getChild('body'), undefined);
  });

  it('presenceStanza: <show/> only for away/xa/dnd/chat, status capped, priority always', () => {
    for (const show of ['away', 'xa', 'dnd', 'chat'] as const) {
      assert.equal(presenceStanza(show).getChildText('show'), show);
    }
    for (const show of ['available', 'offline'] as const) {
      assert.equal(presenceStanza(show).getChild('show'), undefined, show);
    }
    const p = presenceStanza('away', 'lunch', 5);
    assert.deepEqual(p.attrs, {});
    assert.deepEqual(childNames(p), ['show|', 'status|', 'priority|']);
    assert.equal(p.getChildText('status'), 'lunch');
    assert.equal(p.getChildText('priority'), '5');
    assert.equal(presenceStanza('available').getChildText('priority'), '0');
    assert.equal(presenceStanza('available', '').getChild('status'), undefined);
    assert.equal(presenceStanza('available', 's'.repeat(2000)).getChildText('status')!.length, 1024);
  });

  it('subscription presence and roster set/remove/get', () => {
    assert.deepEqual(subscriptionPresence('a@example.com', 'subscribed').attrs, { to: 'a@example.com', type: 'subscribed' });
    const set = rosterSet({ jid: 'a@example.com', name: 'Alice', groups: ['Friends', 'Work'] });
    assert.equal(set.attrs.type, 'set');
    const item = set.getChild('query', NS_ROSTER)!.getChild('item')!;
    assert.deepEqual(item.attrs, { jid: 'a@example.com', name: 'Alice' });
    assert.deepEqual(item.getChildren('group').map((g) => g.text()), ['Friends', 'Work']);
    assert.deepEqual(rosterSet({ jid: 'b@example.com' }).getChild('query', NS_ROSTER)!.getChild('item')!.attrs, { jid: 'b@example.com' });
    assert.deepEqual(rosterRemove('a@example.com').getChild('query', NS_ROSTER)!.getChild('item')!.attrs, { jid: 'a@example.com', subscription: 'remove' });
    assert.equal(rosterGet().getChild('query', NS_ROSTER)!.attrs.ver, undefined);
    assert.equal(rosterGet('').getChild('query', NS_ROSTER)!.attrs.ver, '', 'an empty ver asks for versioning (RFC 6121 §2.6.2)');
    assert.equal(rosterGet('v3').getChild('query', NS_ROSTER)!.attrs.ver, 'v3');
  });
});

describe('stanzas: parseMessage', () => {
  it('reads from, type, id and body', () => {
    const p = parseMessage(xml('message', { from: 'a@example.com/phone', type: 'chat', id: 'abc' }, xml('body', {}, 'hi')));
    assert.deepEqual(p, { id: 'abc', from: 'a@example.com/phone', type: 'chat', body: 'hi', receiptRequested: false });
  });

  it('type defaults to normal; an empty body is an empty string', () => {
    const p = parseMessage(xml('message', { from: 'a@example.com' }, xml('body', {})))!;
    assert.equal(p.type, 'normal');
    assert.equal(p.body, '');
    assert.equal(p.id, undefined);
  });

  it('not a message or no from → undefined', () => {
    assert.equal(parseMessage(xml('presence', { from: 'a@example.com' })), undefined);
    assert.equal(parseMessage(xml('message', { type: 'chat' }, xml('body', {}, 'x'))), undefined);
    assert.equal(parseMessage(xml('message', { from: '' }, xml('body', {}, 'x'))), undefined);
  });

  it('reads XEP-0085 chat states in their namespace only; a state-only message has no body', () => {
    for (const state of ['active', 'composing', 'paused', 'inactive', 'gone'] as const) {
      const p = parseMessage(xml('message', { from: 'a@example.com', type: 'chat' }, xml(state, { xmlns: NS_CHATSTATES })))!;
      assert.equal(p.chatState, state);
      assert.equal(p.body, undefined);
      assert.equal('body' in p, false);
    }
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('composing', { xmlns: 'urn:other' })))!.chatState, undefined);
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('typing', { xmlns: NS_CHATSTATES })))!.chatState, undefined);
  });

  it('reads XEP-0184 receipt requests and receipts', () => {
    const asks = parseMessage(xml('message', { from: 'a@example.com', id: 'm1' }, xml('body', {}, 'x'), xml('request', { xmlns: NS_RECEIPTS })))!;
    assert.equal(asks.receiptRequested, true);
    const receipt = parseMessage(xml('message', { from: 'a@example.com', id: 'r-1' }, xml('received', { xmlns: NS_RECEIPTS, id: 'my-msg' })))!;
    assert.equal(receipt.receivedId, 'my-msg');
    assert.equal(receipt.receiptRequested, false);
    const wrongNs = parseMessage(xml('message', { from: 'a@example.com' }, xml('request', { xmlns: 'urn:xmpp:other' }), xml('received', { id: 'x' })))!;
    assert.equal(wrongNs.receiptRequested, false);
    assert.equal(wrongNs.receivedId, undefined);
  });

  it('reads the XEP-0203 delay stamp; ignores a bad stamp or another namespace', () => {
    const delayed = parseMessage(
      xml('message', { from: 'a@example.com' }, xml('body', {}, 'old'), xml('delay', { xmlns: NS_DELAY, from: 'example.com', stamp: '2002-09-10T23:08:25Z' })),
    )!;
    assert.equal(delayed.delayedTs, Date.UTC(2002, 8, 10, 23, 8, 25));
    const withMs = parseMessage(xml('message', { from: 'a@example.com' }, xml('delay', { xmlns: NS_DELAY, stamp: '2002-09-10T23:08:25.123+02:00' })))!;
    assert.equal(withMs.delayedTs, Date.UTC(2002, 8, 10, 21, 8, 25, 123));
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('delay', { xmlns: NS_DELAY, stamp: 'yesterday' })))!.delayedTs, undefined);
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('delay', { xmlns: NS_DELAY })))!.delayedTs, undefined);
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('delay', { xmlns: 'jabber:x:delay', stamp: '2002-09-10T23:08:25Z' })))!.delayedTs, undefined);
  });

  it('prefers the XEP-0359 origin-id to the stanza id', () => {
    const p = parseMessage(
      xml('message', { from: 'a@example.com', id: 'server-rewritten' }, xml('body', {}, 'x'), xml('origin-id', { xmlns: NS_SID, id: 'orig-1' })),
    )!;
    assert.equal(p.id, 'orig-1');
    const noNs = parseMessage(xml('message', { from: 'a@example.com', id: 'stanza-id' }, xml('origin-id', { id: 'fake' })))!;
    assert.equal(noNs.id, 'stanza-id', 'origin-id outside its namespace is not read');
    const noId = parseMessage(xml('message', { from: 'a@example.com', id: 'stanza-id' }, xml('origin-id', { xmlns: NS_SID })))!;
    assert.equal(noId.id, 'stanza-id');
  });

  it('drops over-long and empty stanza ids', () => {
    assert.equal(parseMessage(xml('message', { from: 'a@example.com', id: 'x'.repeat(256) }))!.id, 'x'.repeat(256));
    assert.equal(parseMessage(xml('message', { from: 'a@example.com', id: 'x'.repeat(257) }))!.id, undefined);
    assert.equal(parseMessage(xml('message', { from: 'a@example.com', id: '' }))!.id, undefined);
  });

  it(
    'drops over-long and empty origin-ids as it does stanza ids',
    () => {
      const long = parseMessage(
        xml('message', { from: 'a@example.com', id: 'good' }, xml('origin-id', { xmlns: NS_SID, id: 'x'.repeat(100_000) })),
      )!;
      assert.ok(long.id === undefined || long.id === 'good', `id of length ${long.id?.length} kept`);
      const empty = parseMessage(xml('message', { from: 'a@example.com', id: 'good' }, xml('origin-id', { xmlns: NS_SID, id: '' })))!;
      assert.equal(empty.id, 'good');
    },
  );

  it('type=error: condition and text (RFC 6120 §8.3)', () => {
    const p = parseMessage(
      xml(
        'message',
        { from: 'a@example.com', type: 'error', id: 'm1' },
        xml('body', {}, 'my text'),
        xml(
          'error',
          { type: 'cancel' },
          xml('service-unavailable', { xmlns: NS_STANZAS }),
          xml('text', { xmlns: NS_STANZAS }, 'User session not found'),
        ),
      ),
    )!;
    assert.equal(p.type, 'error');
    assert.equal(p.errorCondition, 'service-unavailable');
    assert.equal(p.errorText, 'User session not found');
    // The text may come first; it is never the condition.
    const textFirst = parseMessage(
      xml('message', { from: 'a@example.com', type: 'error' }, xml('error', {}, xml('text', { xmlns: NS_STANZAS }, 'why'), xml('forbidden', { xmlns: NS_STANZAS }))),
    )!;
    assert.equal(textFirst.errorCondition, 'forbidden');
    const bare = parseMessage(xml('message', { from: 'a@example.com', type: 'error' }))!;
    assert.equal(bare.errorCondition, 'undefined-condition');
    assert.equal(bare.errorText, undefined);
    // Not an error message: no error fields even with an <error/> child.
    const chat = parseMessage(xml('message', { from: 'a@example.com', type: 'chat' }, xml('error', {}, xml('forbidden', { xmlns: NS_STANZAS }))))!;
    assert.equal(chat.errorCondition, undefined);
  });

  it('caps the body at MAX_INCOMING_BODY', () => {
    const huge = 'a'.repeat(MAX_INCOMING_BODY + 5000);
    const p = parseMessage(xml('message', { from: 'a@example.com' }, xml('body', {}, huge)))!;
    assert.equal(p.body!.length, MAX_INCOMING_BODY);
    const exact = 'b'.repeat(MAX_INCOMING_BODY);
    assert.equal(parseMessage(xml('message', { from: 'a@example.com' }, xml('body', {}, exact)))!.body, exact);
  });

  it('parses a stanza read from the wire', () => {
    const el = parseStanza(
      `<message from="juliet@example.com/balcony" to="romeo@example.net" type="chat" id="ktx72v49">` +
        `<body>Art thou not Romeo, and a Montague?</body>` +
        `<active xmlns="${NS_CHATSTATES}"/><request xmlns="${NS_RECEIPTS}"/>` +
        `<origin-id xmlns="${NS_SID}" id="de305d54"/><delay xmlns="${NS_DELAY}" stamp="2024-01-02T03:04:05Z"/></message>`,
    );
    assert.deepEqual(parseMessage(el), {
      id: 'de305d54',
      from: 'juliet@example.com/balcony',
      type: 'chat',
      body: 'Art thou not Romeo, and a Montague?',
      chatState: 'active',
      receiptRequested: true,
      delayedTs: Date.UTC(2024, 0, 2, 3, 4, 5),
    });
  });
});

describe('stanzas: hostile content stays text', () => {
  const hostile = [
    '<script>alert(1)</script>',
    ']]><x/><![CDATA[',
    '&amp; &lt; &#0; "quotes" \'apos\'',
    '</body><body>injected</body>',
    '<img src=x onerror="alert(1)">',
    'emoji 🔒 and RTL \u202e override',
  ];

  for (const body of hostile) {
    it(`round-trips ${JSON.stringify(body)} verbatim through serialisation and parsing`, () => {
      const out = chatMessage({ to: 'a@example.com', id: 'm1', body });
      const wire = out.toString();
      assert.ok(!wire.includes('<script>'), 'markup is escaped on the wire');
      assert.ok(!wire.includes('<body>injected'), 'no second body element on the wire');
      // Read back as the contact's client would, with a from added by their server.
      const back = parseStanza(wire.replace('<message ', '<message from="me@example.com/pc" '));
      assert.equal(back.getChildren('body').length, 1);
      const p = parseMessage(back)!;
      assert.equal(p.body, body);
      assert.equal(p.id, 'm1');
    });
  }

  it('hostile attribute values are escaped too', () => {
    const to = 'a@example.com"><evil/>';
    const wire = chatMessage({ to, id: 'i"d', body: 'x' }).toString();
    const back = parseStanza(wire);
    assert.equal(back.attrs.to, to);
    assert.equal(back.attrs.id, 'i"d');
    assert.equal(back.getChild('evil'), undefined);
  });
});

describe('stanzas: describeStanzaError', () => {
  it('plain words for known conditions, the condition itself otherwise', () => {
    assert.equal(describeStanzaError('service-unavailable'), 'the recipient cannot receive messages right now');
    assert.equal(describeStanzaError('remote-server-not-found'), 'the address does not exist');
    assert.equal(describeStanzaError('policy-violation'), 'the server refused the message');
    assert.equal(describeStanzaError('not-authorized'), 'you are not allowed to send this message');
    assert.equal(describeStanzaError('gone'), 'gone');
  });
});

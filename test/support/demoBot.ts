/**
 * The demo contact: a script client that accepts every authorisation request (and asks back),
 * answers every chat message, acknowledges receipts (XEP-0184) and shows typing (XEP-0085).
 * Used by `npm run demo` and by the browser tests as the "other person".
 */
import { stripWhitespaceTags } from '../../src/core/otr/layer';
import type { ProsodyServer } from './prosody';
import { connectClient, type ScriptClient, xml } from './xmppClient';

export interface DemoBot {
  client: ScriptClient;
  /**
   * Every body received, in order, with the sender's full JID. `body` is the text as a person
   * reads it: without the OTR whitespace tag that Padlock's default (opportunistic) policy
   * appends (OTR v3 "Tagged plaintext messages"), which `raw` keeps.
   */
  readonly heard: { from: string; body: string; raw: string }[];
  stop(): Promise<void>;
}

export async function startDemoBot(
  server: Pick<ProsodyServer, 'host' | 'port' | 'domain' | 'caPem'>,
  opts: { user: string; password: string; status?: string; reply?: (body: string) => string | undefined },
): Promise<DemoBot> {
  const client = await connectClient({ server, user: opts.user, password: opts.password, resource: 'demo', acceptSubscriptions: true, presence: false });
  await client.sendPresence({}, xml('status', {}, opts.status ?? 'Demo contact: say hi!'));
  const heard: DemoBot['heard'] = [];
  const reply =
    opts.reply ??
    ((body: string) =>
      `Hi! I am the Padlock demo contact. You wrote ${body.length} character${body.length === 1 ? '' : 's'}: “${body.length > 200 ? `${body.slice(0, 200)}…` : body}”`);
  client.xmpp.on('stanza', (el: never) => {
    const s = el as ScriptClient['received'][number];
    if (!s.is('message') || s.attrs.type === 'error' || s.attrs.type === 'groupchat') return;
    const from = s.attrs.from;
    const raw = s.getChildText('body');
    if (!from || raw === null) return;
    // The bot does not speak OTR: it must not echo the tag back, or Padlock would rightly
    // take the echo for an OTR-capable client and start an AKE.
    const body = stripWhitespaceTags(raw);
    heard.push({ from, body, raw });
    // XEP-0184: acknowledge what was asked to be acknowledged.
    if (s.getChild('request', 'urn:xmpp:receipts') && s.attrs.id) {
      void client.send(xml('message', { to: from, id: `r-${s.attrs.id}` }, xml('received', { xmlns: 'urn:xmpp:receipts', id: s.attrs.id }))).catch(() => {});
    }
    const text = reply(body);
    if (text === undefined) return;
    void (async () => {
      await client.send(xml('message', { to: from, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
      await client.sendMessage(from, text, { children: [xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })] });
    })().catch(() => {});
  });
  return {
    client,
    heard,
    stop: () => client.stop(),
  };
}

/**
 * Makes two accounts mutual contacts (subscription "both") before a test or the demo starts,
 * through two short-lived script clients, the way two people would: request, authorize, and
 * the counter-request authorized too (RFC 6121 §3.1).
 */
export async function befriend(
  server: Pick<ProsodyServer, 'host' | 'port' | 'domain' | 'caPem'>,
  a: { user: string; password: string; name?: string; group?: string },
  b: { user: string; password: string; name?: string; group?: string },
): Promise<void> {
  const ca = await connectClient({ server, user: a.user, password: a.password, resource: 'setup', acceptSubscriptions: true });
  const cb = await connectClient({ server, user: b.user, password: b.password, resource: 'setup', acceptSubscriptions: true });
  try {
    /** `b` as an item of a's roster (with b's name and group), and the other way round. */
    const item = (jid: string, name?: string, group?: string) =>
      xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid, ...(name ? { name } : {}) }, group ? xml('group', {}, group) : undefined)));
    // Roster pushes go only to "interested resources", those that requested the roster
    // (RFC 6121 §2.1.6 / §2.2): ask first, or the completion below is never seen.
    const get = () => xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' }));
    await Promise.all([ca.iq(get()), cb.iq(get())]);
    await ca.iq(item(cb.bareJid, b.name, b.group));
    await cb.iq(item(ca.bareJid, a.name, a.group));
    await ca.subscribe(cb.bareJid);
    // Done when each side's server has pushed the item with subscription "both" (RFC 6121
    // §2.1.6 roster push after §3.1.5/§3.1.6): the handshake completed both ways.
    const both = (c: ScriptClient, other: string) =>
      c.waitForStanza((el) => {
        const it = el.is('iq') && el.attrs.type === 'set' ? el.getChild('query', 'jabber:iq:roster')?.getChild('item') : undefined;
        return !!it && it.attrs.jid === other && it.attrs.subscription === 'both';
      });
    await Promise.all([both(ca, cb.bareJid), both(cb, ca.bareJid)]);
  } finally {
    await Promise.all([ca.stop(), cb.stop()]);
  }
}

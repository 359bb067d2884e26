/**
 * Building and reading the stanzas of 1:1 chat, as pure functions (unit-tested without a
 * server). Each function cites the specification it follows.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { ChatState, PresenceShow } from '../shared/protocol';
import { NS_ROSTER } from './roster';

export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates'; // XEP-0085
export const NS_RECEIPTS = 'urn:xmpp:receipts'; // XEP-0184
export const NS_DELAY = 'urn:xmpp:delay'; // XEP-0203
export const NS_HINTS = 'urn:xmpp:hints'; // XEP-0334
export const NS_SID = 'urn:xmpp:sid:0'; // XEP-0359
export const NS_CARBONS = 'urn:xmpp:carbons:2'; // XEP-0280

/** Hard cap on an incoming body we keep (a hostile sender cannot make us hold more). */
export const MAX_INCOMING_BODY = 1024 * 1024 + 1024;

export function chatMessage(opts: {
  to: string;
  id: string;
  body: string;
  /** XEP-0184: ask for a delivery receipt. */
  receipt?: boolean;
  /** XEP-0085 §5.1: a message carries <active/>, which also advertises support. */
  chatState?: ChatState;
  extra?: Element[];
}): Element {
  const children: Element[] = [xml('body', {}, opts.body)];
  if (opts.chatState) children.push(xml(opts.chatState, { xmlns: NS_CHATSTATES }));
  // XEP-0184 §5.1: request a receipt only with a body, and a message id is required for it.
  if (opts.receipt) children.push(xml('request', { xmlns: NS_RECEIPTS }));
  // No XEP-0359 <origin-id/>: it exists for services that rewrite a message's 'id' (MUC
  // services before XEP-0045 1.31; our room messages carry one, muc.ts). A 1:1 message reaches
  // the contact and both archives (XEP-0313 keeps the stanza) with our id, the id that XEP-0184
  // receipts and RFC 6120 §8.3 errors echo. Each element costs the server work per message
  // (Prosody clones the stanza for each archive): measured in docs/benchmarks.md.
  // Extra elements from a message layer, e.g. OTR's XEP-0364 hints.
  children.push(...(opts.extra ?? []));
  return xml('message', { type: 'chat', to: opts.to, id: opts.id }, ...children);
}

/** XEP-0085 standalone notification: no body, and a no-store hint (XEP-0334 §4.3). */
export function chatStateMessage(to: string, state: ChatState): Element {
  return xml('message', { type: 'chat', to }, xml(state, { xmlns: NS_CHATSTATES }), xml('no-store', { xmlns: NS_HINTS }));
}

/** XEP-0184 §5.2: the receipt echoes the id of the message received. */
export function receiptMessage(to: string, id: string): Element {
  return xml('message', { to, id: `r-${id}` }, xml('received', { xmlns: NS_RECEIPTS, id }), xml('no-store', { xmlns: NS_HINTS }));
}

/** RFC 6121 §4.7: <show/> values; "available" has none. */
export function presenceStanza(show: PresenceShow, status?: string, priority = 0): Element {
  const children: Element[] = [];
  if (show === 'away' || show === 'xa' || show === 'dnd' || show === 'chat') children.push(xml('show', {}, show));
  if (status) children.push(xml('status', {}, status.slice(0, 1024)));
  children.push(xml('priority', {}, String(priority)));
  return xml('presence', {}, ...children);
}

export function subscriptionPresence(to: string, type: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed'): Element {
  return xml('presence', { to, type });
}

/** RFC 6121 §2.1.5 / §2.3: add or update a roster item. */
export function rosterSet(item: { jid: string; name?: string; groups?: string[] }): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_ROSTER },
      xml('item', { jid: item.jid, ...(item.name ? { name: item.name } : {}) }, ...(item.groups ?? []).map((g) => xml('group', {}, g))),
    ),
  );
}

/** RFC 6121 §2.5: remove an item (also cancels subscriptions both ways). */
export function rosterRemove(jid: string): Element {
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, subscription: 'remove' })));
}

export function rosterGet(ver?: string): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER, ...(ver !== undefined ? { ver } : {}) }));
}

export interface ParsedChatMessage {
  id?: string;
  from: string;
  type: string;
  body?: string;
  chatState?: ChatState;
  receiptRequested: boolean;
  /** XEP-0184 receipt for our message with this id. */
  receivedId?: string;
  /** XEP-0203 original send time (ms). */
  delayedTs?: number;
  /** type=error: the condition (RFC 6120 §8.3). */
  errorCondition?: string;
  errorText?: string;
}

const CHAT_STATES: ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

/** Reads what 1:1 chat needs from a <message/>. Returns undefined for what is not ours to read. */
export function parseMessage(el: Element): ParsedChatMessage | undefined {
  if (el.name !== 'message') return undefined;
  const from = el.attrs.from as string | undefined;
  if (!from || typeof from !== 'string') return undefined;
  const type = (el.attrs.type as string | undefined) ?? 'normal';
  const out: ParsedChatMessage = { id: strAttr(el.attrs.id), from, type, receiptRequested: false };
  const body = el.getChild('body');
  if (body) {
    const text = body.text();
    out.body = text.length > MAX_INCOMING_BODY ? text.slice(0, MAX_INCOMING_BODY) : text;
  }
  const origin = el.getChild('origin-id', NS_SID);
  // XEP-0359: prefer the sender's origin-id (stable across server rewrites), with the same
  // bounds as the stanza id: it ends up in history and in our receipts.
  const originId = origin ? strAttr(origin.attrs.id) : undefined;
  if (originId) out.id = originId;
  for (const c of el.children) {
    if (typeof c === 'string') continue;
    if (c.attrs.xmlns === NS_CHATSTATES && CHAT_STATES.includes(c.name as ChatState)) out.chatState = c.name as ChatState;
  }
  out.receiptRequested = !!el.getChild('request', NS_RECEIPTS);
  const received = el.getChild('received', NS_RECEIPTS);
  if (received && typeof received.attrs.id === 'string') out.receivedId = received.attrs.id;
  const delay = el.getChild('delay', NS_DELAY);
  if (delay && typeof delay.attrs.stamp === 'string') {
    const t = Date.parse(delay.attrs.stamp);
    if (Number.isFinite(t)) out.delayedTs = t;
  }
  if (type === 'error') {
    const err = el.getChild('error');
    const cond = err?.children.find((c) => typeof c !== 'string' && c.name !== 'text') as Element | undefined;
    out.errorCondition = cond?.name ?? 'undefined-condition';
    out.errorText = err?.getChildText('text') ?? undefined;
  }
  return out;
}

function strAttr(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

/** Plain words for RFC 6120 §8.3.3 stanza error conditions a chat user can meet. */
export function describeStanzaError(condition: string): string {
  switch (condition) {
    case 'service-unavailable':
    case 'recipient-unavailable':
      return 'the recipient cannot receive messages right now';
    case 'item-not-found':
    case 'remote-server-not-found':
      return 'the address does not exist';
    case 'remote-server-timeout':
      return "the contact's server did not answer";
    case 'not-acceptable':
    case 'policy-violation':
      return 'the server refused the message';
    case 'resource-constraint':
      return 'the server is overloaded';
    case 'forbidden':
    case 'not-authorized':
      return 'you are not allowed to send this message';
    default:
      return condition;
  }
}

/**
 * Group chat: XEP-0045 Multi-User Chat, for one AccountSession, with no dependency on VS Code
 * and no UI. The host builds the room panel on this API.
 *
 *  - Rooms are joined with presence (§7.2), left with unavailable presence (§7.14), created as
 *    instant (§10.1.2) or reserved rooms configured with a data form (§10.1.3).
 *  - Occupants (nick, role, affiliation, real JID when the room shows it, show/status) are
 *    tracked from presence, with the status codes of §15.6 surfaced on events.
 *  - Messages (type=groupchat, §7.4) are kept per room, capped in memory, written to the same
 *    HistoryStore as 1:1 chat (keyed by the room JID) and deduplicated so that the history a
 *    room sends on join (§7.2.15) is shown once and not again on a rejoin.
 *  - Invitations: direct (XEP-0249) and mediated (§7.8.2), with decline (§7.8.2).
 *  - Moderation: kick (§8.2), ban (§9.1), subject (§8.1), destroy (§10.9).
 *  - Discovery of the conference service and its rooms (XEP-0030, §6.1-6.3).
 *  - Bookmarks (./bookmarks.ts): autojoin on sign-in; joined rooms are rejoined after a
 *    reconnect that did not resume the stream (XEP-0198).
 *
 * Everything a remote party sends is bounded: nicknames are capped and stripped of control
 * characters for display (identity keeps the raw nick), per-room messages and dedupe keys are
 * capped, occupant lists are capped.
 */
import { createHash, randomUUID } from 'node:crypto';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { type Bookmark, BookmarkStore, type BookmarkFormat } from './bookmarks';
import { Emitter, type Disposable } from './emitter';
import type { HistoryStore } from './history';
import { bareJid, localOf, parseJid } from './jid';
import { type Logger, clip } from './log';
import { MAX_INCOMING_BODY, NS_DELAY, NS_SID, describeStanzaError } from './stanzas';
import type { ConnectionState, MessageView, PresenceShow } from '../shared/protocol';
import { MAX_OUTGOING_TEXT } from '../shared/protocol';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ROOMCONFIG = 'http://jabber.org/protocol/muc#roomconfig';
export const NS_CONFERENCE = 'jabber:x:conference'; // XEP-0249
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
export const NS_DATA = 'jabber:x:data';

/** In-memory messages kept per room; older ones are in the HistoryStore. */
export const MAX_ROOM_MESSAGES = 1000;
/** Dedupe keys remembered per room (a few per message). */
export const MAX_SEEN_KEYS = 5000;
/** Occupants kept per room (a hostile room cannot make us hold more). */
export const MAX_OCCUPANTS = 5000;
/** Characters of a nickname shown; the full nickname remains its identity. */
export const MAX_DISPLAY_NICK = 64;
/** RFC 7622 §3.4: a resourcepart (the nickname) is at most 1023 octets. */
export const MAX_NICK_OCTETS = 1023;
const MAX_SUBJECT = 4096;
const MAX_STATUS = 1024;
const MAX_REASON = 1024;
const MAX_PENDING_INVITES = 100;
const MAX_DISCO_ITEMS = 2000;

// ---------------------------------------------------------------------------------------------
// Types

/** §5.1 roles. */
export type MucRole = 'moderator' | 'participant' | 'visitor' | 'none';
/** §5.2 affiliations. */
export type MucAffiliation = 'owner' | 'admin' | 'member' | 'outcast' | 'none';

const ROLES: readonly MucRole[] = ['moderator', 'participant', 'visitor', 'none'];
const AFFILIATIONS: readonly MucAffiliation[] = ['owner', 'admin', 'member', 'outcast', 'none'];
const SHOWS: Record<string, PresenceShow> = { chat: 'chat', away: 'away', xa: 'xa', dnd: 'dnd' };

/** §15.6 status codes that the UI cares about. */
export const STATUS = {
  /** §7.2.2 non-anonymous room */
  NON_ANONYMOUS: 100,
  /** §7.2.3 this presence is about you */
  SELF: 110,
  /** §7.2.12 room is logged */
  LOGGED: 170,
  /** §10.1.1 room created */
  CREATED: 201,
  /** §7.2.9 the service assigned or changed your nick */
  NICK_ASSIGNED: 210,
  /** §9.1 banned */
  BANNED: 301,
  /** §7.6 nick change */
  NICK_CHANGED: 303,
  /** §8.2 kicked */
  KICKED: 307,
  /** §9.4 removed by an affiliation change */
  AFFILIATION_REMOVED: 321,
  /** §9.6 removed: the room became members-only */
  MEMBERS_ONLY_REMOVED: 322,
  /** §15.6 removed: the service is shutting down */
  SHUTDOWN: 332,
  /** §10.2 room configuration changed (in a message) */
  CONFIG_CHANGED: 104,
} as const;

export interface Occupant {
  /** The nickname as on the wire: the occupant's identity in the room. */
  nick: string;
  /** Capped, control characters removed: for display only (render as text, never HTML). */
  displayNick: string;
  role: MucRole;
  affiliation: MucAffiliation;
  /** Real full JID, when the room shows it to us (§7.2.4 non-anonymous, or we moderate). */
  jid?: string;
  show: PresenceShow;
  status?: string;
  /** This occupant is us. */
  self: boolean;
}

/**
 * A line in a room. Extends the 1:1 MessageView (so HistoryStore keeps it as is) with the
 * sender's nickname. `direction`: 'out' for our own messages (reflected by the room, §7.4),
 * 'in' for others', 'system' for room notices and for our own notes (kicked, errors, …).
 */
export interface RoomMessage extends MessageView {
  /** Sender's nickname (raw identity); absent for messages from the room itself. */
  from?: string;
  /** Sanitised nickname for display. */
  displayFrom?: string;
  mine?: boolean;
  /** Mentions our nickname (word boundary, case-insensitive). */
  mention?: boolean;
  /** Came with a XEP-0203 delay (history on join, §7.2.15). */
  delayed?: boolean;
  /** XEP-0359 origin-id (for our own messages: the id sendMessage returned). */
  originId?: string;
}

export type RoomStatus = 'joining' | 'joined' | 'offline' | 'left' | 'error';

export interface RoomState {
  jid: string;
  /** Our nickname in the room. */
  nick: string;
  status: RoomStatus;
  subject?: string;
  /** Nick of whoever set the subject (if known). */
  subjectBy?: string;
  readonly occupants: ReadonlyMap<string, Occupant>;
  readonly messages: readonly RoomMessage[];
  /** Our role and affiliation once joined. */
  role: MucRole;
  affiliation: MucAffiliation;
  /** Set when `status` is 'error' or the room was left involuntarily: plain words. */
  error?: string;
  /** §7.2.15: the subject arrived, so the history sent on join is complete. */
  historyComplete: boolean;
}

export type MucErrorKind =
  | 'conflict'
  | 'password'
  | 'membersOnly'
  | 'banned'
  | 'kicked'
  | 'destroyed'
  | 'shutdown'
  | 'full'
  | 'notFound'
  | 'notAllowed'
  | 'nickRejected'
  | 'forbidden'
  | 'exists'
  | 'invalid'
  | 'timeout'
  | 'offline'
  | 'other';

export class MucError extends Error {
  constructor(
    readonly kind: MucErrorKind,
    message: string,
    readonly condition?: string,
  ) {
    super(message);
    this.name = 'MucError';
  }
}

export interface Invitation {
  /** Unique per invitation, for the UI's Join / Decline buttons. */
  id: string;
  room: string;
  /**
   * The inviter: a bare JID, or, when the room hides real JIDs (semi-anonymous room, as
   * Prosody does for mediated invitations), the inviter's occupant JID room@service/nick.
   * A decline is addressed to this.
   */
  from: string;
  /** The inviter's nickname in the room, when `from` is an occupant JID. */
  inviterNick?: string;
  reason?: string;
  password?: string;
  kind: 'direct' | 'mediated';
  at: number;
}

export type LeaveReason = 'left' | 'kicked' | 'banned' | 'destroyed' | 'shutdown' | 'removed' | 'error';

interface MucEvents {
  /** We are in the room (after join, create, or rejoin after a reconnect). */
  joined: { room: string; nick: string; created: boolean; rejoin: boolean };
  /** We are out of the room; `message` in plain words unless we left ourselves. */
  left: { room: string; reason: LeaveReason; message?: string; actor?: string; alternate?: string };
  /** A join failed or an action in the room was refused. */
  error: { room: string; error: MucError };
  roomState: { room: string; status: RoomStatus };
  occupantJoined: { room: string; occupant: Occupant; codes: number[] };
  occupantLeft: { room: string; occupant: Occupant; codes: number[]; reason?: string; actor?: string };
  /** Role, affiliation, presence or nick changed (`oldNick` on a §7.6 nick change, code 303). */
  occupantChanged: { room: string; occupant: Occupant; codes: number[]; oldNick?: string };
  message: { room: string; message: RoomMessage };
  subject: { room: string; subject: string; by?: string };
  invitation: Invitation;
  /** Someone declined our (mediated) invitation (§7.8.2). */
  declined: { room: string; from: string; reason?: string };
  bookmarks: readonly Bookmark[];
}

/** The part of AccountSession this needs (AccountSession satisfies it; unit tests fake it). */
export interface MucSession {
  readonly id: string;
  readonly jid: string;
  readonly fullJid: string | undefined;
  readonly state: ConnectionState;
  addStanzaHandler(handler: (el: Element) => boolean): () => void;
  send(el: Element): Promise<void>;
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  on(event: 'online', listener: (v: { resumed: boolean }) => void): Disposable;
  on(event: 'state', listener: (v: { state: ConnectionState }) => void): Disposable;
}

export interface MucOptions {
  logger: Logger;
  history?: HistoryStore;
  /** Bookmark store: 'auto' (XEP-0402 if the server supports it well, else XEP-0048). */
  bookmarks?: BookmarkFormat | 'auto';
  /** Load bookmarks and autojoin on sign-in (default true). */
  autojoin?: boolean;
  joinTimeoutMs?: number;
  /** Default nickname: the account's local part. */
  defaultNick?: string;
}

// ---------------------------------------------------------------------------------------------
// Pure helpers (unit-tested)

/**
 * Nickname for display: control characters (C0, C1), bidi overrides/isolates and zero-width
 * characters removed, whitespace collapsed, capped. The raw nick stays the identity.
 */
export function sanitizeNick(nick: string, max = MAX_DISPLAY_NICK): string {
  // eslint-disable-next-line no-control-regex
  let s = String(nick).replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g, '');
  s = s.replace(/\s+/g, ' ').trim();
  const chars = [...s];
  if (chars.length > max) s = chars.slice(0, max).join('') + '…';
  return s || '(no name)';
}

/** Is `nick` acceptable to send as ours: non-empty, no control characters, ≤ 1023 octets (RFC 7622). */
export function checkNick(nick: unknown): string {
  if (typeof nick !== 'string' || !nick.trim()) throw new MucError('invalid', 'Choose a nickname.');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(nick)) throw new MucError('invalid', 'A nickname cannot contain control characters.');
  if (Buffer.byteLength(nick, 'utf8') > MAX_NICK_OCTETS) throw new MucError('invalid', 'That nickname is too long.');
  return nick;
}

/** A room address: local@service, no resource. */
export function checkRoomJid(room: unknown): string {
  const p = typeof room === 'string' ? parseJid(room) : undefined;
  if (!p || !p.local || p.resource) {
    throw new MucError('invalid', `"${clip(String(room), 80)}" is not a room address (like room@conference.example.org).`);
  }
  return `${p.local}@${p.domain}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Does `text` mention `nick`? Case-insensitive, on word boundaries in the Unicode sense (a
 * letter, digit or underscore next to the nick makes it part of another word), so "bob" is
 * mentioned in "hi Bob!" and "@bob:" but not in "bobby".
 */
export function isMention(text: string, nick: string): boolean {
  if (!nick || !text || nick.length > text.length) return false;
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(nick)}(?![\\p{L}\\p{N}_])`, 'iu');
  return re.test(text);
}

export interface MucItem {
  role?: MucRole;
  affiliation?: MucAffiliation;
  jid?: string;
  /** §7.6: the new nick, on the unavailable presence of a nick change (303). */
  nick?: string;
  actor?: string;
  reason?: string;
}

export interface MucPresence {
  room: string;
  nick: string;
  type: 'available' | 'unavailable' | 'error';
  codes: number[];
  item?: MucItem;
  show: PresenceShow;
  status?: string;
  /** §10.9 the room was destroyed: alternate venue and reason. */
  destroy?: { jid?: string; reason?: string };
  /** type=error: RFC 6120 §8.3 condition and text. */
  errorCondition?: string;
  errorText?: string;
  /** The presence has a muc#user <x/> (it comes from a MUC room). */
  isMuc: boolean;
}

function enumAttr<T extends string>(v: unknown, values: readonly T[]): T | undefined {
  return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : undefined;
}

function capText(s: string | null | undefined, n: number): string | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  return s.length > n ? s.slice(0, n) : s;
}

function errorOf(el: Element): { condition: string; text?: string } {
  const err = el.getChild('error');
  const cond = err?.children.find((c) => typeof c !== 'string' && c.name !== 'text') as Element | undefined;
  return { condition: cond?.name ?? 'undefined-condition', text: capText(err?.getChildText('text'), MAX_REASON) };
}

/** Reads a presence from a room occupant (§7.2.3, §15.6 status codes). */
export function parseMucPresence(el: Element): MucPresence | undefined {
  if (el.name !== 'presence') return undefined;
  const from = el.attrs.from;
  if (typeof from !== 'string') return undefined;
  const slash = from.indexOf('/');
  const room = bareJid(slash >= 0 ? from.slice(0, slash) : from);
  const nick = slash >= 0 ? from.slice(slash + 1) : '';
  const rawType = (el.attrs.type as string | undefined) ?? 'available';
  const type = rawType === 'unavailable' ? 'unavailable' : rawType === 'error' ? 'error' : rawType === 'available' ? 'available' : undefined;
  if (!type) return undefined;
  const x = el.getChild('x', NS_MUC_USER);
  const out: MucPresence = { room, nick, type, codes: [], show: 'available', isMuc: !!x };
  if (x) {
    for (const s of x.getChildren('status')) {
      const code = Number.parseInt(String(s.attrs.code ?? ''), 10);
      if (Number.isInteger(code) && code >= 100 && code <= 999 && !out.codes.includes(code)) out.codes.push(code);
    }
    const item = x.getChild('item');
    if (item) {
      const jidRaw = item.attrs.jid;
      const jid = typeof jidRaw === 'string' && parseJid(jidRaw) ? jidRaw : undefined;
      const actor = item.getChild('actor');
      out.item = {
        role: enumAttr(item.attrs.role, ROLES),
        affiliation: enumAttr(item.attrs.affiliation, AFFILIATIONS),
        jid,
        nick: typeof item.attrs.nick === 'string' && item.attrs.nick ? item.attrs.nick : undefined,
        actor: actor ? ((actor.attrs.nick as string | undefined) ?? (typeof actor.attrs.jid === 'string' ? bareJid(actor.attrs.jid) : undefined)) : undefined,
        reason: capText(item.getChildText('reason'), MAX_REASON),
      };
    }
    const destroy = x.getChild('destroy');
    if (destroy) {
      out.destroy = {
        jid: typeof destroy.attrs.jid === 'string' ? destroy.attrs.jid : undefined,
        reason: capText(destroy.getChildText('reason'), MAX_REASON),
      };
    }
  }
  out.show = SHOWS[el.getChildText('show')?.trim() ?? ''] ?? 'available';
  out.status = capText(el.getChildText('status'), MAX_STATUS);
  if (type === 'error') {
    const e = errorOf(el);
    out.errorCondition = e.condition;
    out.errorText = e.text;
  }
  return out;
}

export interface ParsedRoomMessage {
  room: string;
  /** Empty for messages from the room itself. */
  nick: string;
  type: string;
  id?: string;
  body?: string;
  /** Present (possibly empty) when the message carries a <subject/>. */
  subject?: string;
  /** XEP-0359 stanza-id assigned by the room (only trusted when by= the room). */
  stanzaId?: string;
  originId?: string;
  /** XEP-0203 delay. */
  delayTs?: number;
  delayStamp?: string;
  codes: number[];
  errorCondition?: string;
  errorText?: string;
}

function idAttr(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? v : undefined;
}

/** Reads a groupchat (or error) message from a room (§7.4, §8.1). */
export function parseRoomMessage(el: Element): ParsedRoomMessage | undefined {
  if (el.name !== 'message') return undefined;
  const from = el.attrs.from;
  if (typeof from !== 'string') return undefined;
  const slash = from.indexOf('/');
  const room = bareJid(slash >= 0 ? from.slice(0, slash) : from);
  const out: ParsedRoomMessage = {
    room,
    nick: slash >= 0 ? from.slice(slash + 1) : '',
    type: (el.attrs.type as string | undefined) ?? 'normal',
    id: idAttr(el.attrs.id),
    codes: [],
  };
  const body = el.getChild('body');
  if (body) {
    const t = body.text();
    out.body = t.length > MAX_INCOMING_BODY ? t.slice(0, MAX_INCOMING_BODY) : t;
  }
  const subject = el.getChild('subject');
  if (subject) out.subject = subject.text().slice(0, MAX_SUBJECT);
  for (const sid of el.getChildren('stanza-id', NS_SID)) {
    // XEP-0359 §5 / §7 (security): a stanza-id is only trusted when 'by' is the entity we
    // expect to have assigned it, here the room; anyone else's could be forged by the sender.
    if (typeof sid.attrs.by === 'string' && bareJid(sid.attrs.by) === room) out.stanzaId = idAttr(sid.attrs.id);
  }
  out.originId = idAttr(el.getChild('origin-id', NS_SID)?.attrs.id);
  const delay = el.getChild('delay', NS_DELAY);
  if (delay && typeof delay.attrs.stamp === 'string') {
    const t = Date.parse(delay.attrs.stamp);
    if (Number.isFinite(t)) {
      out.delayTs = t;
      out.delayStamp = delay.attrs.stamp.slice(0, 64);
    }
  }
  const x = el.getChild('x', NS_MUC_USER);
  for (const s of x?.getChildren('status') ?? []) {
    const code = Number.parseInt(String(s.attrs.code ?? ''), 10);
    if (Number.isInteger(code)) out.codes.push(code);
  }
  if (out.type === 'error') {
    const e = errorOf(el);
    out.errorCondition = e.condition;
    out.errorText = e.text;
  }
  return out;
}

/**
 * Invitations: mediated (§7.8.2: from the room, <x muc#user><invite from=…/>) or direct
 * (XEP-0249: from the inviter, <x xmlns='jabber:x:conference' jid=ROOM/>). Prosody adds a
 * jabber:x:conference element to mediated invitations too (for old clients): muc#user wins.
 */
export function parseInvitation(el: Element): Omit<Invitation, 'id' | 'at'> | undefined {
  if (el.name !== 'message' || el.attrs.type === 'error') return undefined;
  const from = el.attrs.from;
  if (typeof from !== 'string') return undefined;
  const invite = el.getChild('x', NS_MUC_USER)?.getChild('invite');
  if (invite) {
    const room = parseJid(from);
    if (!room || !room.local) return undefined;
    const roomJid = `${room.local}@${room.domain}`;
    const raw = typeof invite.attrs.from === 'string' ? invite.attrs.from : undefined;
    const parsed = raw ? parseJid(raw) : undefined;
    if (!raw || !parsed) return undefined;
    // In a semi-anonymous room the room names the inviter by occupant JID (room/nick).
    const byNick = bareJid(raw) === roomJid && !!parsed.resource;
    return {
      room: roomJid,
      from: byNick ? `${roomJid}/${raw.slice(raw.indexOf('/') + 1)}` : bareJid(raw),
      ...(byNick ? { inviterNick: raw.slice(raw.indexOf('/') + 1) } : {}),
      reason: capText(invite.getChildText('reason')?.trim(), MAX_REASON),
      password: capText(el.getChild('x', NS_MUC_USER)?.getChildText('password'), 1024),
      kind: 'mediated',
    };
  }
  const direct = el.getChild('x', NS_CONFERENCE);
  if (direct && typeof direct.attrs.jid === 'string') {
    let room: string;
    try {
      room = checkRoomJid(direct.attrs.jid);
    } catch {
      return undefined;
    }
    return {
      room,
      from: bareJid(from),
      reason: capText((direct.attrs.reason as string | undefined)?.trim(), MAX_REASON),
      password: capText(direct.attrs.password as string | undefined, 1024),
      kind: 'direct',
    };
  }
  return undefined;
}

/** §7.8.2: a decline forwarded by the room. */
export function parseDecline(el: Element): { room: string; from: string; reason?: string } | undefined {
  if (el.name !== 'message' || typeof el.attrs.from !== 'string') return undefined;
  const decline = el.getChild('x', NS_MUC_USER)?.getChild('decline');
  if (!decline) return undefined;
  const from = typeof decline.attrs.from === 'string' && parseJid(decline.attrs.from) ? bareJid(decline.attrs.from) : undefined;
  if (!from) return undefined;
  return { room: bareJid(el.attrs.from), from, reason: capText(decline.getChildText('reason')?.trim(), MAX_REASON) };
}

/** Plain words for an error while joining (§7.2.5-§7.2.11) or acting in a room. */
export function describeMucError(condition: string, context: 'join' | 'action' = 'join', text?: string): MucError {
  const suffix = text ? ` (the room says: "${clip(text, 200)}")` : '';
  switch (condition) {
    case 'conflict':
      return new MucError('conflict', 'That nickname is already in use in this room. Choose another one.', condition);
    case 'not-authorized':
      return new MucError('password', 'This room is password-protected, and the password is wrong or missing.', condition);
    case 'registration-required':
      return new MucError('membersOnly', 'This room is for members only, and you are not on its member list. Ask an owner to invite you.', condition);
    case 'forbidden':
      return context === 'join'
        ? new MucError('banned', 'You are banned from this room.', condition)
        : new MucError('forbidden', `You are not allowed to do that in this room${suffix}.`, condition);
    case 'not-allowed':
      return context === 'join'
        ? new MucError('notAllowed', 'You are not allowed to create rooms on this service.', condition)
        : new MucError('notAllowed', `The room does not allow that${suffix}.`, condition);
    case 'service-unavailable':
      return context === 'join'
        ? new MucError('full', 'The room is full (it has reached its maximum number of occupants).', condition)
        : new MucError('other', 'The room cannot do that right now.', condition);
    case 'item-not-found':
      return new MucError('notFound', 'The room does not exist, or its creator has not finished setting it up yet.', condition);
    case 'not-acceptable':
      return new MucError('nickRejected', 'The room does not accept that nickname (it may require your registered nickname).', condition);
    case 'jid-malformed':
      return new MucError('invalid', 'The room address or nickname is not valid.', condition);
    case 'gone':
      return new MucError('destroyed', `The room was destroyed${suffix}.`, condition);
    case 'remote-server-not-found':
    case 'remote-server-timeout':
      return new MucError('notFound', 'The group chat service cannot be reached.', condition);
    case 'conflict-self':
      return new MucError('conflict', 'That nickname is already in use in this room.', 'conflict');
    default:
      return new MucError('other', `The room refused: ${describeStanzaError(condition)}${suffix}.`, condition);
  }
}

/** Why we are out of a room, from our own unavailable presence (§8.2, §9.1, §9.4, §10.9, §15.6). */
export function describeExit(p: MucPresence): { reason: LeaveReason; message?: string; kind?: MucErrorKind } {
  const by = p.item?.actor ? ` by ${sanitizeNick(p.item.actor)}` : '';
  const why = p.item?.reason ? `: ${p.item.reason}` : '';
  if (p.destroy) {
    const alt = p.destroy.jid ? ` It continues at ${p.destroy.jid}.` : '';
    return { reason: 'destroyed', kind: 'destroyed', message: `The room was destroyed${p.destroy.reason ? `: ${p.destroy.reason}` : ''}.${alt}` };
  }
  if (p.codes.includes(STATUS.BANNED)) return { reason: 'banned', kind: 'banned', message: `You were banned from the room${by}${why}.` };
  if (p.codes.includes(STATUS.KICKED)) return { reason: 'kicked', kind: 'kicked', message: `You were removed from the room (kicked)${by}${why}.` };
  if (p.codes.includes(STATUS.AFFILIATION_REMOVED)) return { reason: 'removed', kind: 'membersOnly', message: `You were removed from the room's member list${by}${why}.` };
  if (p.codes.includes(STATUS.MEMBERS_ONLY_REMOVED)) return { reason: 'removed', kind: 'membersOnly', message: 'The room is now for members only, and you are not a member.' };
  if (p.codes.includes(STATUS.SHUTDOWN)) return { reason: 'shutdown', kind: 'shutdown', message: 'The group chat service is shutting down.' };
  return { reason: 'left' };
}

/** XEP-0004 data form helpers for room configuration (§10.1.3, §10.2). */
export interface FormField {
  var: string;
  type?: string;
  values: string[];
}

export function parseForm(x: Element | undefined): FormField[] {
  return (x?.getChildren('field') ?? [])
    .filter((f) => typeof f.attrs.var === 'string')
    .map((f) => ({ var: String(f.attrs.var), type: f.attrs.type as string | undefined, values: f.getChildren('value').map((v) => v.text()) }));
}

export interface RoomConfig {
  membersOnly?: boolean;
  public?: boolean;
  persistent?: boolean;
  /** Password-protect the room (empty / undefined: no password). */
  password?: string;
  name?: string;
}

/** A submit form answering the room's config form with our choices (only fields it offers). */
export function roomConfigSubmit(form: FormField[], cfg: RoomConfig): Element {
  const offered = new Set(form.map((f) => f.var));
  const want: [string, string][] = [];
  const bool = (v: boolean) => (v ? '1' : '0');
  if (cfg.membersOnly !== undefined) want.push(['muc#roomconfig_membersonly', bool(cfg.membersOnly)]);
  if (cfg.public !== undefined) want.push(['muc#roomconfig_publicroom', bool(cfg.public)]);
  if (cfg.persistent !== undefined) want.push(['muc#roomconfig_persistentroom', bool(cfg.persistent)]);
  if (cfg.name) want.push(['muc#roomconfig_roomname', cfg.name]);
  if (cfg.password !== undefined) {
    want.push(['muc#roomconfig_passwordprotectedroom', bool(!!cfg.password)]);
    want.push(['muc#roomconfig_roomsecret', cfg.password]);
  }
  const fields = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MUC_ROOMCONFIG))];
  for (const [v, value] of want) if (offered.has(v)) fields.push(xml('field', { var: v }, xml('value', {}, value)));
  return xml('x', { xmlns: NS_DATA, type: 'submit' }, ...fields);
}

/**
 * Dedupe of room messages. Keys, strongest first: the room's XEP-0359 stanza-id, the sender's
 * origin-id (scoped by nick, so one occupant cannot suppress another's), and for messages
 * without either, (nick, body, delay stamp). A live message without ids is also matched
 * against a later history copy of it by (nick, body) within a few seconds of its stamp.
 */
export class MessageDedupe {
  private readonly keys = new Map<string, number>();
  constructor(private readonly max = MAX_SEEN_KEYS) {}

  static keysFor(m: { nick: string; body?: string; stanzaId?: string; originId?: string; delayStamp?: string }): string[] {
    const k: string[] = [];
    if (m.stanzaId) k.push(`sid:${m.stanzaId}`);
    if (m.originId) k.push(`oid:${m.nick}\u0000${m.originId}`);
    if (!k.length && m.delayStamp) k.push(`c:${hash(`${m.nick}\u0000${m.body ?? ''}\u0000${m.delayStamp}`)}`);
    return k;
  }

  /** The primary key, used as the message id (so a history reload seeds the dedupe). */
  static idFor(m: { nick: string; body?: string; stanzaId?: string; originId?: string; delayStamp?: string }): string {
    return MessageDedupe.keysFor(m)[0] ?? `r:${randomUUID()}`;
  }

  /** True if seen before; remembers it either way. */
  check(m: { nick: string; body?: string; stanzaId?: string; originId?: string; delayStamp?: string; delayTs?: number }, now = Date.now()): boolean {
    const keys = MessageDedupe.keysFor(m);
    const fuzzy = `f:${hash(`${m.nick}\u0000${m.body ?? ''}`)}`;
    let dup = keys.some((k) => this.keys.has(k));
    if (!dup && !keys.some((k) => !k.startsWith('c:')) && m.delayTs !== undefined) {
      const at = this.keys.get(fuzzy);
      if (at !== undefined && Math.abs(at - m.delayTs) <= 5000) dup = true;
    }
    for (const k of keys) this.remember(k, now);
    if (m.delayTs === undefined && !keys.length) this.remember(fuzzy, now);
    return dup;
  }

  /** Remember an id (e.g. from the HistoryStore). */
  seed(id: string): void {
    this.remember(id, 0);
  }

  get size(): number {
    return this.keys.size;
  }

  private remember(k: string, v: number): void {
    this.keys.delete(k);
    this.keys.set(k, v);
    while (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value as string);
  }
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}

// ---------------------------------------------------------------------------------------------
// Per-room state

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  kind?: 'nick' | 'subject' | 'invite';
}

class Room implements RoomState {
  nick: string;
  status: RoomStatus = 'joining';
  subject?: string;
  subjectBy?: string;
  readonly occupants = new Map<string, Occupant>();
  messages: RoomMessage[] = [];
  role: MucRole = 'none';
  affiliation: MucAffiliation = 'none';
  error?: string;
  historyComplete = false;
  password?: string;
  /** The user wants to be in this room (rejoin after a reconnect). */
  wanted = true;
  seeded = false;
  readonly dedupe = new MessageDedupe();
  /** origin-ids of messages we sent, for `mine` and for reflection. */
  readonly sent = new Map<string, Waiter<RoomMessage>>();
  joinWaiter?: Waiter<{ created: boolean }>;
  leaveWaiter?: Waiter<void>;
  /** §7.6 nick changes in flight: old nick -> new nick. */
  readonly renames = new Map<string, string>();
  /** Configure as an instant room if the join turns out to create it (§10.1.2). */
  createConfig?: RoomConfig | 'instant';
  /** Action ids (subject, invites) waiting for a possible error. */
  readonly pending = new Map<string, Waiter<void>>();

  constructor(
    readonly jid: string,
    nick: string,
  ) {
    this.nick = nick;
  }
}

/**
 * Nicks from the room: a compliant server never sends more than 1023 octets, but a broken or
 * hostile one might; they are kept as identities (display is capped) up to a sanity limit.
 */
function nickOk(nick: string): boolean {
  return nick.length > 0 && nick.length <= 65_536;
}

// ---------------------------------------------------------------------------------------------

export class MucManager extends Emitter<MucEvents> {
  private readonly rooms = new Map<string, Room>();
  private readonly disposables: (Disposable | (() => void))[] = [];
  private readonly log: Logger;
  readonly bookmarkStore: BookmarkStore;
  private service?: string | null;
  /** Recent invitations, to show the same one (direct + mediated) once. */
  private readonly invitations = new Map<string, Invitation>();
  private readonly joinTimeoutMs: number;
  /** Our IQs in flight (see `iq`). */
  private readonly iqs = new Map<string, Waiter<Element> & { to?: string }>();

  constructor(
    private readonly session: MucSession,
    private readonly opts: MucOptions,
  ) {
    super();
    this.log = opts.logger;
    this.joinTimeoutMs = opts.joinTimeoutMs ?? 15_000;
    this.bookmarkStore = new BookmarkStore({ jid: session.jid, iq: (el, t) => this.iq(el, t) }, opts.bookmarks ?? 'auto');
    this.disposables.push(session.addStanzaHandler((el) => this.onStanza(el)));
    this.disposables.push(session.on('online', ({ resumed }) => void this.onOnline(resumed)));
    this.disposables.push(
      session.on('state', ({ state }) => {
        if (state === 'online') return;
        // The connection is gone: we are no longer in any room as far as the room knows
        // (unless the stream resumes, XEP-0198, in which case 'online' with resumed=true
        // arrives and nothing was lost). Occupant lists are stale until the rejoin.
        for (const room of this.rooms.values()) {
          if (room.status === 'joined' || room.status === 'joining') {
            this.failWaiters(room, new MucError('offline', 'The connection was lost.'));
            this.setStatus(room, 'offline');
          }
        }
        this.failIqs(new MucError('offline', 'The connection was lost.'));
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) (typeof d === 'function' ? d : () => d.dispose())();
    for (const room of this.rooms.values()) this.failWaiters(room, new MucError('offline', 'Closed.'));
    this.failIqs(new MucError('offline', 'Closed.'));
    this.removeAllListeners();
  }

  // -- queries -----------------------------------------------------------------------------

  room(jid: string): RoomState | undefined {
    return this.rooms.get(bareJid(jid));
  }

  get joinedRooms(): RoomState[] {
    return [...this.rooms.values()].filter((r) => r.status !== 'left');
  }

  get bookmarks(): readonly Bookmark[] {
    return this.bookmarkStore.bookmarks;
  }

  /** Older messages of a room from the HistoryStore (oldest first). */
  async loadHistory(room: string, limit = MAX_ROOM_MESSAGES): Promise<RoomMessage[]> {
    if (!this.opts.history) return [];
    return (await this.opts.history.load(this.session.id, checkRoomJid(room), limit)) as RoomMessage[];
  }

  // -- joining and leaving -------------------------------------------------------------------

  /** §7.2: enter a room. Resolves once the room has sent our own presence (status 110). */
  async join(roomJid: string, nick?: string, password?: string): Promise<RoomState> {
    const jid = checkRoomJid(roomJid);
    const n = checkNick(nick ?? this.defaultNick());
    const current = this.rooms.get(jid);
    if (current?.status === 'joined') {
      // Already in: joining under another nick is a nick change (§7.6).
      if (current.nick !== n) await this.changeNick(jid, n);
      return current;
    }
    const room = this.ensureRoom(jid, n);
    room.password = password || undefined;
    room.wanted = true;
    await this.enter(room, false);
    return room;
  }

  /**
   * §10.1: create a room. With no options an instant room (§10.1.2, server defaults); with
   * options a reserved room configured through its form (§10.1.3). Fails with kind 'exists'
   * (and leaves again) when the room already existed.
   */
  async create(roomJid: string, nick: string | undefined, config: RoomConfig = {}): Promise<RoomState> {
    const jid = checkRoomJid(roomJid);
    const n = checkNick(nick ?? this.defaultNick());
    const existing = this.rooms.get(jid);
    if (existing && (existing.status === 'joined' || existing.status === 'joining')) {
      throw new MucError('exists', 'You are already in this room.');
    }
    const room = this.ensureRoom(jid, n);
    room.wanted = true;
    room.password = config.password || undefined;
    room.createConfig = Object.keys(config).length ? config : 'instant';
    let created: boolean;
    try {
      created = await this.enter(room, false);
    } finally {
      room.createConfig = undefined;
    }
    if (!created) {
      await this.leave(jid).catch(() => {});
      throw new MucError('exists', 'A room with this address already exists. Join it instead, or choose another name.');
    }
    return room;
  }

  /** §7.14: leave with unavailable presence; waits (briefly) for the room's confirmation. */
  async leave(roomJid: string, status?: string): Promise<void> {
    const jid = checkRoomJid(roomJid);
    const room = this.rooms.get(jid);
    if (!room) return;
    room.wanted = false;
    const wasIn = room.status === 'joined' || room.status === 'joining';
    if (wasIn && this.session.state === 'online') {
      const done = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          room.leaveWaiter = undefined;
          resolve();
        }, 5000);
        room.leaveWaiter = { resolve, reject: () => resolve(), timer };
      });
      await this.session
        .send(xml('presence', { to: `${jid}/${room.nick}`, type: 'unavailable' }, ...(status ? [xml('status', {}, status.slice(0, MAX_STATUS))] : [])))
        .catch(() => {});
      await done;
    }
    this.failWaiters(room, new MucError('other', 'You left the room.'));
    if (room.status !== 'left') {
      this.markLeft(room);
      this.emit('left', { room: jid, reason: 'left' });
    }
  }

  /** §7.6: change our nickname in a room. */
  async changeNick(roomJid: string, nick: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    const n = checkNick(nick);
    if (n === room.nick) return;
    const id = randomUUID();
    const done = this.waitPending(room, id, 'nick');
    done.catch(() => {});
    room.renames.set(room.nick, n);
    await this.session.send(xml('presence', { to: `${room.jid}/${n}`, id }));
    await done;
  }

  // -- talking -------------------------------------------------------------------------------

  /**
   * §7.4: a message to all occupants. Resolves with the message as the room reflected it
   * back to us (that is when the others have it), or rejects with the room's error.
   */
  async sendMessage(roomJid: string, text: string, timeoutMs = 15_000): Promise<RoomMessage> {
    const room = this.requireJoined(roomJid);
    if (typeof text !== 'string' || !text.trim()) throw new MucError('invalid', 'The message is empty.');
    if (text.length > MAX_OUTGOING_TEXT) throw new MucError('invalid', `The message is too long (${text.length} characters; the limit is ${MAX_OUTGOING_TEXT}).`);
    const id = randomUUID();
    const reflected = new Promise<RoomMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        room.sent.delete(id);
        reject(new MucError('timeout', 'The room did not confirm the message.'));
      }, timeoutMs);
      room.sent.set(id, { resolve, reject, timer });
      while (room.sent.size > 1000) {
        const [k, w] = room.sent.entries().next().value as [string, Waiter<RoomMessage>];
        clearTimeout(w.timer);
        room.sent.delete(k);
      }
    });
    reflected.catch(() => {});
    await this.session.send(
      xml('message', { to: room.jid, type: 'groupchat', id }, xml('body', {}, text), xml('origin-id', { xmlns: NS_SID, id })),
    );
    return reflected;
  }

  /** §8.1: change the subject; resolves once the room announces it, rejects if refused. */
  async setSubject(roomJid: string, subject: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    const id = randomUUID();
    const s = String(subject ?? '').slice(0, MAX_SUBJECT);
    const done = this.waitPending(room, id, 'subject');
    done.catch(() => {});
    await this.session.send(xml('message', { to: room.jid, type: 'groupchat', id }, xml('subject', {}, s)));
    await done;
  }

  /**
   * Invite someone. 'mediated' (§7.8.2, default): through the room, which in a members-only
   * room also makes them a member when we may do so. 'direct' (XEP-0249): straight to them.
   * 'both' sends both; the receiving MucManager shows them as one invitation.
   */
  async invite(roomJid: string, jid: string, reason?: string, mode: 'direct' | 'mediated' | 'both' = 'mediated'): Promise<void> {
    const room = this.requireJoined(roomJid);
    const p = parseJid(jid);
    if (!p || !p.local) throw new MucError('invalid', `"${clip(String(jid), 80)}" is not a valid address (like name@example.org).`);
    const invitee = bareJid(jid);
    const r = reason?.trim().slice(0, MAX_REASON) || undefined;
    if (mode === 'mediated' || mode === 'both') {
      const id = randomUUID();
      // The room answers an invitation only with an error. It handles our stanzas in order,
      // so once it has answered a disco#info query sent right after, an error would be here.
      let refused: unknown;
      const pending = this.waitPending(room, id, 'invite').catch((e: unknown) => {
        refused = e;
      });
      await this.session.send(
        xml('message', { to: room.jid, id }, xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: invitee }, ...(r ? [xml('reason', {}, r)] : [])))),
      );
      await this.iq(xml('iq', { type: 'get', to: room.jid }, xml('query', { xmlns: NS_DISCO_INFO }))).catch(() => {});
      this.settlePending(room, id);
      await pending;
      if (refused) throw refused;
    }
    if (mode === 'direct' || mode === 'both') {
      // XEP-0249 §2: the password and reason go in attributes.
      await this.session.send(
        xml(
          'message',
          { to: invitee, id: randomUUID() },
          xml('x', { xmlns: NS_CONFERENCE, jid: room.jid, ...(r ? { reason: r } : {}), ...(room.password ? { password: room.password } : {}) }),
        ),
      );
    }
  }

  /** §7.8.2: decline an invitation (also for direct ones: the room forwards it to the inviter). */
  async decline(invitation: Invitation | string, reason?: string): Promise<void> {
    const inv = typeof invitation === 'string' ? this.invitations.get(invitation) : invitation;
    if (!inv) throw new MucError('invalid', 'That invitation is no longer known.');
    this.invitations.delete(inv.id);
    const r = reason?.trim().slice(0, MAX_REASON);
    await this.session.send(
      xml('message', { to: inv.room, id: randomUUID() }, xml('x', { xmlns: NS_MUC_USER }, xml('decline', { to: inv.from }, ...(r ? [xml('reason', {}, r)] : [])))),
    );
  }

  /** Accept an invitation: join with its password. */
  accept(invitation: Invitation | string, nick?: string): Promise<RoomState> {
    const inv = typeof invitation === 'string' ? this.invitations.get(invitation) : invitation;
    if (!inv) return Promise.reject(new MucError('invalid', 'That invitation is no longer known.'));
    this.invitations.delete(inv.id);
    return this.join(inv.room, nick, inv.password);
  }

  get pendingInvitations(): Invitation[] {
    return [...this.invitations.values()];
  }

  // -- moderation ----------------------------------------------------------------------------

  /** §8.2: kick an occupant (role none). Needs the moderator role. */
  async kick(roomJid: string, nick: string, reason?: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    await this.admin(room, { nick, role: 'none' }, reason);
  }

  /** §9.1: ban a user by bare JID (affiliation outcast). Needs admin or owner. */
  async ban(roomJid: string, jid: string, reason?: string): Promise<void> {
    await this.setAffiliation(roomJid, jid, 'outcast', reason);
  }

  /** §9.3-§9.8, §10.3-§10.7: change a user's affiliation (member list, admins, owners, bans). */
  async setAffiliation(roomJid: string, jid: string, affiliation: MucAffiliation, reason?: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    const p = parseJid(jid);
    if (!p || !p.local) throw new MucError('invalid', `"${clip(String(jid), 80)}" is not a valid address.`);
    await this.admin(room, { jid: bareJid(jid), affiliation }, reason);
  }

  /** §8.4, §8.6: change an occupant's role (voice, moderator). */
  async setRole(roomJid: string, nick: string, role: MucRole, reason?: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    await this.admin(room, { nick, role }, reason);
  }

  /** §10.9: destroy the room (owners). Occupants get presence with <destroy/>. */
  async destroy(roomJid: string, reason?: string, alternate?: string): Promise<void> {
    const room = this.requireJoined(roomJid);
    const r = reason?.trim().slice(0, MAX_REASON);
    await this.roomIq(
      room,
      xml(
        'iq',
        { type: 'set', to: room.jid },
        xml('query', { xmlns: NS_MUC_OWNER }, xml('destroy', alternate ? { jid: checkRoomJid(alternate) } : {}, ...(r ? [xml('reason', {}, r)] : []))),
      ),
    );
  }

  // -- discovery -------------------------------------------------------------------------------

  /**
   * The account's group chat service (XEP-0030 §4: disco#items of the server domain, then
   * disco#info of each item for identity conference/text, §6.1). Cached; null if none.
   */
  async conferenceService(): Promise<string | null> {
    if (this.service !== undefined) return this.service;
    const domain = parseJid(this.session.jid)?.domain;
    if (!domain) return null;
    const res = await this.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS_DISCO_ITEMS })));
    const items = (res.getChild('query', NS_DISCO_ITEMS)?.getChildren('item') ?? [])
      .map((i) => i.attrs.jid)
      .filter((j): j is string => typeof j === 'string')
      .slice(0, 50);
    for (const jid of items) {
      try {
        const info = await this.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS_DISCO_INFO })), 5000);
        const q = info.getChild('query', NS_DISCO_INFO);
        const isMuc =
          (q?.getChildren('identity') ?? []).some((i) => i.attrs.category === 'conference' && i.attrs.type === 'text') &&
          (q?.getChildren('feature') ?? []).some((f) => f.attrs.var === NS_MUC);
        if (isMuc) return (this.service = jid);
      } catch {
        // An item that does not answer disco#info is not our service.
      }
    }
    return (this.service = null);
  }

  /** §6.3: the public rooms of a service (default: the account's). */
  async discoverRooms(service?: string): Promise<{ jid: string; name: string }[]> {
    const svc = service ?? (await this.conferenceService());
    if (!svc) throw new MucError('notFound', 'Your server has no group chat service.');
    const res = await this.iq(xml('iq', { type: 'get', to: svc }, xml('query', { xmlns: NS_DISCO_ITEMS })));
    const out: { jid: string; name: string }[] = [];
    for (const i of res.getChild('query', NS_DISCO_ITEMS)?.getChildren('item') ?? []) {
      if (out.length >= MAX_DISCO_ITEMS) break;
      const jid = typeof i.attrs.jid === 'string' ? parseJid(i.attrs.jid) : undefined;
      if (!jid || !jid.local) continue;
      const bare = `${jid.local}@${jid.domain}`;
      out.push({ jid: bare, name: sanitizeNick(typeof i.attrs.name === 'string' && i.attrs.name ? i.attrs.name : jid.local, 200) });
    }
    return out;
  }

  // -- bookmarks -------------------------------------------------------------------------------

  async loadBookmarks(): Promise<readonly Bookmark[]> {
    const list = await this.bookmarkStore.load();
    this.emit('bookmarks', list);
    return list;
  }

  async addBookmark(b: Bookmark): Promise<void> {
    await this.bookmarkStore.add(b);
    this.emit('bookmarks', this.bookmarkStore.bookmarks);
  }

  async removeBookmark(room: string): Promise<void> {
    await this.bookmarkStore.remove(room);
    this.emit('bookmarks', this.bookmarkStore.bookmarks);
  }

  // -- internals -------------------------------------------------------------------------------

  private defaultNick(): string {
    return this.opts.defaultNick ?? localOf(this.session.jid);
  }

  private ensureRoom(jid: string, nick: string): Room {
    let room = this.rooms.get(jid);
    if (!room) {
      room = new Room(jid, nick);
      this.rooms.set(jid, room);
    } else {
      room.nick = nick;
    }
    return room;
  }

  private requireJoined(roomJid: string): Room {
    const jid = checkRoomJid(roomJid);
    const room = this.rooms.get(jid);
    if (this.session.state !== 'online') throw new MucError('offline', `${this.session.jid} is not signed in.`);
    if (!room || room.status !== 'joined') throw new MucError('invalid', 'You are not in this room.');
    return room;
  }

  private setStatus(room: Room, status: RoomStatus): void {
    if (room.status === status) return;
    room.status = status;
    this.emit('roomState', { room: room.jid, status });
  }

  private markLeft(room: Room, error?: string): void {
    room.occupants.clear();
    room.role = 'none';
    room.affiliation = 'none';
    room.error = error;
    this.setStatus(room, error ? 'error' : 'left');
  }

  private failWaiters(room: Room, err: Error): void {
    if (room.joinWaiter) {
      clearTimeout(room.joinWaiter.timer);
      room.joinWaiter.reject(err);
      room.joinWaiter = undefined;
    }
    if (room.leaveWaiter) {
      clearTimeout(room.leaveWaiter.timer);
      room.leaveWaiter.resolve();
      room.leaveWaiter = undefined;
    }
    for (const w of room.sent.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    room.sent.clear();
    for (const w of room.pending.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    room.pending.clear();
  }

  private waitPending(room: Room, id: string, kind: 'nick' | 'subject' | 'invite', timeoutMs = 15_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        room.pending.delete(id);
        reject(new MucError('timeout', `The room did not answer (${kind}).`));
      }, timeoutMs);
      room.pending.set(id, { resolve, reject, timer, kind });
    });
  }

  /** Settles every pending action of this kind (a reflection that lost its id). */
  private settleKind(room: Room, kind: 'nick' | 'subject'): void {
    for (const [id, w] of room.pending) if (w.kind === kind) this.settlePending(room, id);
  }

  private settlePending(room: Room, id: string | undefined, err?: Error): boolean {
    const w = id ? room.pending.get(id) : undefined;
    if (!w) return false;
    clearTimeout(w.timer);
    room.pending.delete(id!);
    if (err) w.reject(err);
    else w.resolve();
    return true;
  }

  private async admin(room: Room, item: { nick?: string; jid?: string; role?: MucRole; affiliation?: MucAffiliation }, reason?: string): Promise<void> {
    const r = reason?.trim().slice(0, MAX_REASON);
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(item)) if (v !== undefined) attrs[k] = v;
    await this.roomIq(room, xml('iq', { type: 'set', to: room.jid }, xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', attrs, ...(r ? [xml('reason', {}, r)] : [])))));
  }

  /**
   * An IQ (RFC 6120 §8.2.3) whose reply is matched here, by id and sender, through our stanza
   * handler. The waiter exists before the request leaves, so an error reply that arrives
   * faster than the write completes is never an unhandled rejection (the library's own
   * iqCaller attaches its handler only after the write). Errors carry `condition` and `text`.
   */
  iq(el: Element, timeoutMs = 15_000): Promise<Element> {
    const id = (el.attrs.id as string | undefined) ?? `muc-${randomUUID()}`;
    el.attrs.id = id;
    const to = typeof el.attrs.to === 'string' ? el.attrs.to : undefined;
    const reply = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.iqs.delete(id);
        reject(Object.assign(new MucError('timeout', 'The server did not answer.'), { condition: 'remote-server-timeout' }));
      }, timeoutMs);
      this.iqs.set(id, { resolve, reject, timer, to });
    });
    reply.catch(() => {});
    return this.session.send(el).then(
      () => reply,
      (err: unknown) => {
        const w = this.iqs.get(id);
        if (w) {
          clearTimeout(w.timer);
          this.iqs.delete(id);
        }
        throw err;
      },
    );
  }

  private onIqReply(el: Element): boolean {
    const id = el.attrs.id;
    if (typeof id !== 'string') return false;
    const w = this.iqs.get(id);
    if (!w) return false;
    // RFC 6120 §8.1.2.1: the reply must come from whom we asked (or our server for our account).
    const from = typeof el.attrs.from === 'string' ? el.attrs.from : undefined;
    const own = bareJid(this.session.jid);
    const ok = w.to ? from === w.to || bareJid(from ?? '') === bareJid(w.to) : !from || bareJid(from) === own || from === parseJid(own)?.domain;
    if (!ok) return false;
    clearTimeout(w.timer);
    this.iqs.delete(id);
    if (el.attrs.type === 'result') w.resolve(el);
    else {
      const e = errorOf(el);
      w.reject(Object.assign(new Error(e.condition), { condition: e.condition, text: e.text }));
    }
    return true;
  }

  private failIqs(err: Error): void {
    for (const w of this.iqs.values()) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.iqs.clear();
  }

  private async roomIq(room: Room, el: Element): Promise<Element> {
    try {
      return await this.iq(el);
    } catch (err) {
      const cond = (err as { condition?: unknown }).condition;
      if (typeof cond === 'string') {
        const text = (err as { text?: unknown }).text;
        const e = describeMucError(cond, 'action', typeof text === 'string' ? text : undefined);
        this.emit('error', { room: room.jid, error: e });
        throw e;
      }
      throw err;
    }
  }

  /** Seed dedupe and the in-memory list from history, then send the join presence (§7.2). */
  private async enter(room: Room, rejoin: boolean): Promise<boolean> {
    if (this.session.state !== 'online') throw new MucError('offline', `${this.session.jid} is not signed in.`);
    if (!room.seeded && this.opts.history) {
      room.seeded = true;
      try {
        const old = (await this.opts.history.load(this.session.id, room.jid, MAX_ROOM_MESSAGES)) as RoomMessage[];
        for (const m of old) room.dedupe.seed(m.id);
        if (!room.messages.length) room.messages = old.slice(-MAX_ROOM_MESSAGES);
      } catch (err) {
        this.log.warn(`muc: could not read the history of ${room.jid}: ${String((err as Error).message)}`);
      }
    }
    if (room.joinWaiter) {
      clearTimeout(room.joinWaiter.timer);
      room.joinWaiter.reject(new MucError('other', 'Joining again.'));
    }
    room.error = undefined;
    room.historyComplete = false;
    room.occupants.clear();
    room.renames.clear();
    this.setStatus(room, 'joining');
    const joined = new Promise<{ created: boolean }>((resolve, reject) => {
      const timer = setTimeout(() => {
        room.joinWaiter = undefined;
        this.setStatus(room, 'error');
        room.error = 'The room did not answer.';
        reject(new MucError('timeout', 'The room did not answer. Check the address, or try again later.'));
      }, this.joinTimeoutMs);
      room.joinWaiter = { resolve, reject, timer };
    });
    joined.catch(() => {});
    const x = xml('x', { xmlns: NS_MUC }, ...(room.password ? [xml('password', {}, room.password)] : []));
    await this.session.send(xml('presence', { to: `${room.jid}/${room.nick}` }, x));
    const { created } = await joined;
    if (created) await this.configureNew(room);
    this.emit('joined', { room: room.jid, nick: room.nick, created, rejoin });
    return created;
  }

  /** §10.1.2 instant room (empty submit) or §10.1.3 reserved room (fill in the form). */
  private async configureNew(room: Room): Promise<void> {
    const cfg = room.createConfig ?? 'instant';
    if (cfg === 'instant') {
      await this.roomIq(room, xml('iq', { type: 'set', to: room.jid }, xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: NS_DATA, type: 'submit' }))));
      return;
    }
    const res = await this.roomIq(room, xml('iq', { type: 'get', to: room.jid }, xml('query', { xmlns: NS_MUC_OWNER })));
    const form = parseForm(res.getChild('query', NS_MUC_OWNER)?.getChild('x', NS_DATA));
    await this.roomIq(room, xml('iq', { type: 'set', to: room.jid }, xml('query', { xmlns: NS_MUC_OWNER }, roomConfigSubmit(form, cfg))));
  }

  private async onOnline(resumed: boolean): Promise<void> {
    if (resumed) return; // XEP-0198 resumption: the rooms never saw us go.
    this.bookmarkStore.reset();
    this.service = undefined;
    let marks: readonly Bookmark[] = [];
    if (this.opts.autojoin ?? true) {
      try {
        marks = await this.loadBookmarks();
      } catch (err) {
        this.log.warn(`muc: could not load bookmarks: ${String((err as Error).message)}`);
      }
    }
    const todo: Promise<unknown>[] = [];
    const rejoining = new Set<string>();
    for (const room of this.rooms.values()) {
      if (room.wanted && room.status !== 'left' && room.status !== 'error') {
        rejoining.add(room.jid);
        todo.push(this.rejoin(room));
      }
    }
    for (const b of marks) {
      if (!b.autojoin || rejoining.has(b.jid)) continue;
      const existing = this.rooms.get(b.jid);
      // Already in (joined meanwhile), or left / removed on purpose in this session: do not
      // pull the user back in.
      if (existing && (existing.status === 'joining' || existing.status === 'joined' || !existing.wanted)) continue;
      let nick: string;
      try {
        nick = checkNick(b.nick ?? this.defaultNick());
      } catch {
        nick = this.defaultNick();
      }
      const room = this.ensureRoom(b.jid, nick);
      room.password = b.password;
      room.wanted = true;
      todo.push(this.rejoin(room));
    }
    await Promise.all(todo);
  }

  private async rejoin(room: Room): Promise<void> {
    try {
      await this.enter(room, true);
    } catch (err) {
      this.log.warn(`muc: could not rejoin ${room.jid}: ${String((err as Error).message)}`);
    }
  }

  // -- incoming ----------------------------------------------------------------------------------

  /** Stanza handler on the AccountSession: returns true for what belongs to group chat. */
  private onStanza(el: Element): boolean {
    try {
      if (el.name === 'presence') return this.onPresence(el);
      if (el.name === 'message') return this.onMessage(el);
      if (el.name === 'iq' && (el.attrs.type === 'result' || el.attrs.type === 'error')) return this.onIqReply(el);
    } catch (err) {
      this.log.warn(`muc: could not handle a ${el.name}: ${String((err as Error).message)}`);
      return true;
    }
    return false;
  }

  private roomOf(from: unknown): Room | undefined {
    if (typeof from !== 'string') return undefined;
    const slash = from.indexOf('/');
    return this.rooms.get(bareJid(slash >= 0 ? from.slice(0, slash) : from));
  }

  private onPresence(el: Element): boolean {
    const room = this.roomOf(el.attrs.from);
    if (!room) return false;
    const p = parseMucPresence(el);
    if (!p) return true;
    if (p.type === 'error') {
      this.onPresenceError(room, p, el.attrs.id as string | undefined);
      return true;
    }
    if (!p.isMuc) return true; // not a MUC presence (no muc#user <x/>): ignore but claim.
    if (!p.nick || !nickOk(p.nick)) return true;
    const self = p.codes.includes(STATUS.SELF) || (p.nick === room.nick && room.status === 'joining' && !room.occupants.has(p.nick));
    if (p.type === 'unavailable') this.onUnavailable(room, p, self);
    else this.onAvailable(room, p, self);
    return true;
  }

  private onPresenceError(room: Room, p: MucPresence, id: string | undefined): void {
    const ctx = room.status === 'joining' ? 'join' : 'action';
    const err = describeMucError(p.errorCondition ?? 'undefined-condition', ctx, p.errorText);
    if (id && room.pending.has(id)) {
      // A refused nick change (§7.6.3): we stay in the room with the old nick.
      room.renames.delete(room.nick);
      this.settlePending(room, id, err);
      this.emit('error', { room: room.jid, error: err });
      return;
    }
    if (room.status === 'joining' && room.joinWaiter) {
      const w = room.joinWaiter;
      room.joinWaiter = undefined;
      clearTimeout(w.timer);
      this.markLeft(room, err.message);
      this.system(room, err.message, 'error');
      this.emit('error', { room: room.jid, error: err });
      w.reject(err);
      return;
    }
    this.emit('error', { room: room.jid, error: err });
  }

  private occupantFrom(p: MucPresence, self: boolean, prev?: Occupant): Occupant {
    return {
      nick: p.nick,
      displayNick: sanitizeNick(p.nick),
      role: p.item?.role ?? prev?.role ?? 'participant',
      affiliation: p.item?.affiliation ?? prev?.affiliation ?? 'none',
      jid: p.item?.jid ?? prev?.jid,
      show: p.show,
      status: p.status,
      self,
    };
  }

  private onAvailable(room: Room, p: MucPresence, self: boolean): void {
    const prev = room.occupants.get(p.nick);
    if (!prev && room.occupants.size >= MAX_OCCUPANTS) {
      this.log.warn(`muc: ${room.jid} has more than ${MAX_OCCUPANTS} occupants; not tracking more`);
      return;
    }
    const occ = this.occupantFrom(p, self, prev);
    room.occupants.set(p.nick, occ);
    // A §7.6 nick change: the unavailable presence (303) named this new nick.
    let oldNick: string | undefined;
    for (const [old, nu] of room.renames) {
      if (nu === p.nick && !room.occupants.has(old)) {
        oldNick = old;
        room.renames.delete(old);
        break;
      }
    }
    if (self) {
      room.nick = p.nick; // §7.2.9 (210): the room may have changed it
      room.role = occ.role;
      room.affiliation = occ.affiliation;
      if (oldNick !== undefined) this.settleKind(room, 'nick');
    }
    if (oldNick !== undefined) this.emit('occupantChanged', { room: room.jid, occupant: occ, codes: p.codes, oldNick });
    else if (prev) this.emit('occupantChanged', { room: room.jid, occupant: occ, codes: p.codes });
    else this.emit('occupantJoined', { room: room.jid, occupant: occ, codes: p.codes });

    if (self && room.status === 'joining') {
      this.setStatus(room, 'joined');
      const w = room.joinWaiter;
      room.joinWaiter = undefined;
      if (w) {
        clearTimeout(w.timer);
        w.resolve({ created: p.codes.includes(STATUS.CREATED) });
      }
    }
  }

  private onUnavailable(room: Room, p: MucPresence, self: boolean): void {
    const prev = room.occupants.get(p.nick);
    const occ = this.occupantFrom(p, self, prev);
    room.occupants.delete(p.nick);
    if (p.codes.includes(STATUS.NICK_CHANGED) && p.item?.nick) {
      // §7.6.3: the same occupant comes back under the new nick; no "left" line.
      room.renames.set(p.nick, p.item.nick);
      if (self) room.nick = p.item.nick;
      return;
    }
    const exit = describeExit(p);
    if (self) {
      const w = room.leaveWaiter;
      if (w) {
        room.leaveWaiter = undefined;
        clearTimeout(w.timer);
        this.markLeft(room);
        this.emit('left', { room: room.jid, reason: 'left' });
        w.resolve();
        return;
      }
      // Removed by the room: no automatic rejoin.
      room.wanted = false;
      const message = exit.message ?? 'You are no longer in the room.';
      this.failWaiters(room, new MucError(exit.kind ?? 'other', message));
      this.markLeft(room, exit.reason === 'left' ? undefined : message);
      this.system(room, message, exit.reason === 'left' ? 'info' : 'error');
      if (exit.kind) this.emit('error', { room: room.jid, error: new MucError(exit.kind, message) });
      this.emit('left', { room: room.jid, reason: exit.reason, message, actor: p.item?.actor, alternate: p.destroy?.jid });
      return;
    }
    this.emit('occupantLeft', { room: room.jid, occupant: occ, codes: p.codes, reason: p.item?.reason, actor: p.item?.actor });
  }

  private onMessage(el: Element): boolean {
    const type = el.attrs.type as string | undefined;
    // Declines and invitations (§7.8.2, XEP-0249) are ours wherever they come from.
    const decline = parseDecline(el);
    if (decline) {
      this.emit('declined', decline);
      return true;
    }
    const inv = parseInvitation(el);
    if (inv) {
      this.onInvitation(inv);
      return true;
    }
    const room = this.roomOf(el.attrs.from);
    if (!room) return type === 'groupchat'; // stray groupchat: not a 1:1 message either
    // Private messages through the room (§7.5, type=chat from room/nick) stay with 1:1 chat.
    if (type === 'chat') return false;
    const m = parseRoomMessage(el);
    if (!m) return true;
    if (type === 'error') {
      this.onMessageError(room, m);
      return true;
    }
    if (type !== 'groupchat') {
      // §10.2.1 / §7.2.12 notices from the room (config changed, now logged…).
      if (m.codes.length) this.log.debug(`muc: ${room.jid} status ${m.codes.join(',')}`);
      return true;
    }
    if (m.subject !== undefined && m.body === undefined) {
      this.onSubject(room, m);
      return true;
    }
    if (m.body === undefined) return true;
    this.onGroupchat(room, m);
    return true;
  }

  private onMessageError(room: Room, m: ParsedRoomMessage): void {
    const err = describeMucError(m.errorCondition ?? 'undefined-condition', 'action', m.errorText);
    const sent = m.id ? room.sent.get(m.id) : undefined;
    if (sent && m.id) {
      clearTimeout(sent.timer);
      room.sent.delete(m.id);
      sent.reject(err);
    } else if (!this.settlePending(room, m.id, err)) {
      this.system(room, err.message, 'error');
    }
    this.emit('error', { room: room.jid, error: err });
  }

  private onSubject(room: Room, m: ParsedRoomMessage): void {
    // §7.2.15: the subject comes after the history, so history is complete.
    room.historyComplete = true;
    room.subject = m.subject || undefined;
    room.subjectBy = m.nick || undefined;
    if (!this.settlePending(room, m.id) && m.nick && m.nick === room.nick && !m.delayTs) this.settleKind(room, 'subject');
    this.emit('subject', { room: room.jid, subject: m.subject ?? '', by: m.nick || undefined });
  }

  private onGroupchat(room: Room, m: ParsedRoomMessage): void {
    const delayed = m.delayTs !== undefined;
    const ours = m.originId ? room.sent.get(m.originId) ?? (m.id ? room.sent.get(m.id) : undefined) : m.id ? room.sent.get(m.id) : undefined;
    if (room.dedupe.check({ ...m, nick: m.nick })) return;
    const mine = !!ours || (!!m.nick && m.nick === room.nick);
    const message: RoomMessage = {
      id: MessageDedupe.idFor(m),
      direction: !m.nick ? 'system' : mine ? 'out' : 'in',
      text: m.body ?? '',
      ts: m.delayTs ?? Date.now(),
      ...(m.nick ? { from: m.nick, displayFrom: sanitizeNick(m.nick) } : {}),
      ...(mine ? { mine: true, status: 'sent' as const } : {}),
      ...(!mine && m.nick && isMention(m.body ?? '', room.nick) ? { mention: true } : {}),
      ...(delayed ? { delayed: true } : {}),
      ...(m.originId ? { originId: m.originId } : {}),
      ...(!m.nick ? { level: 'info' as const } : {}),
    };
    this.push(room, message, true);
    if (ours) {
      const key = m.originId && room.sent.has(m.originId) ? m.originId : m.id!;
      clearTimeout(ours.timer);
      room.sent.delete(key);
      ours.resolve(message);
    }
  }

  private onInvitation(inv: Omit<Invitation, 'id' | 'at'>): void {
    const now = Date.now();
    for (const existing of this.invitations.values()) {
      // The same invitation sent both ways (XEP-0249 + §7.8.2) within a minute: show once.
      // (The mediated one may name the inviter by nick, so only the room is compared.)
      if (existing.room === inv.room && now - existing.at < 60_000) {
        if (!existing.password && inv.password) existing.password = inv.password;
        return;
      }
    }
    const invitation: Invitation = { ...inv, id: randomUUID(), at: now };
    this.invitations.set(invitation.id, invitation);
    while (this.invitations.size > MAX_PENDING_INVITES) this.invitations.delete(this.invitations.keys().next().value as string);
    this.emit('invitation', invitation);
  }

  private system(room: Room, text: string, level: 'info' | 'warning' | 'error'): void {
    this.push(room, { id: `sys:${randomUUID()}`, direction: 'system', text, ts: Date.now(), level }, false);
  }

  private push(room: Room, message: RoomMessage, persist: boolean): void {
    room.messages.push(message);
    if (room.messages.length > MAX_ROOM_MESSAGES) room.messages.splice(0, room.messages.length - MAX_ROOM_MESSAGES);
    if (persist && this.opts.history) {
      void this.opts.history.append(this.session.id, room.jid, message).catch((e) => this.log.error(`history: ${String(e)}`));
    }
    this.emit('message', { room: room.jid, message });
  }
}

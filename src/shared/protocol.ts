/**
 * The one message protocol between the extension host and every Padlock webview.
 *
 * Imported by both sides (host bundle and browser bundles), so it must not import
 * `vscode` or any Node module. Three kinds of message, modelled on GitLens' IPC:
 *
 *  - requests (webview -> host) carry an `id` and get exactly one `response` with the same
 *    id, either `ok: true` with a result or `ok: false` with an error text. The webview side
 *    times them out (REQUEST_TIMEOUT_MS) so a lost reply never hangs the UI.
 *  - notifications (host -> webview) carry state changes; the host holds them back until the
 *    webview has sent its `ready` request, whose result is the initial state (the
 *    "ready handshake": a webview's script may load after the host posted its first message).
 *  - the host validates every message it receives (`validateRequest`): a webview is a
 *    sandboxed page, but its input is still treated as untrusted.
 *
 * Nothing here ever carries secrets (passwords, private keys). Text of messages is display
 * data that the webview renders as text, never as HTML.
 */

export const PROTOCOL_VERSION = 1;
export const REQUEST_TIMEOUT_MS = 10_000;
/** Longest message body the UI accepts from the user (RFC 6120 leaves stanza size to servers; 64 KiB fits every server we know). */
export const MAX_OUTGOING_TEXT = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Display model (shared)

/** RFC 6121 §4.7.2.1 `<show/>` values mapped to what Jitsi shows; `offline` = no available presence. */
export type PresenceShow = 'available' | 'chat' | 'away' | 'xa' | 'dnd' | 'offline';

export type ConnectionState =
  | 'signedOut'
  | 'connecting'
  | 'online'
  /** Lost the connection; will retry by itself with backoff. */
  | 'reconnecting'
  /** Stopped: wrong password, certificate refused, ... `error` says why. */
  | 'error';

/** RFC 6121 §2.1.2.5 subscription states, plus the pending-out flag (`ask="subscribe"`). */
export type Subscription = 'none' | 'to' | 'from' | 'both' | 'remove';

export interface ContactView {
  account: string;
  jid: string;
  /** Display name chosen by the user, else the JID's local part. */
  name: string;
  groups: string[];
  presence: PresenceShow;
  status?: string;
  subscription: Subscription;
  /** We asked to see their presence and they have not answered: "Waiting for authorisation". */
  pendingOut: boolean;
  /** They denied our request (presence type="unsubscribed" while pending). */
  denied: boolean;
  unread: number;
  /**
   * They asked us to authenticate (OTR v3 SMP, a question or a shared secret) and we have not
   * answered: the tree keeps it answerable after the dialog or notification is gone.
   */
  verifyRequest?: boolean;
}

export interface AuthRequestView {
  account: string;
  jid: string;
  /** When the request arrived (ms since epoch). */
  at: number;
}

export interface AccountView {
  id: string;
  jid: string;
  state: ConnectionState;
  /** Human-readable reason for `error` / `reconnecting`, without secrets. */
  error?: string;
  presence: PresenceShow;
  status?: string;
  contacts: ContactView[];
  requests: AuthRequestView[];
  /** Messages written while offline, waiting to go out. */
  queued: number;
  /** Group chat rooms of this account (joined, joining, or bookmarked). */
  rooms?: RoomSummaryView[];
}

export interface ContactsState {
  accounts: AccountView[];
}

export type MessageDirection = 'in' | 'out' | 'system';
/** queued: waiting for a connection; sent: server acknowledged (XEP-0198) or written; delivered: XEP-0184 receipt. */
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface MessageView {
  id: string;
  direction: MessageDirection;
  /** Plain text. Rendered with textContent only. */
  text: string;
  /** ms since epoch; for delayed messages (XEP-0203) the original send time. */
  ts: number;
  status?: MessageStatus;
  /** For system lines: how prominent. */
  level?: 'info' | 'warning' | 'error';
  /** Sent or received inside a private (OTR) conversation. */
  private?: boolean;
  /** Group chat: the sender's nickname. */
  from?: string;
  /** For system lines: an action the user can take from the line (e.g. "Authenticate Ada"). */
  action?: { label: string; command: SystemAction };
}

/** Actions a system line in the chat can offer (handled by the host; no free-form commands). */
/** resendPrivate: send again, encrypted only, the messages the contact's OTR client could not read. */
export type SystemAction = 'authenticate' | 'startPrivate' | 'refreshPrivate' | 'endPrivate' | 'resendPrivate';

// ---------------------------------------------------------------------------------------------
// Private conversations (OTR v3)

/** Same values as src/core/otr/policy.ts OtrState. */
export type OtrStateView = 'plaintext' | 'starting' | 'private-unverified' | 'private-verified' | 'finished' | 'lost';
export type OtrPolicyView = 'manual' | 'opportunistic' | 'required';

/** What the padlock shows. Display data only: fingerprints as text, never keys. */
export interface OtrView {
  /** False for anything but a 1:1 chat (OTR is for two people only). */
  available: boolean;
  state: OtrStateView;
  /** The policy in force for this contact. */
  policy: OtrPolicyView;
  /** The global default (setting padlock.otr.policy). */
  defaultPolicy: OtrPolicyView;
  /** This contact's own policy, if one is set (else the default applies). */
  policyOverride?: OtrPolicyView;
  /** Their fingerprint in the current conversation, formatted "XXXXXXXX XXXXXXXX …". */
  theirFingerprint?: string;
  /** Private conversations are written to history (setting padlock.otr.logPrivateConversations). */
  logging: boolean;
  /** An SMP run in progress or waiting for our answer. */
  smp?: { initiatedBy: 'us' | 'them'; question?: string; waitingForUs: boolean };
}

/** The Authenticate dialog (Jitsi's "Authenticate Buddy"). */
export interface VerifyState {
  account: string;
  /** Our own address (for "Your fingerprint (me@…)"). */
  accountJid: string;
  jid: string;
  name: string;
  ownFingerprint?: string;
  theirFingerprint?: string;
  /** Whether `theirFingerprint` is marked verified. */
  verified: boolean;
  otr: OtrStateView;
  /** Set when they asked us (SMP): the dialog opens on the answering side. */
  incoming?: { question?: string };
  /** Last SMP outcome shown in the dialog. */
  /**
   * The last SMP run. `question`: it was asked with a question (then a success started by them
   * authenticates us to them, not them to us, as in pidgin-otr).
   */
  result?: { kind: 'inProgress' | 'succeeded' | 'failed' | 'aborted'; initiatedBy: 'us' | 'them'; by?: 'us' | 'them'; question?: boolean };
}

export type VerifyRequests = {
  ready: { params: Record<string, never>; result: VerifyState };
  /** SMP with a question only they can answer. */
  askQuestion: { params: { question: string; answer: string }; result: void };
  /** SMP with a secret agreed beforehand. */
  sharedSecret: { params: { secret: string }; result: void };
  /** Our answer to their SMP (question or secret). */
  respond: { params: { answer: string }; result: void };
  abort: { params: Record<string, never>; result: void };
  /** Manual fingerprint comparison: "I have / I have not verified". */
  setVerified: { params: { verified: boolean }; result: void };
  close: { params: Record<string, never>; result: void };
  /** Start a private conversation from the dialog (it needs one). */
  startPrivate: { params: Record<string, never>; result: void };
};

export type VerifyNotifications = {
  state: VerifyState;
};

/** The Padlock settings page: Security (own keys, known fingerprints). */
export interface SecurityState {
  accounts: {
    id: string;
    jid: string;
    /** Formatted fingerprint of the account's OTR key, if it has one. */
    fingerprint?: string;
    generating: boolean;
  }[];
  known: { account: string; contact: string; name: string; fingerprint: string; verified: boolean; current: boolean }[];
  policy: OtrPolicyView;
  logging: boolean;
}

export type SecurityRequests = {
  ready: { params: Record<string, never>; result: SecurityState };
  generate: { params: { account: string }; result: void };
  exportKey: { params: { account: string }; result: void };
  importKey: { params: { account: string }; result: void };
  importPidgin: { params: { account: string }; result: void };
  copy: { params: { text: string }; result: void };
  setVerified: { params: { account: string; contact: string; fingerprint: string; verified: boolean }; result: void };
  forget: { params: { account: string; contact: string; fingerprint: string }; result: void };
  setPolicy: { params: { policy: OtrPolicyView }; result: void };
  setLogging: { params: { logging: boolean }; result: void };
};

export type SecurityNotifications = {
  state: SecurityState;
};

/** XEP-0085 chat states. */
export type ChatState = 'active' | 'composing' | 'paused' | 'inactive' | 'gone';

export interface ChatState0 {
  account: string;
  accountJid: string;
  jid: string;
  name: string;
  presence: PresenceShow;
  status?: string;
  connection: ConnectionState;
  /** The newest messages (at most CHAT_PAGE), oldest first; older ones come with `earlier`. */
  messages: MessageView[];
  /** History holds messages older than `messages[0]`. */
  hasEarlier: boolean;
  /** Their current chat state, if they sent one. */
  theirState?: ChatState;
  otr: OtrView;
}

// ---------------------------------------------------------------------------------------------
// Requests: webview -> host, each with a typed result.

export type ContactsRequests = {
  ready: { params: Record<string, never>; result: ContactsState };
  openChat: { params: { account: string; jid: string }; result: void };
  addAccount: { params: Record<string, never>; result: void };
  addContact: { params: { account?: string }; result: void };
  signIn: { params: { account: string }; result: void };
  signOut: { params: { account: string }; result: void };
  contactAction: {
    params: { account: string; jid: string; action: ContactAction };
    result: void;
  };
  answerRequest: {
    params: { account: string; jid: string; answer: 'authorize' | 'deny' };
    result: void;
  };
  /** Group chat: open / join / create / leave / invite (jid: the room, optional for join and create). */
  roomAction: { params: { account: string; jid?: string; action: RoomTreeAction }; result: void };
};

export type ContactAction = 'message' | 'rename' | 'move' | 'remove' | 'rerequest' | 'startPrivate' | 'refreshPrivate' | 'endPrivate' | 'authenticate';

/** Group chat actions from the contact tree (issue 6). `jid` names the room, when there is one. */
export type RoomTreeAction = 'open' | 'join' | 'create' | 'leave' | 'invite';

export type ChatRequests = {
  ready: { params: Record<string, never>; result: ChatState0 };
  /**
   * The `limit` (at most CHAT_PAGE) messages before the message `before` (an id the webview
   * has), oldest first, for scrolling up. Only a page at a time crosses postMessage, so a
   * panel with 10,000 messages of history opens fast (docs/benchmarks.md).
   */
  earlier: { params: { before: string; limit: number }; result: { messages: MessageView[]; hasEarlier: boolean } };
  send: { params: { text: string }; result: { id: string } };
  chatState: { params: { state: ChatState }; result: void };
  /** The padlock menu and system-line actions. */
  otr: { params: { action: SystemAction }; result: void };
  /** Per-contact policy (undefined = the global default). */
  otrPolicy: { params: { policy: OtrPolicyView | 'default' }; result: void };
  /**
   * An action on a code block of a message (src/core/snippet.ts findCodeBlocks order). The host
   * looks the code up in the message it has (history or the panel's own copy); the webview never
   * sends code.
   */
  codeAction: { params: { messageId: string; block: number; action: CodeAction }; result: void };
};

export type CodeAction = 'copy' | 'insert' | 'open' | 'saveAs';
export const CODE_ACTIONS: readonly CodeAction[] = ['copy', 'insert', 'open', 'saveAs'];

/** Host -> webview notifications. */
export type ContactsNotifications = {
  state: ContactsState;
};

export type ChatNotifications = {
  /** A new line in the conversation (in, out or system). */
  message: MessageView;
  /** Status of an own message changed (queued -> sent -> delivered). */
  messageStatus: { id: string; status: MessageStatus };
  /** Contact's presence / our connection changed. */
  header: { name: string; presence: PresenceShow; status?: string; connection: ConnectionState };
  theirState: { state: ChatState | undefined };
  otr: OtrView;
};

// ---------------------------------------------------------------------------------------------
// Envelopes

export interface RequestsShape {
  [method: string]: { params: unknown; result: unknown };
}

export type RequestEnvelope<R extends RequestsShape> = {
  [M in keyof R & string]: { kind: 'request'; id: number; method: M; params: R[M]['params'] };
}[keyof R & string];

export type ResponseEnvelope =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

export type NotificationEnvelope<N> = {
  [K in keyof N & string]: { kind: 'notification'; type: K; data: N[K] };
}[keyof N & string];

// ---------------------------------------------------------------------------------------------
// Host-side validation of what a webview sends. Hand-written (no schema library in the
// webview bundles); every field is checked for type and size.

export type Validator = (params: unknown) => string | undefined;

const MAX_JID = 3071; // RFC 7622 §3.1: each part up to 1023 octets, plus separators.

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(o: Record<string, unknown>, k: string, max: number, optional = false): string | undefined {
  const v = o[k];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') return `${k} must be a string`;
  if (v.length > max) return `${k} is too long`;
  return undefined;
}
function oneOf(o: Record<string, unknown>, k: string, values: readonly string[]): string | undefined {
  return typeof o[k] === 'string' && values.includes(o[k] as string) ? undefined : `${k} is not one of ${values.join(', ')}`;
}
const none: Validator = (p) => (p === undefined || isObj(p) ? undefined : 'params must be an object');
const accountJid: Validator = (p) => (isObj(p) ? str(p, 'account', 256) ?? str(p, 'jid', MAX_JID) : 'params must be an object');
const accountOnly: Validator = (p) => (isObj(p) ? str(p, 'account', 256) : 'params must be an object');

export const CONTACT_ACTIONS: readonly ContactAction[] = ['message', 'rename', 'move', 'remove', 'rerequest', 'startPrivate', 'refreshPrivate', 'endPrivate', 'authenticate'];
export const CHAT_STATES: readonly ChatState[] = ['active', 'composing', 'paused', 'inactive', 'gone'];

export const contactsValidators: { [M in keyof ContactsRequests]: Validator } = {
  ready: none,
  openChat: accountJid,
  addAccount: none,
  addContact: (p) => (isObj(p) ? str(p, 'account', 256, true) : 'params must be an object'),
  signIn: accountOnly,
  signOut: accountOnly,
  contactAction: (p) => accountJid(p) ?? oneOf(p as Record<string, unknown>, 'action', CONTACT_ACTIONS),
  answerRequest: (p) => accountJid(p) ?? oneOf(p as Record<string, unknown>, 'answer', ['authorize', 'deny']),
  roomAction: (p) =>
    isObj(p) ? (str(p, 'account', 256) ?? str(p, 'jid', MAX_JID, true) ?? oneOf(p, 'action', ROOM_TREE_ACTIONS)) : 'params must be an object',
};

export const SYSTEM_ACTIONS: readonly SystemAction[] = ['authenticate', 'startPrivate', 'refreshPrivate', 'endPrivate', 'resendPrivate'];
export const OTR_POLICIES: readonly OtrPolicyView[] = ['manual', 'opportunistic', 'required'];
const MAX_SECRET = 1024;
const FINGERPRINT = /^[0-9a-fA-F ]{40,49}$/;

/** Messages per page of a chat panel: in the `ready` result and in each `earlier` answer. */
export const CHAT_PAGE = 200;

export const chatValidators: { [M in keyof ChatRequests]: Validator } = {
  ready: none,
  earlier: (p) =>
    isObj(p)
      ? (str(p, 'before', 256) ??
        (Number.isSafeInteger(p.limit) && (p.limit as number) >= 1 && (p.limit as number) <= CHAT_PAGE ? undefined : `limit must be an integer from 1 to ${CHAT_PAGE}`))
      : 'params must be an object',
  otr: (p) => (isObj(p) ? oneOf(p, 'action', SYSTEM_ACTIONS) : 'params must be an object'),
  otrPolicy: (p) => (isObj(p) ? oneOf(p, 'policy', [...OTR_POLICIES, 'default']) : 'params must be an object'),
  send: (p) => (isObj(p) ? str(p, 'text', MAX_OUTGOING_TEXT) ?? ((p.text as string).trim() ? undefined : 'text is empty') : 'params must be an object'),
  chatState: (p) => (isObj(p) ? oneOf(p, 'state', CHAT_STATES) : 'params must be an object'),
  codeAction: (p) =>
    isObj(p)
      ? (str(p, 'messageId', 256) ??
        (Number.isSafeInteger(p.block) && (p.block as number) >= 0 && (p.block as number) < 1000 ? undefined : 'block must be a small non-negative integer') ??
        oneOf(p, 'action', CODE_ACTIONS))
      : 'params must be an object',
};

/**
 * Checks the envelope and its params. Returns the typed request, or an error text
 * (and the id, when one could be read, so the host can still answer with an error).
 */
export function validateRequest<R extends RequestsShape>(
  raw: unknown,
  validators: { [M in keyof R]: Validator },
): { ok: true; request: RequestEnvelope<R> } | { ok: false; id?: number; error: string } {
  if (!isObj(raw)) return { ok: false, error: 'message is not an object' };
  const id = typeof raw.id === 'number' && Number.isSafeInteger(raw.id) ? raw.id : undefined;
  if (raw.kind !== 'request' || id === undefined) return { ok: false, id, error: 'not a request' };
  if (typeof raw.method !== 'string' || !Object.prototype.hasOwnProperty.call(validators, raw.method)) {
    return { ok: false, id, error: `unknown method` };
  }
  const err = validators[raw.method as keyof R](raw.params ?? {});
  if (err) return { ok: false, id, error: err };
  return { ok: true, request: { kind: 'request', id, method: raw.method, params: raw.params ?? {} } as RequestEnvelope<R> };
}

export const verifyValidators: { [M in keyof VerifyRequests]: Validator } = {
  ready: none,
  askQuestion: (p) =>
    isObj(p)
      ? (str(p, 'question', MAX_SECRET) ?? str(p, 'answer', MAX_SECRET) ?? ((p.answer as string).trim() ? undefined : 'the answer is empty'))
      : 'params must be an object',
  sharedSecret: (p) => (isObj(p) ? (str(p, 'secret', MAX_SECRET) ?? ((p.secret as string).trim() ? undefined : 'the secret is empty')) : 'params must be an object'),
  respond: (p) => (isObj(p) ? (str(p, 'answer', MAX_SECRET) ?? ((p.answer as string).trim() ? undefined : 'the answer is empty')) : 'params must be an object'),
  abort: none,
  setVerified: (p) => (isObj(p) && typeof p.verified === 'boolean' ? undefined : 'verified must be a boolean'),
  close: none,
  startPrivate: none,
};

const accountContactFp: Validator = (p) =>
  isObj(p)
    ? (str(p, 'account', 256) ?? str(p, 'contact', MAX_JID) ?? (typeof p.fingerprint === 'string' && FINGERPRINT.test(p.fingerprint) ? undefined : 'bad fingerprint'))
    : 'params must be an object';

export const securityValidators: { [M in keyof SecurityRequests]: Validator } = {
  ready: none,
  generate: accountOnly,
  exportKey: accountOnly,
  importKey: accountOnly,
  importPidgin: accountOnly,
  copy: (p) => (isObj(p) ? str(p, 'text', 200) : 'params must be an object'),
  setVerified: (p) => accountContactFp(p) ?? (typeof (p as Record<string, unknown>).verified === 'boolean' ? undefined : 'verified must be a boolean'),
  forget: accountContactFp,
  setPolicy: (p) => (isObj(p) ? oneOf(p, 'policy', OTR_POLICIES) : 'params must be an object'),
  setLogging: (p) => (isObj(p) && typeof p.logging === 'boolean' ? undefined : 'logging must be a boolean'),
};

// ---------------------------------------------------------------------------------------------
// Group chat (XEP-0045, issue 6): the room panel and rooms in the contact tree

export type RoomStatusView = 'joining' | 'joined' | 'offline' | 'left' | 'error';
export type RoomRoleView = 'moderator' | 'participant' | 'visitor' | 'none';
export type RoomAffiliationView = 'owner' | 'admin' | 'member' | 'outcast' | 'none';

/** A room under its account in the contact tree. */
export interface RoomSummaryView {
  account: string;
  /** Bare room JID. */
  jid: string;
  /** Bookmark name, else the room's local part. */
  name: string;
  /** 'left': bookmarked but not joined. */
  status: RoomStatusView;
  unread: number;
  /** Unread messages that mention our nickname. */
  mentions: number;
  bookmarked: boolean;
}

export interface OccupantView {
  /** Identity in the room (raw). */
  nick: string;
  /** Sanitised and capped: what is shown (as text). */
  displayNick: string;
  role: RoomRoleView;
  affiliation: RoomAffiliationView;
  show: PresenceShow;
  status?: string;
  self: boolean;
}

/** A line in a room: MessageView plus the sender's display nick and flags. */
export interface RoomMessageView extends MessageView {
  displayFrom?: string;
  mine?: boolean;
  mention?: boolean;
  delayed?: boolean;
}

/** Everything the room header shows (sent whole on each change). */
export interface RoomHeaderView {
  name: string;
  nick: string;
  status: RoomStatusView;
  /** Plain words: why we are not in the room (wrong password, banned, …). */
  error?: string;
  subject?: string;
  subjectBy?: string;
  role: RoomRoleView;
  affiliation: RoomAffiliationView;
  connection: ConnectionState;
  /** Topic can be changed by us (moderator, or the room lets participants). */
  canSetSubject: boolean;
  bookmarked: boolean;
  autojoin: boolean;
}

export interface RoomState0 extends RoomHeaderView {
  account: string;
  accountJid: string;
  jid: string;
  occupants: OccupantView[];
  messages: RoomMessageView[];
}

export type RoomRequests = {
  ready: { params: Record<string, never>; result: RoomState0 };
  send: { params: { text: string }; result: { id: string } };
  setSubject: { params: { subject: string }; result: void };
  /** Asks the host to pick a contact to invite (quick pick). */
  invite: { params: Record<string, never>; result: void };
  leave: { params: Record<string, never>; result: void };
  /** Join again after leaving or an error (the host asks for a new nick / password if needed). */
  rejoin: { params: Record<string, never>; result: void };
  bookmark: { params: { bookmarked: boolean; autojoin: boolean }; result: void };
};

export type RoomNotifications = {
  message: RoomMessageView;
  header: RoomHeaderView;
  /** An occupant joined or changed (oldNick: a nick change). */
  occupant: { occupant: OccupantView; oldNick?: string };
  occupantLeft: { nick: string };
  /** The whole list (after a rejoin). */
  occupants: OccupantView[];
};

export const ROOM_TREE_ACTIONS: readonly RoomTreeAction[] = ['open', 'join', 'create', 'leave', 'invite'];
/** Room subjects are capped by the core (src/core/muc.ts) at this length. */
export const MAX_ROOM_SUBJECT = 4096;

export const roomValidators: { [M in keyof RoomRequests]: Validator } = {
  ready: none,
  send: (p) => (isObj(p) ? str(p, 'text', MAX_OUTGOING_TEXT) ?? ((p.text as string).trim() ? undefined : 'text is empty') : 'params must be an object'),
  setSubject: (p) => (isObj(p) ? str(p, 'subject', MAX_ROOM_SUBJECT) : 'params must be an object'),
  invite: none,
  leave: none,
  rejoin: none,
  bookmark: (p) =>
    isObj(p) && typeof p.bookmarked === 'boolean' && typeof p.autojoin === 'boolean' ? undefined : 'bookmarked and autojoin must be booleans',
};

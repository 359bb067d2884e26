/**
 * Room panel (group chat, XEP-0045): one editor panel per account and room, like a chat
 * (webview/chat) with a topic line, an occupant list and the room's state.
 *
 * Responsiveness under floods: incoming messages and occupant changes are queued and applied
 * once per animation frame; the message list keeps at most MAX_DOM rows in the DOM (older
 * ones come back with "Load earlier messages"), the occupant list is one plain element per
 * occupant, reordered by a keyed diff. Everything from the network enters the page as text
 * (h() / textContent); nicknames arrive sanitised and capped (displayNick / displayFrom).
 */
// Must come first: lets the toolkit's feature detection pass the CSP (see cspNonce.ts).
import '../shared/cspNonce';
import { provideVSCodeDesignSystem, vsCodeButton } from '@vscode/webview-ui-toolkit';
import {
  MAX_ROOM_SUBJECT,
  type OccupantView,
  type RoomHeaderView,
  type RoomMessageView,
  type RoomNotifications,
  type RoomRequests,
  type RoomState0,
} from '../../src/shared/protocol';
import { UNAVAILABLE } from '../chat/otr';
import { announce, h, icon, replaceChildren } from '../shared/dom';
import { createWebviewIpc, loadState, saveState } from '../shared/ipc';
import { GROUP_GAP_MS, PRESENCE_ICON, PRESENCE_LABEL, connectionLabel, sameDay } from '../shared/render';
import { renderTextBody } from '../shared/textBody';
import * as shared from '../shared/conversation';
import { AFFILIATION_LABEL, ROLE_LABEL, compareOccupants, mentionParts, nickColor } from './render';
import { l10n } from '../shared/l10n';

provideVSCodeDesignSystem().register(vsCodeButton());

const ipc = createWebviewIpc<RoomRequests, RoomNotifications>();

/** Messages turned into DOM per page (first paint and each "load earlier"). */
const PAGE = 200;
/** At most this many message rows stay in the DOM while new ones arrive at the bottom. */
const MAX_DOM = 400;
/** Messages kept in memory (the host keeps 1,000 per room; history on disk has the rest). */
const MAX_MESSAGES = 3000;

interface ViewState {
  account?: string;
  jid?: string;
  draft: string;
}
const viewState = loadState<ViewState>({ draft: '' });

// ---------------------------------------------------------------------------------------------
// Layout

const app = document.getElementById('app')!;

const nameEl = h('h1', { class: 'room-name' });
const jidEl = h('span', { class: 'room-jid' });
const stateEl = h('span', { class: 'room-state' });
const bookmarkBox = h('input', { type: 'checkbox', id: 'bookmark', on: { change: () => void setBookmark() } });
const autojoinBox = h('input', { type: 'checkbox', id: 'autojoin', on: { change: () => void setBookmark() } });
const autojoinLabel = h('label', { class: 'check', for: 'autojoin', title: l10n.t('Join this room again every time you sign in') }, autojoinBox, l10n.t('Join on sign-in'));
const inviteButton = h('vscode-button', { appearance: 'secondary', id: 'invite', on: { click: () => void request('invite', {}, l10n.t('Invite failed')) } }, l10n.t('Invite…'));
const leaveButton = h('vscode-button', { appearance: 'secondary', id: 'leave', on: { click: () => void leaveOrJoin() } }, l10n.t('Leave'));
// Rooms have no private conversation: the padlock stays, visibly off, and says why. Not
// `disabled` (that would drop it from the tab order and nobody would learn why).
const padlock = h(
  'vscode-button',
  {
    id: 'padlock',
    class: 'otr-off',
    appearance: 'icon',
    title: UNAVAILABLE,
    'aria-label': UNAVAILABLE,
    'aria-disabled': 'true',
    on: { click: () => announce(UNAVAILABLE) },
  },
  h('span', { class: 'padlock-glyph', 'aria-hidden': 'true' }, icon('unlock')),
);
const header = h(
  'header',
  { class: 'chat-header room-header' },
  icon('comment-discussion', undefined, 'room-icon'),
  h('div', { class: 'who' }, nameEl, h('div', { class: 'sub' }, jidEl, h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), stateEl)),
  h(
    'div',
    { class: 'header-actions' },
    h('label', { class: 'check', for: 'bookmark', title: l10n.t('Keep this room in your bookmarks (stored on your server)') }, bookmarkBox, l10n.t('Bookmark this room')),
    autojoinLabel,
    inviteButton,
    leaveButton,
    padlock,
  ),
);

const topicText = h('span', { class: 'topic-text' });
const topicBy = h('span', { class: 'topic-by' });
const topicEdit = h('button', { class: 'icon-button topic-edit', title: l10n.t('Change the topic'), 'aria-label': l10n.t('Change the topic'), hidden: true, on: { click: () => editTopic() } }, icon('edit'));
const topicInput = h('input', { type: 'text', class: 'topic-input', maxlength: String(MAX_ROOM_SUBJECT), 'aria-label': l10n.t('Topic'), hidden: true });
const topicBar = h('div', { class: 'topic-bar' }, h('span', { class: 'topic-label' }, l10n.t('Topic:')), topicText, topicBy, topicInput, topicEdit);

const roomBar = h('div', { class: 'room-bar', role: 'alert', hidden: true });
const connectionBar = h('div', { class: 'connection-bar', role: 'status', hidden: true });

const loadEarlier = h('div', { class: 'load-earlier', hidden: true }, h('button', { class: 'text-button', on: { click: () => showEarlier() } }, l10n.t('Load earlier messages')));
const list = h('div', { class: 'messages', role: 'list' });
const scroller = h('main', { class: 'scroller', tabindex: '0', 'aria-label': l10n.t('Room conversation') }, loadEarlier, list);
const jump = new shared.JumpToLatest(scroller);

const occupantsTitle = h('h2', { class: 'occupants-title' });
const occupantList = h('div', { class: 'occupant-list', role: 'list', 'aria-label': l10n.t('People in the room') });
const occupantsPane = h('aside', { class: 'occupants', 'aria-label': l10n.t('People in the room') }, occupantsTitle, occupantList);

const textarea = h('textarea', { class: 'composer-input', rows: 1, 'aria-label': l10n.t('Message to the room'), spellcheck: 'true' });
const counter = h('span', { class: 'counter', 'aria-live': 'polite' });
const sendButton = h('vscode-button', { class: 'send', title: l10n.t('Send (Enter)'), on: { click: () => void send() } }, l10n.t('Send'));
const composer = h('footer', { class: 'composer' }, textarea, h('div', { class: 'composer-side' }, sendButton, counter));

app.append(
  header,
  topicBar,
  roomBar,
  connectionBar,
  h('div', { class: 'room-body' }, h('div', { class: 'scroll-area' }, scroller, jump.button), occupantsPane),
  composer,
);

// ---------------------------------------------------------------------------------------------
// Model

let room: RoomState0 | undefined;
let head: RoomHeaderView | undefined;
let messages: RoomMessageView[] = [];
let windowStart = 0;
const indexById = new Map<string, number>();
const elementById = new Map<string, HTMLElement>();
let localIds = 0;

function request<M extends keyof RoomRequests & string>(method: M, params: RoomRequests[M]['params'], failure: string): Promise<RoomRequests[M]['result'] | undefined> {
  return ipc.request(method, params).catch((err: Error) => {
    systemLine(`${failure}: ${err.message}`, 'error');
    return undefined;
  });
}

// ---------------------------------------------------------------------------------------------
// Messages

function renderText(target: HTMLElement, text: string): void {
  // Mentions of our nick are marked inside plain text runs only (not in code or links).
  const nick = head?.nick ?? '';
  for (const p of mentionParts(text, nick)) target.appendChild(p.mention ? h('mark', { class: 'mention' }, p.text) : document.createTextNode(p.text));
}

function renderBody(text: string): HTMLElement {
  return renderTextBody(text, renderText);
}

function isContinuation(i: number): boolean {
  const m = messages[i]!;
  const p = messages[i - 1];
  return !!p && p.direction !== 'system' && m.direction !== 'system' && p.from === m.from && m.ts - p.ts < GROUP_GAP_MS && sameDay(p.ts, m.ts);
}

function renderMessage(i: number): HTMLElement {
  const m = messages[i]!;
  if (m.direction === 'system') return shared.systemRow(m, renderBody(m.text));
  const own = m.direction === 'out' || !!m.mine;
  const cont = isContinuation(i);
  const nick = m.displayFrom ?? '(no name)';
  const el = h('div', {
    class: ['msg', own ? 'msg-out' : 'msg-in', cont && 'continued', m.mention && !own && 'msg-mention', m.status === 'failed' && 'msg-failed'],
    role: 'listitem',
    'data-id': m.id,
  });
  el.append(
    h(
      'div',
      { class: 'msg-meta' },
      h('span', { class: ['sender', `nick-c${nickColor(m.from ?? nick)}`, own && 'own', cont && 'visually-hidden'], title: nick }, nick),
      own ? h('span', { class: ['you', cont && 'visually-hidden'] }, l10n.t('(you)')) : null,
      shared.timeElement(m.ts),
      m.delayed ? icon('history', l10n.t('From the room history'), 'msg-delayed') : null,
      m.mention && !own ? icon('mention', l10n.t('Mentions you'), 'msg-mention-icon') : null,
    ),
    renderBody(m.text),
  );
  return el;
}

function renderRange(from: number, to: number): DocumentFragment {
  return shared.renderRange(messages, from, to, renderMessage, elementById, from === windowStart);
}

function atBottom(): boolean {
  return shared.atBottom(scroller);
}

function renderAll(): void {
  list.replaceChildren();
  elementById.clear();
  windowStart = Math.max(0, messages.length - PAGE);
  list.appendChild(renderRange(windowStart, messages.length));
  loadEarlier.hidden = windowStart === 0;
}

function showEarlier(): void {
  if (windowStart === 0) return;
  const from = Math.max(0, windowStart - PAGE);
  const keep = scroller.scrollHeight - scroller.scrollTop;
  // The separator at the top belonged to the old first message; the new range brings its own.
  const first = list.firstElementChild;
  if (first?.classList.contains('day')) first.remove();
  const oldFirst = messages[windowStart]!;
  const prevStart = windowStart;
  windowStart = from;
  const frag = renderRange(from, prevStart);
  if (!sameDay(messages[prevStart - 1]!.ts, oldFirst.ts)) frag.appendChild(shared.daySeparator(oldFirst.ts));
  list.insertBefore(frag, list.firstChild);
  const oldEl = elementById.get(oldFirst.id);
  if (oldEl) {
    const fresh = renderMessage(prevStart);
    oldEl.replaceWith(fresh);
    elementById.set(oldFirst.id, fresh);
  }
  loadEarlier.hidden = windowStart === 0;
  scroller.scrollTop = scroller.scrollHeight - keep;
}

/** Keeps the DOM at most MAX_DOM messages (only while the user is at the bottom). */
function trimDom(): void {
  if (messages.length - windowStart <= MAX_DOM) return;
  const newStart = messages.length - PAGE;
  for (let i = windowStart; i < newStart; i++) {
    const id = messages[i]!.id;
    elementById.get(id)?.remove();
    elementById.delete(id);
  }
  windowStart = newStart;
  const firstEl = elementById.get(messages[windowStart]!.id);
  while (list.firstChild && list.firstChild !== firstEl) list.firstChild.remove();
  list.insertBefore(shared.daySeparator(messages[windowStart]!.ts), list.firstChild);
  if (firstEl) {
    const fresh = renderMessage(windowStart);
    firstEl.replaceWith(fresh);
    elementById.set(messages[windowStart]!.id, fresh);
  }
  loadEarlier.hidden = windowStart === 0;
}

/** Drops the oldest messages from memory beyond MAX_MESSAGES (they stay in history on disk). */
function capMemory(): void {
  const extra = messages.length - MAX_MESSAGES;
  if (extra <= 0) return;
  if (windowStart < extra) {
    // Never drop what is shown: the window moves with it.
    for (let i = windowStart; i < extra; i++) {
      elementById.get(messages[i]!.id)?.remove();
      elementById.delete(messages[i]!.id);
    }
    windowStart = extra;
    const firstEl = elementById.get(messages[windowStart]!.id);
    while (list.firstChild && list.firstChild !== firstEl) list.firstChild.remove();
  }
  messages = messages.slice(extra);
  windowStart -= extra;
  reindex();
  loadEarlier.hidden = windowStart === 0;
}

function reindex(): void {
  indexById.clear();
  messages.forEach((m, i) => indexById.set(m.id, i));
}

let pendingMessages: RoomMessageView[] = [];
let flushQueued = false;

function queueMessage(m: RoomMessageView): void {
  pendingMessages.push(m);
  if (flushQueued) return;
  flushQueued = true;
  requestAnimationFrame(flushMessages);
}

/** Applies every message that arrived since the last frame in one DOM update. */
function flushMessages(): void {
  flushQueued = false;
  const batch = pendingMessages;
  pendingMessages = [];
  if (!batch.length) return;
  const stick = atBottom();
  const start = messages.length;
  let incoming = 0;
  let ownSent = false;
  let mentioned: RoomMessageView | undefined;
  for (const m of batch) {
    const i = indexById.get(m.id);
    if (i !== undefined) {
      messages[i] = m;
      const old = elementById.get(m.id);
      if (old && i < start) {
        const fresh = renderMessage(i);
        old.replaceWith(fresh);
        elementById.set(m.id, fresh);
      }
      continue;
    }
    messages.push(m);
    indexById.set(m.id, messages.length - 1);
    if (m.direction === 'in') incoming++;
    if (m.direction === 'out') ownSent = true;
    if (m.mention && !m.delayed) mentioned = m;
    if (m.direction === 'system' && m.level && m.level !== 'info') announce(m.text.slice(0, 300));
  }
  if (messages.length > start) list.appendChild(renderRange(start, messages.length));
  if (stick || ownSent) {
    trimDom();
    jump.scrollToBottom();
  } else if (incoming) jump.add(incoming);
  capMemory();
  if (mentioned) announce(l10n.t('{0} mentioned you: {1}', mentioned.displayFrom ?? '', mentioned.text.slice(0, 200)));
}

function systemLine(text: string, level: 'info' | 'warning' | 'error'): void {
  queueMessage({ id: `local-${++localIds}`, direction: 'system', text, ts: Date.now(), level });
}

// ---------------------------------------------------------------------------------------------
// Occupants: keyed rows, re-sorted once per frame

interface OccRow {
  o: OccupantView;
  el: HTMLElement;
}
const occupants = new Map<string, OccRow>();
const roleHeaders = new Map<string, HTMLElement>();
let occQueued = false;

function renderOccupant(o: OccupantView): HTMLElement {
  const aff = AFFILIATION_LABEL[o.affiliation];
  const presence = PRESENCE_LABEL[o.show];
  const label = [o.displayNick, o.self ? l10n.t('you') : '', aff, presence, o.status].filter(Boolean).join(', ');
  return h(
    'div',
    { class: ['occupant', o.self && 'self', `role-${o.role}`], role: 'listitem', 'aria-label': label, title: label, 'data-nick-color': String(nickColor(o.nick)) },
    icon(PRESENCE_ICON[o.show], undefined, `presence presence-${o.show}`),
    h('span', { class: ['occ-nick', `nick-c${nickColor(o.nick)}`] }, o.displayNick),
    o.self ? h('span', { class: 'occ-you' }, l10n.t('(you)')) : null,
    aff ? h('span', { class: `occ-aff aff-${o.affiliation}` }, aff) : null,
  );
}

function setOccupant(o: OccupantView, oldNick?: string): void {
  if (oldNick !== undefined && oldNick !== o.nick) {
    occupants.get(oldNick)?.el.remove();
    occupants.delete(oldNick);
  }
  const old = occupants.get(o.nick);
  const el = renderOccupant(o);
  if (old) old.el.replaceWith(el);
  occupants.set(o.nick, { o, el });
  scheduleOccupants();
}

function removeOccupant(nick: string): void {
  occupants.get(nick)?.el.remove();
  occupants.delete(nick);
  scheduleOccupants();
}

function resetOccupants(list0: OccupantView[]): void {
  for (const r of occupants.values()) r.el.remove();
  occupants.clear();
  for (const o of list0) occupants.set(o.nick, { o, el: renderOccupant(o) });
  scheduleOccupants();
}

function scheduleOccupants(): void {
  if (occQueued) return;
  occQueued = true;
  requestAnimationFrame(() => {
    occQueued = false;
    layoutOccupants();
  });
}

function layoutOccupants(): void {
  const rows = [...occupants.values()].sort((a, b) => compareOccupants(a.o, b.o));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.o.role, (counts.get(r.o.role) ?? 0) + 1);
  const wanted: HTMLElement[] = [];
  let role = '';
  for (const r of rows) {
    if (r.o.role !== role) {
      role = r.o.role;
      let hd = roleHeaders.get(role);
      if (!hd) roleHeaders.set(role, (hd = h('div', { class: 'occ-group', role: 'presentation' })));
      hd.textContent = `${ROLE_LABEL[r.o.role]} — ${counts.get(role)}`;
      wanted.push(hd);
    }
    wanted.push(r.el);
  }
  for (const [k, hd] of roleHeaders) if (!counts.has(k)) hd.remove();
  // Move only what is out of place.
  let cursor = occupantList.firstElementChild;
  for (const el of wanted) {
    if (el === cursor) cursor = cursor.nextElementSibling;
    else occupantList.insertBefore(el, cursor);
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    cursor.remove();
    cursor = next;
  }
  occupantsTitle.textContent = rows.length ? rows.length === 1 ? l10n.t('1 person in the room') : l10n.t('{0} people in the room', rows.length) : l10n.t('Nobody here (you are not in the room)');
}

// ---------------------------------------------------------------------------------------------
// Header, topic, room state

const STATE_TEXT: Record<RoomHeaderView['status'], string> = {
  joining: l10n.t('Joining…'),
  joined: l10n.t('In the room'),
  offline: l10n.t('Offline — you rejoin when connected'),
  left: l10n.t('Not in the room'),
  error: l10n.t('Not in the room'),
};

function renderHeader(hd: RoomHeaderView): void {
  const prev = head;
  head = hd;
  if (!room) return;
  nameEl.textContent = hd.name;
  nameEl.title = room.jid;
  jidEl.textContent = room.jid;
  const role = hd.status === 'joined' && hd.role !== 'none' ? ` as ${hd.nick} (${hd.role}${hd.affiliation !== 'none' ? `, ${hd.affiliation}` : ''})` : '';
  stateEl.textContent = `${STATE_TEXT[hd.status]}${role}`;
  bookmarkBox.checked = hd.bookmarked;
  autojoinBox.checked = hd.autojoin;
  autojoinBox.disabled = !hd.bookmarked;
  autojoinLabel.classList.toggle('disabled', !hd.bookmarked);
  const inside = hd.status === 'joined';
  const busy = hd.status === 'joining';
  leaveButton.textContent = inside || busy ? l10n.t('Leave') : l10n.t('Join');
  leaveButton.title = inside || busy ? l10n.t('Leave the room (others see you go)') : l10n.t('Enter the room again');
  inviteButton.toggleAttribute('disabled', !inside);

  // Topic: shown as text, editable when the room lets us.
  if (topicInput.hidden) {
    topicText.textContent = hd.subject ? hd.subject : l10n.t('No topic');
    topicText.classList.toggle('none', !hd.subject);
    topicText.title = hd.subject ?? '';
    topicBy.textContent = hd.subject && hd.subjectBy ? l10n.t('— set by {0}', hd.subjectBy) : '';
  }
  topicEdit.hidden = !hd.canSetSubject || !topicInput.hidden;

  // Why we are not in the room, in plain words, with the way back in.
  if (hd.status === 'error' || hd.status === 'left') {
    replaceChildren(
      roomBar,
      icon(hd.status === 'error' ? 'error' : 'info'),
      h('span', { class: 'room-bar-text' }, hd.status === 'error' ? hd.error ?? l10n.t('You are not in the room.') : l10n.t('You are not in this room.')),
      hd.connection === 'online' ? h('vscode-button', { appearance: 'secondary', on: { click: () => void request('rejoin', {}, l10n.t('Could not join')) } }, l10n.t('Join again')) : null,
    );
    roomBar.className = `room-bar bar-${hd.status}`;
    roomBar.hidden = false;
  } else roomBar.hidden = true;

  if (hd.connection === 'online') connectionBar.hidden = true;
  else {
    replaceChildren(connectionBar, icon('debug-disconnect'), h('span', null, l10n.t('{0} — the room is not reachable until you are signed in.', connectionLabel(hd.connection))));
    connectionBar.className = 'connection-bar';
    connectionBar.hidden = false;
  }

  textarea.disabled = !inside;
  sendButton.toggleAttribute('disabled', !inside);
  textarea.placeholder = inside ? l10n.t('Message {0}', hd.name) : busy ? l10n.t('Joining the room…') : l10n.t('You are not in the room');
  if (prev && prev.status !== hd.status) announce(`${hd.name}: ${STATE_TEXT[hd.status]}${hd.status === 'error' && hd.error ? `. ${hd.error}` : ''}`);
  if (prev && prev.subject !== hd.subject && hd.subject) announce(l10n.t('Topic: {0}', hd.subject.slice(0, 200)));
}

function editTopic(): void {
  if (!head?.canSetSubject) return;
  topicInput.value = head.subject ?? '';
  topicInput.hidden = false;
  topicText.hidden = true;
  topicBy.hidden = true;
  topicEdit.hidden = true;
  topicInput.focus();
  topicInput.select();
}

function closeTopic(): void {
  topicInput.hidden = true;
  topicText.hidden = false;
  topicBy.hidden = false;
  if (head) renderHeader(head);
}

topicInput.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    e.preventDefault();
    closeTopic();
  } else if (e.key === 'Enter' && !e.isComposing) {
    e.preventDefault();
    const subject = topicInput.value;
    closeTopic();
    if (subject !== (head?.subject ?? '')) void request('setSubject', { subject }, l10n.t('The topic was not changed'));
  }
});
topicInput.addEventListener('blur', () => {
  if (!topicInput.hidden) closeTopic();
});

async function setBookmark(): Promise<void> {
  const bookmarked = bookmarkBox.checked;
  const autojoin = bookmarked && autojoinBox.checked;
  autojoinBox.disabled = !bookmarked;
  await request('bookmark', { bookmarked, autojoin }, l10n.t('The bookmark was not saved'));
}

async function leaveOrJoin(): Promise<void> {
  if (!head) return;
  if (head.status === 'joined' || head.status === 'joining') await request('leave', {}, l10n.t('Could not leave'));
  else await request('rejoin', {}, l10n.t('Could not join'));
}

// ---------------------------------------------------------------------------------------------
// Composer

function autosize(): void {
  shared.autosize(textarea, 0.3);
}

function updateCounter(): boolean {
  return shared.updateCounter(textarea, counter);
}

let draftTimer: ReturnType<typeof setTimeout> | undefined;

async function send(): Promise<void> {
  const text = textarea.value;
  if (!room || !text.trim() || head?.status !== 'joined') return;
  await shared.sendComposed({ textarea, autosize, updateCounter, systemLine }, text, {
    cleared: () => {
      clearTimeout(draftTimer);
      saveState<ViewState>({ draft: '' });
    },
    send: async () => {
      await ipc.request('send', { text });
    },
  });
}

shared.sendOnEnter(textarea, () => void send());
textarea.addEventListener('input', () => {
  autosize();
  updateCounter();
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => saveState<ViewState>({ draft: textarea.value }), 300);
});

scroller.addEventListener(
  'scroll',
  () => {
    if (scroller.scrollTop < 400 && windowStart > 0) showEarlier();
    if (atBottom()) jump.seen();
  },
  { passive: true },
);

// ---------------------------------------------------------------------------------------------
// Start

ipc.onNotification('message', (m) => {
  if (room) queueMessage(m);
});
ipc.onNotification('header', (hd) => renderHeader(hd));
ipc.onNotification('occupant', ({ occupant, oldNick }) => setOccupant(occupant, oldNick));
ipc.onNotification('occupantLeft', ({ nick }) => removeOccupant(nick));
ipc.onNotification('occupants', (all) => resetOccupants(all));

function start(): void {
  ipc.ready().then(
    (state) => {
      room = state;
      saveState<ViewState>({ account: state.account, jid: state.jid });
      messages = state.messages.slice(-MAX_MESSAGES);
      reindex();
      renderHeader(state);
      renderAll();
      resetOccupants(state.occupants);
      layoutOccupants();
      if (viewState.draft && !textarea.value) {
        textarea.value = viewState.draft;
        autosize();
        updateCounter();
      }
      jump.scrollToBottom();
      document.body.classList.add('loaded');
    },
    (err: Error) => {
      replaceChildren(roomBar, icon('error'), h('span', null, l10n.t('Could not load the room: {0}', err.message)), h('vscode-button', { appearance: 'secondary', on: { click: start } }, l10n.t('Retry')));
      roomBar.className = 'room-bar bar-error';
      roomBar.hidden = false;
    },
  );
}

nameEl.textContent = l10n.t('Loading…');
textarea.focus();
start();

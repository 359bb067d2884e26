/**
 * Chat panel: one editor panel per contact (after Jitsi Desktop's chat window).
 *
 * Long histories: the `ready` result carries only the newest page of history; older pages are
 * asked for (`earlier`) when the user scrolls near the top, kept in memory as data and turned
 * into DOM a page at a time. A 10,000-message history then opens as fast as a short one.
 * Everything shown from the network goes through segmentText() into text nodes.
 */
// The toolkit (the padlock's and Send's buttons) is a bundle of its own, loaded after the first
// paint of the conversation: its evaluation was ~20 ms of this bundle's start (lateToolkit.ts,
// docs/benchmarks.md). Until then a <vscode-button> is styled to look the same (common.css).
import { loadToolkit, loadToolkitAfterPaint } from '../shared/lateToolkit';
import {
  CHAT_PAGE,
  type ChatNotifications,
  type ChatRequests,
  type ChatState,
  type ChatState0,
  type CodeAction,
  type ConnectionState,
  type MessageStatus,
  type MessageView,
  type OtrPolicyView,
  type OtrView,
  type PresenceShow,
  type SystemAction,
} from '../../src/shared/protocol';
import { announce, append, h, icon, replaceChildren } from '../shared/dom';
import { findCodeBlocks, type CodeBlock } from '../../src/core/snippet';
import { isHighlighted, languageLabel, showControls, tokenizeLine, type LineState, type Token } from '../shared/highlight';
import { createWebviewIpc, loadState, saveState } from '../shared/ipc';
import { showMenu, type MenuItem } from '../shared/menu';
import {
  ACTION_ICON,
  POLICY_HINT,
  POLICY_LABEL,
  UNAVAILABLE,
  actionLabel,
  composerNotice,
  historyLabel,
  isPrivate,
  mayPersistDraft,
  padlockAccessibleName,
  padlockActions,
  padlockLook,
  padlockTooltip,
  type OtrViewExt,
} from './otr';
import { GROUP_GAP_MS, PRESENCE_ICON, PRESENCE_LABEL, connectionLabel, sameDay } from '../shared/render';
import { renderTextBody } from '../shared/textBody';
import { l10n } from '../shared/l10n';
import * as shared from '../shared/conversation';

const ipc = createWebviewIpc<ChatRequests, ChatNotifications>();

/** Messages turned into DOM per page (first paint and each "load earlier"), as the host pages them. */
const PAGE = CHAT_PAGE;
/** XEP-0085 §5.2: "paused" after the user stops typing for a while; 5 s is what most clients use. */
const PAUSE_AFTER_MS = 5000;

/**
 * What survives hiding/reloading the panel. Only view state: the scroll offset and the draft.
 * The draft is the user's own unsent text of this (not yet private) chat; once OTR lands, a
 * private conversation must not persist it (see `persistDraft`).
 */
interface ViewState {
  /** Which chat this is, so the host can restore the panel after a window reload (no content). */
  account?: string;
  jid?: string;
  draft: string;
  /** Distance from the bottom in px; undefined = stuck to the bottom. */
  fromBottom?: number;
}
const viewState = loadState<ViewState>({ draft: '' });
/** False while the conversation is (meant to be) private: its plaintext must not land in webview state. */
let persistDraft = true;

// ---------------------------------------------------------------------------------------------
// Layout

const app = document.getElementById('app')!;

const presenceIcon = icon('circle-outline', undefined, 'presence');
const nameEl = h('h1', { class: 'contact-name' });
const jidEl = h('span', { class: 'contact-jid' });
const presenceText = h('span', { class: 'presence-text' });
const statusEl = h('span', { class: 'status-text' });
// The OTR padlock (Jitsi's "Encrypt chat with OTR" button): its look, tooltip and accessible
// name follow the conversation's state (renderOtr); a click opens the private-conversation menu.
const padlockGlyph = h('span', { class: 'padlock-glyph', 'aria-hidden': 'true' }, icon('unlock'));
const padlock = h(
  'vscode-button',
  {
    id: 'padlock',
    appearance: 'icon',
    title: l10n.t('Not private'),
    'aria-label': l10n.t('Private conversation: Not private'),
    'aria-haspopup': 'menu',
    on: { click: () => openPadlockMenu() },
  },
  padlockGlyph,
);
const otrLabel = h('span', { class: 'otr-label' }, l10n.t('Not private'));
const otrHistory = h('span', { class: 'otr-history', hidden: true });
const otrStatus = h('div', { class: 'otr-status', 'aria-hidden': 'true' }, otrLabel, otrHistory);
const header = h(
  'header',
  { class: 'chat-header' },
  presenceIcon,
  h('div', { class: 'who' }, nameEl, h('div', { class: 'sub' }, jidEl, h('span', { class: 'sep', 'aria-hidden': 'true' }, '·'), presenceText, statusEl)),
  h('div', { class: 'header-actions' }, otrStatus, padlock),
);
const connectionBar = h('div', { class: 'connection-bar', role: 'status', hidden: true });

const loadEarlier = h(
  'div',
  { class: 'load-earlier', hidden: true },
  h('button', { class: 'text-button', on: { click: () => showEarlier() } }, l10n.t('Load earlier messages')),
);
const list = h('div', { class: 'messages', role: 'list' });
const scroller = h('main', { class: 'scroller', tabindex: '0', 'aria-label': l10n.t('Conversation') }, loadEarlier, list);
const jump = new shared.JumpToLatest(scroller);
const typingLine = h('div', { class: 'typing', 'aria-hidden': 'true' });

const textarea = h('textarea', {
  class: 'composer-input',
  rows: 1,
  'aria-label': l10n.t('Message'),
  'aria-describedby': 'composer-hint',
  spellcheck: 'true',
});
const counter = h('span', { class: 'counter', 'aria-live': 'polite' });
const sendButton = h('vscode-button', { class: 'send', title: l10n.t('Send (Enter)'), on: { click: () => void send() } }, l10n.t('Send'));
/** Why messages wait (contact ended the private conversation, required policy, ...). Text only; the typed text stays. */
const composerNote = h('div', { class: 'composer-note', role: 'status', hidden: true });
const composer = h(
  'footer',
  { class: 'composer' },
  textarea,
  h('div', { class: 'composer-side' }, sendButton, counter),
  h('span', { id: 'composer-hint', class: 'visually-hidden' }, l10n.t('Enter sends, Shift+Enter starts a new line.')),
);

app.append(header, connectionBar, h('div', { class: 'scroll-area' }, scroller, jump.button), typingLine, composerNote, composer);

// ---------------------------------------------------------------------------------------------
// Model

let chat: ChatState0 | undefined;
let messages: MessageView[] = [];
/** Index of the first message that is in the DOM. */
let windowStart = 0;
/** The host has older history than messages[0] (asked for with `earlier`). */
let hasEarlier = false;
/** The `earlier` request in flight. */
let fetching: Promise<void> | undefined;
const indexById = new Map<string, number>();
const elementById = new Map<string, HTMLElement>();
let localIds = 0;

function contactName(): string {
  return chat?.name || chat?.jid || l10n.t('Contact');
}

// ---------------------------------------------------------------------------------------------
// Message rendering

const STATUS: Record<MessageStatus, { icon: string; label: string }> = {
  queued: { icon: 'clock', label: l10n.t('Queued: will be sent when connected') },
  sent: { icon: 'check', label: l10n.t('Sent') },
  delivered: { icon: 'check-all', label: l10n.t('Delivered') },
  failed: { icon: 'error', label: l10n.t('Failed to send') },
};

function statusIcon(status: MessageStatus): HTMLElement {
  const s = STATUS[status];
  return icon(s.icon, s.label, `msg-status status-${status}`);
}


/**
 * Body of a message. Closed ```fenced``` code blocks (src/core/snippet.ts findCodeBlocks, the
 * same lookup the host uses for the block actions) are drawn as code blocks with a header,
 * highlighting and actions; the text around them as before.
 */
function renderBody(text: string, messageId?: string): HTMLElement {
  const blocks = findCodeBlocks(text);
  if (!blocks.length) return renderTextBody(text);
  const body = h('div', { class: 'msg-body has-code' });
  let pos = 0;
  blocks.forEach((b, i) => {
    appendTextPart(body, text.slice(pos, b.start).replace(/\r?\n$/, ''));
    body.appendChild(renderCodeBlock(b, i, messageId));
    pos = b.end;
  });
  appendTextPart(body, text.slice(pos).replace(/^\r?\n/, ''));
  return body;
}

function appendTextPart(body: HTMLElement, text: string): void {
  if (!text) return;
  const part = renderTextBody(text);
  part.className = 'msg-part';
  body.appendChild(part);
}

/** Lines shown before "Show all N lines". */
const CODE_PREVIEW_LINES = 30;
/** Lines highlighted at most per block; the rest stays plain text (still readable, copyable). */
const HIGHLIGHT_MAX_LINES = 3000;
/** Lines tokenized per slice of idle work. */
const HIGHLIGHT_CHUNK = 150;

const ACTIONS: { action: CodeAction; icon: string; label: string }[] = [
  { action: 'copy', icon: 'copy', label: l10n.t('Copy') },
  { action: 'insert', icon: 'insert', label: l10n.t('Insert at Cursor') },
  { action: 'open', icon: 'go-to-file', label: l10n.t('Open in New Editor') },
  { action: 'saveAs', icon: 'save-as', label: l10n.t('Save As…') },
];

function renderCodeBlock(b: CodeBlock, index: number, messageId: string | undefined): HTMLElement {
  const lines = b.code.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const label = languageLabel(b.languageId, b.fence);
  const where = [b.fileName, b.startLine ? (b.endLine && b.endLine > b.startLine ? l10n.t('lines {0}–{1}', b.startLine, b.endLine) : l10n.t('line {0}', b.startLine)) : undefined]
    .filter(Boolean)
    .join(', ');
  const code = h('code', { class: 'code-text', 'data-lang': b.languageId });
  const pre = h('pre', { class: 'code-pre', tabindex: '0', 'aria-label': where ? l10n.t('{0} code, {1}', label, where) : l10n.t('{0} code', label) }, code);
  const actions = messageId
    ? h(
        'div',
        { class: 'code-actions', role: 'toolbar', 'aria-label': l10n.t('Code actions') },
        ...ACTIONS.map((a) =>
          h(
            'button',
            {
              class: ['code-action', `code-action-${a.action}`],
              type: 'button',
              title: a.label,
              'aria-label': a.label,
              on: { click: () => void codeAction(messageId, index, a.action, a.label) },
            },
            icon(a.icon),
          ),
        ),
      )
    : null;
  const header = h(
    'div',
    { class: 'code-header' },
    h('span', { class: 'code-lang' }, label),
    b.fileName ? h('span', { class: 'code-file', title: b.fileName }, b.fileName) : null,
    b.startLine ? h('span', { class: 'code-range' }, b.endLine && b.endLine > b.startLine ? l10n.t('lines {0}–{1}', b.startLine, b.endLine) : l10n.t('line {0}', b.startLine)) : null,
    h('span', { class: 'code-count' }, lines.length === 1 ? l10n.t('1 line') : l10n.t('{0} lines', lines.length.toLocaleString())),
    actions,
  );
  const block = h('div', { class: ['code-block', 'snippet'], 'data-block': String(index) }, header, pre);
  const long = lines.length > CODE_PREVIEW_LINES;
  let shown = long ? CODE_PREVIEW_LINES : lines.length;
  fillCode(code, lines, shown, b.languageId);
  if (long) {
    const toggle = h('button', { class: 'text-button show-all code-toggle', type: 'button', 'aria-expanded': 'false' }, l10n.t('Show all {0} lines', lines.length.toLocaleString()));
    toggle.addEventListener('click', () => {
      shown = shown < lines.length ? lines.length : CODE_PREVIEW_LINES;
      fillCode(code, lines, shown, b.languageId);
      const all = shown === lines.length;
      toggle.textContent = all ? l10n.t('Show less') : l10n.t('Show all {0} lines', lines.length.toLocaleString());
      toggle.setAttribute('aria-expanded', String(all));
      block.classList.toggle('expanded', all);
    });
    block.appendChild(toggle);
  }
  return block;
}

/**
 * Puts the first `count` lines into `code`: at once as plain text (control characters made
 * visible), then highlighted in slices of idle time, so a 64 KB or 10,000-line block never
 * blocks the panel. Lines past HIGHLIGHT_MAX_LINES stay plain.
 */
function fillCode(code: HTMLElement, lines: string[], count: number, languageId: string): void {
  const job = (code as HTMLElement & { padlockJob?: { cancelled: boolean } }).padlockJob;
  if (job) job.cancelled = true;
  code.replaceChildren();
  const visible = lines.slice(0, count);
  const limit = isHighlighted(languageId) ? Math.min(visible.length, HIGHLIGHT_MAX_LINES) : 0;
  // One plain chunk per HIGHLIGHT_CHUNK lines; each is replaced by its highlighted version in turn.
  const chunks: HTMLElement[] = [];
  for (let i = 0; i < visible.length; i += HIGHLIGHT_CHUNK) {
    const slice = visible.slice(i, i + HIGHLIGHT_CHUNK);
    const last = i + HIGHLIGHT_CHUNK >= visible.length;
    const chunk = h('span', { class: 'code-chunk' });
    appendPieces(chunk, showControls([{ text: slice.join('\n') + (last ? '' : '\n') }]));
    chunks.push(chunk);
  }
  code.append(...chunks);
  if (!limit) return;
  const state = { cancelled: false };
  (code as HTMLElement & { padlockJob?: { cancelled: boolean } }).padlockJob = state;
  let lineState: LineState = 0;
  let chunkIndex = 0;
  schedule(() => {
    if (state.cancelled || !code.isConnected) return false;
    const from = chunkIndex * HIGHLIGHT_CHUNK;
    if (from >= limit) return false;
    const to = Math.min(from + HIGHLIGHT_CHUNK, visible.length);
    const fresh = h('span', { class: 'code-chunk' });
    for (let i = from; i < to; i++) {
      if (i < limit) {
        const r = tokenizeLine(visible[i]!, languageId, lineState);
        lineState = r.state;
        appendPieces(fresh, showControls(r.tokens));
      } else appendPieces(fresh, showControls([{ text: visible[i]! }]));
      if (i < visible.length - 1) fresh.appendChild(document.createTextNode('\n'));
    }
    chunks[chunkIndex]!.replaceWith(fresh);
    chunks[chunkIndex] = fresh;
    chunkIndex++;
    return from + HIGHLIGHT_CHUNK < limit;
  });
}

/** Tokens as DOM: plain text nodes, and spans with a fixed class and text content. */
function appendPieces(target: HTMLElement, tokens: Token[]): void {
  for (const t of tokens) {
    if (!t.cls) target.appendChild(document.createTextNode(t.text));
    else {
      const span = h('span', { class: `tok-${t.cls}` }, t.text);
      if (t.cls === 'control') span.title = l10n.t('Control character {0}, shown escaped', controlCode(t.text));
      target.appendChild(span);
    }
  }
}

/** "U+001B" for the picture of a control character (see highlight.ts controlPicture). */
function controlCode(picture: string): string {
  const c = picture.charCodeAt(0);
  const code = c >= 0x2400 && c <= 0x241f ? c - 0x2400 : c === 0x2421 ? 0x7f : -1;
  return code >= 0 ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : picture.replace(/[\u27e8\u27e9]/g, '');
}

/** Idle-time work queue: each job does one slice and says whether it has more. */
const jobs: (() => boolean)[] = [];
let pumping = false;
function schedule(job: () => boolean): void {
  jobs.push(job);
  if (!pumping) {
    pumping = true;
    setTimeout(pump, 0);
  }
}
function pump(): void {
  const t0 = performance.now();
  while (jobs.length && performance.now() - t0 < 12) {
    const job = jobs[0]!;
    let more = false;
    try {
      more = job();
    } catch {
      more = false;
    }
    if (!more) jobs.shift();
    else jobs.push(jobs.shift()!); // round robin: one big block does not starve the others
  }
  if (jobs.length) setTimeout(pump, 0);
  else pumping = false;
}

async function codeAction(messageId: string, block: number, action: CodeAction, label: string): Promise<void> {
  try {
    await ipc.request('codeAction', { messageId, block, action });
    if (action === 'copy') announce(l10n.t('Copied to the clipboard.'));
  } catch (err) {
    systemLine(l10n.t('{0} did not work: {1}', label, (err as Error).message), 'error');
  }
}


function isContinuation(i: number): boolean {
  const m = messages[i]!;
  const p = messages[i - 1];
  return !!p && p.direction === m.direction && m.direction !== 'system' && m.ts - p.ts < GROUP_GAP_MS && sameDay(p.ts, m.ts);
}

function renderMessage(i: number): HTMLElement {
  const m = messages[i]!;
  if (m.direction === 'system') return shared.systemRow(m, renderBody(m.text), m.action ? actionButton(m.action.label, m.action.command) : null);
  const own = m.direction === 'out';
  const sender = own ? l10n.t('Me') : contactName();
  const cont = isContinuation(i);
  const el = h('div', {
    class: ['msg', own ? 'msg-out' : 'msg-in', cont && 'continued', m.status === 'failed' && 'msg-failed'],
    role: 'listitem',
    'data-id': m.id,
  });
  // The sender is written out on every message for screen readers, shown once per run on screen.
  const meta = h(
    'div',
    { class: 'msg-meta' },
    h('span', { class: ['sender', cont && 'visually-hidden'], title: own ? chat?.accountJid : chat?.jid }, sender),
    shared.timeElement(m.ts),
    m.private ? icon('lock-small', l10n.t('Private (encrypted with OTR)'), 'msg-private') : null,
    own && m.status ? statusIcon(m.status) : null,
  );
  el.append(meta, renderBody(m.text, m.id.startsWith('local-') ? undefined : m.id));
  return el;
}

/** DOM for messages [from, to), with day separators. */
function renderRange(from: number, to: number): DocumentFragment {
  return shared.renderRange(messages, from, to, renderMessage, elementById, false);
}

function updateLoadEarlier(): void {
  loadEarlier.hidden = windowStart === 0 && !hasEarlier;
}

/** Asks the host for the page before messages[0]; resolves when it is in `messages` (not yet in the DOM). */
function fetchEarlier(): Promise<void> {
  if (fetching) return fetching;
  const before = messages.find((m) => !m.id.startsWith('local-'))?.id;
  if (!hasEarlier || !before) return Promise.resolve();
  fetching = ipc
    .request('earlier', { before, limit: PAGE })
    .then(
      (r) => {
        const older = r.messages.filter((m) => !indexById.has(m.id));
        messages = older.concat(messages);
        windowStart += older.length;
        hasEarlier = r.hasEarlier && older.length > 0;
        reindex();
      },
      (err: Error) => systemLine(l10n.t('Earlier messages could not be loaded: {0}', err.message), 'warning'),
    )
    .finally(() => {
      fetching = undefined;
      updateLoadEarlier();
    });
  return fetching;
}

function distanceFromBottom(): number {
  return shared.distanceFromBottom(scroller);
}
function atBottom(): boolean {
  return shared.atBottom(scroller);
}

/** Adds the previous page above what is shown, keeping what the user looks at in place. */
function showEarlier(count = PAGE): void {
  if (windowStart === 0) {
    // Not loaded yet: ask the host, then show it if the user is still near the top.
    if (hasEarlier) void fetchEarlier().then(() => windowStart > 0 && scroller.scrollTop < 400 && showEarlier());
    return;
  }
  const from = Math.max(0, windowStart - count);
  const keep = scroller.scrollHeight - scroller.scrollTop;
  // The first shown message's day separator is rebuilt with the new page when it is the same day.
  const first = list.firstElementChild;
  if (first?.classList.contains('day') && sameDay(messages[windowStart - 1]!.ts, messages[windowStart]!.ts)) first.remove();
  // Its "continued" look depends on the message before it, which is now shown.
  const firstMsg = messages[windowStart]!;
  const oldEl = elementById.get(firstMsg.id);
  const frag = renderRange(from, windowStart);
  const prevStart = windowStart;
  windowStart = from;
  list.insertBefore(frag, list.firstChild);
  if (oldEl) {
    const fresh = renderMessage(prevStart);
    oldEl.replaceWith(fresh);
    elementById.set(firstMsg.id, fresh);
  }
  updateLoadEarlier();
  scroller.scrollTop = scroller.scrollHeight - keep;
}

/** Messages built for the first paint: more than the tallest panel shows. The rest of the page follows in idle time. */
const FIRST_SCREEN = 40;

function renderAll(): void {
  list.replaceChildren();
  elementById.clear();
  windowStart = Math.max(0, messages.length - FIRST_SCREEN);
  list.appendChild(renderRange(windowStart, messages.length));
  updateLoadEarlier();
  // The rest of the page is already here as data: build it while the user reads, keeping what
  // they look at in place (showEarlier), so scrolling up does not wait for it.
  const fill = () => windowStart > 0 && messages.length - windowStart < PAGE && showEarlier(PAGE - (messages.length - windowStart));
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fill, { timeout: 500 });
  else setTimeout(fill, 50);
}

function reindex(): void {
  indexById.clear();
  messages.forEach((m, i) => indexById.set(m.id, i));
}

/** A new line, or an update of one we have (the host may echo our own message after `send`). */
function upsert(m: MessageView): void {
  const i = indexById.get(m.id);
  if (i !== undefined) {
    messages[i] = m;
    const old = elementById.get(m.id);
    if (old) {
      const fresh = renderMessage(i);
      old.replaceWith(fresh);
      elementById.set(m.id, fresh);
    }
    return;
  }
  const stick = atBottom();
  messages.push(m);
  indexById.set(m.id, messages.length - 1);
  list.appendChild(renderRange(messages.length - 1, messages.length));
  if (stick || m.direction === 'out') jump.scrollToBottom();
  else if (m.direction === 'in') jump.add(1);
}

function setStatus(id: string, status: MessageStatus): void {
  const i = indexById.get(id);
  if (i === undefined) return;
  messages[i] = { ...messages[i]!, status };
  const el = elementById.get(id);
  const old = el?.querySelector('.msg-status');
  const fresh = statusIcon(status);
  if (old) old.replaceWith(fresh);
  else el?.querySelector('.msg-meta')?.appendChild(fresh);
  el?.classList.toggle('msg-failed', status === 'failed');
  if (status === 'failed') announce(l10n.t('A message could not be sent.'));
}

function systemLine(text: string, level: 'info' | 'warning' | 'error'): void {
  upsert({ id: `local-${++localIds}`, direction: 'system', text, ts: Date.now(), level });
  if (level !== 'info') announce(text);
}

// ---------------------------------------------------------------------------------------------
// Header

function renderHeader(name: string, presence: PresenceShow, status: string | undefined, connection: ConnectionState): void {
  if (!chat) return;
  chat = { ...chat, name, presence, status, connection };
  nameEl.textContent = name;
  nameEl.title = chat.jid;
  jidEl.textContent = chat.jid;
  presenceIcon.className = `codicon codicon-${PRESENCE_ICON[presence]} presence presence-${presence}`;
  presenceIcon.setAttribute('role', 'img');
  presenceIcon.setAttribute('aria-label', PRESENCE_LABEL[presence]);
  presenceIcon.removeAttribute('aria-hidden');
  presenceIcon.title = PRESENCE_LABEL[presence];
  presenceText.textContent = PRESENCE_LABEL[presence];
  statusEl.textContent = status ? `— ${status}` : '';
  statusEl.title = status ?? '';
  textarea.setAttribute('aria-label', l10n.t('Message to {0}', name));
  textarea.placeholder = l10n.t('Message {0}', name);

  if (connection === 'online') {
    connectionBar.hidden = true;
  } else {
    const spin = connection === 'connecting' || connection === 'reconnecting';
    replaceChildren(
      connectionBar,
      icon(connection === 'error' ? 'error' : connection === 'signedOut' ? 'debug-disconnect' : 'sync', undefined, spin ? 'codicon-modifier-spin' : undefined),
      h('span', null, l10n.t('{0} — messages will be sent when connected.', connection === 'signedOut' || connection === 'error' ? l10n.t('Offline') : connectionLabel(connection))),
    );
    connectionBar.className = `connection-bar conn-${connection}`;
    connectionBar.hidden = false;
  }
}

function renderTheirState(state: ChatState | undefined): void {
  const name = contactName();
  const text = state === 'composing' ? l10n.t('{0} is typing…', name) : state === 'paused' ? l10n.t('{0} has stopped typing.', name) : state === 'gone' ? l10n.t('{0} has left the conversation.', name) : '';
  typingLine.textContent = text;
  typingLine.classList.toggle('active', state === 'composing');
}

// ---------------------------------------------------------------------------------------------
// Private conversation (OTR): the padlock, its menu, action links and the composer notice

let otr: OtrViewExt | undefined;

/** Sends a padlock / system-line action; a refusal is shown as an error line. */
function runOtr(action: SystemAction): void {
  ipc.request('otr', { action }).catch((err: Error) => systemLine(l10n.t('{0} failed: {1}', actionLabel(action, contactName()).replace(/…$/, ''), err.message), 'error'));
}

function setPolicy(policy: OtrPolicyView | 'default'): void {
  ipc.request('otrPolicy', { policy }).catch((err: Error) => systemLine(l10n.t('The policy was not changed: {0}', err.message), 'error'));
}

/** A link-styled button (text only) on a system line, e.g. "Authenticate Ada". */
function actionButton(label: string, action: SystemAction): HTMLElement {
  return h('button', { class: 'text-button system-action', on: { click: () => runOtr(action) } }, label);
}

function openPadlockMenu(): void {
  if (!otr) return;
  if (!otr.available) return announce(UNAVAILABLE);
  const name = contactName();
  const items: MenuItem[] = padlockActions(otr).map((action) => ({
    label: actionLabel(action, name),
    icon: ACTION_ICON[action],
    run: () => runOtr(action),
  }));
  // No override: the contact follows the default.
  const override: OtrPolicyView | 'default' = otr.policyOverride ?? 'default';
  const policies: Array<OtrPolicyView | 'default'> = ['default', 'manual', 'opportunistic', 'required'];
  const checked: boolean[] = [];
  for (const p of policies) {
    const on = override === p;
    checked.push(on);
    items.push({
      label: p === 'default' ? (otr.defaultPolicy ? l10n.t('Policy: Use default ({0})', POLICY_LABEL[otr.defaultPolicy]) : l10n.t('Policy: Use default')) : l10n.t('Policy: {0}', POLICY_LABEL[p]),
      icon: on ? 'check' : undefined,
      run: () => setPolicy(p),
    });
  }
  showMenu(items, padlock, l10n.t('Private conversation'));
  // The policy entries are a radio group for assistive technology (menu.ts draws plain items).
  const entries = document.querySelectorAll<HTMLElement>('.menu[role="menu"] > .menu-item');
  const first = entries.length - policies.length;
  entries.forEach((el, i) => {
    if (i < first) return;
    el.setAttribute('role', 'menuitemradio');
    el.setAttribute('aria-checked', String(checked[i - first] ?? false));
    const p = policies[i - first];
    if (p && p !== 'default') el.title = `${POLICY_LABEL[p]}: ${POLICY_HINT[p]}`;
    if (i === first) el.classList.add('menu-separated');
  });
}

function renderOtr(next: OtrView): void {
  const prev = otr;
  otr = next;
  const name = contactName();
  const look = padlockLook(next, name);
  replaceChildren(
    padlockGlyph,
    icon(look.icon, undefined, look.spin ? 'codicon-modifier-spin' : undefined),
    look.badge ? icon(look.badge === 'warning' ? 'warning' : 'circle-slash', undefined, `padlock-badge badge-${look.badge}`) : null,
  );
  padlock.className = `otr-${look.tone}`;
  const history = isPrivate(next) ? historyLabel(next) : '';
  padlock.title = padlockTooltip(next, name);
  padlock.setAttribute('aria-label', padlockAccessibleName(next, name));
  // Not `disabled`: a disabled button drops out of the tab order, and keyboard and screen-reader
  // users would never learn why there is no padlock. It stays focusable and says so.
  if (next.available) padlock.removeAttribute('aria-disabled');
  else padlock.setAttribute('aria-disabled', 'true');
  otrLabel.textContent = next.available ? look.label : '';
  otrLabel.className = `otr-label otr-${look.tone}`;
  otrHistory.textContent = history;
  otrHistory.hidden = !history;
  otrStatus.hidden = !next.available;

  // Composer notice: why messages wait. The text box stays as it is.
  const note = composerNotice(next, name);
  if (note) {
    replaceChildren(
      composerNote,
      icon(note.level === 'warning' ? 'warning' : 'info'),
      h('span', { class: 'composer-note-text' }, note.text),
      ...note.actions.map((a) => actionButton(actionLabel(a, name), a)),
    );
    composerNote.className = `composer-note note-${note.level}`;
  }
  composerNote.hidden = !note;

  // Private plaintext must not be written to webview state: drop a stored draft at once.
  const persist = mayPersistDraft(next);
  if (persistDraft && !persist) {
    clearTimeout(draftTimer);
    saveState<ViewState>({ draft: '' });
  }
  persistDraft = persist;

  if (prev && prev.state !== next.state && next.available) announce(look.label);
}

// ---------------------------------------------------------------------------------------------
// Composer and our chat state (XEP-0085 §5: active -> composing -> paused/active)

let myState: ChatState = 'active';
let pauseTimer: ReturnType<typeof setTimeout> | undefined;

/** Sends a state only on a transition, never on each keystroke. */
function setMyState(state: ChatState): void {
  if (state === myState) return;
  myState = state;
  ipc.request('chatState', { state }).catch((err: Error) => console.warn('[padlock] chatState failed', err.message));
}

function onTyping(): void {
  clearTimeout(pauseTimer);
  if (textarea.value.length === 0) {
    // Deleted everything: no longer composing.
    if (myState === 'composing' || myState === 'paused') setMyState('active');
    return;
  }
  setMyState('composing');
  pauseTimer = setTimeout(() => setMyState('paused'), PAUSE_AFTER_MS);
}

function autosize(): void {
  shared.autosize(textarea, 0.4);
}

function updateCounter(): boolean {
  return shared.updateCounter(textarea, counter);
}

let draftTimer: ReturnType<typeof setTimeout> | undefined;
function saveDraftSoon(): void {
  if (!persistDraft) return;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => saveState<ViewState>({ draft: textarea.value }), 300);
}

async function send(): Promise<void> {
  const text = textarea.value;
  // Before the handshake there is no conversation to send to; whitespace-only is not a message.
  if (!chat || !text.trim()) return;
  await shared.sendComposed({ textarea, autosize, updateCounter, systemLine }, text, {
    cleared: () => {
      clearTimeout(pauseTimer);
      if (persistDraft) saveState<ViewState>({ draft: '' });
    },
    send: async () => {
      const { id } = await ipc.request('send', { text });
      // The host normally posts the message itself; if its notification has not come (yet), show ours.
      if (!indexById.has(id)) upsert({ id, direction: 'out', text, ts: Date.now(), status: 'queued' });
      // XEP-0085 §5.5: after a message the user is "active" again.
      setMyState('active');
    },
    restored: () => {
      saveDraftSoon();
      onTyping(); // still composing: restarts the pause timer
    },
  });
}

shared.sendOnEnter(textarea, () => void send());
textarea.addEventListener('input', () => {
  autosize();
  updateCounter();
  onTyping();
  saveDraftSoon();
});

// ---------------------------------------------------------------------------------------------
// Scrolling

let scrollSaveTimer: ReturnType<typeof setTimeout> | undefined;
scroller.addEventListener(
  'scroll',
  () => {
    if (scroller.scrollTop < 400 && (windowStart > 0 || hasEarlier)) showEarlier();
    if (atBottom()) jump.seen();
    clearTimeout(scrollSaveTimer);
    scrollSaveTimer = setTimeout(() => saveState<ViewState>({ fromBottom: atBottom() ? undefined : distanceFromBottom() }), 200);
  },
  { passive: true },
);

// Keep the bottom in view when the panel is resized (e.g. the composer grows).
let wasAtBottom = true;
new ResizeObserver(() => {
  if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
}).observe(scroller);
scroller.addEventListener('scroll', () => (wasAtBottom = atBottom()), { passive: true });

// ---------------------------------------------------------------------------------------------
// Start

ipc.onNotification('message', (m) => {
  if (!chat) return;
  upsert(m);
  if (m.direction === 'in') {
    // A message from them ends their "typing" (XEP-0085: a content message carries <active/>).
    renderTheirState(undefined);
    if (!document.hasFocus()) return;
    announce(`${contactName()}: ${m.text.slice(0, 300)}`);
  } else if (m.direction === 'system' && m.level && m.level !== 'info') {
    announce(m.text.slice(0, 300));
  }
});
ipc.onNotification('messageStatus', ({ id, status }) => setStatus(id, status));
ipc.onNotification('header', (d) => renderHeader(d.name, d.presence, d.status, d.connection));
ipc.onNotification('theirState', ({ state }) => renderTheirState(state));
ipc.onNotification('otr', (o) => {
  if (chat) chat = { ...chat, otr: o };
  renderOtr(o);
});

async function restoreScroll(): Promise<void> {
  const fromBottom = viewState.fromBottom;
  if (fromBottom === undefined) return jump.scrollToBottom();
  // Add pages until the saved offset exists again (bounded by the history length).
  const short = () => scroller.scrollHeight - scroller.clientHeight < fromBottom;
  while (short() && (windowStart > 0 || hasEarlier)) {
    if (windowStart === 0) {
      const had = messages.length;
      await fetchEarlier();
      if (messages.length === had) break;
    }
    showEarlier();
  }
  scroller.scrollTop = scroller.scrollHeight - scroller.clientHeight - fromBottom;
  wasAtBottom = atBottom();
}

function start(): void {
  ipc.ready().then(
    (state) => {
      chat = state;
      saveState<ViewState>({ account: state.account, jid: state.jid });
      messages = state.messages.slice();
      hasEarlier = state.hasEarlier === true;
      reindex();
      renderHeader(state.name, state.presence, state.status, state.connection);
      renderTheirState(state.theirState);
      // Before the draft is restored: a private conversation never restores one.
      renderOtr(state.otr);
      renderAll();
      if (persistDraft && viewState.draft && !textarea.value) {
        textarea.value = viewState.draft;
        autosize();
        updateCounter();
      }
      // `shown`: the conversation is on screen (what the benchmark's first paint waits for);
      // `loaded`: and its buttons are upgraded too (what the tests wait for before pressing keys).
      void restoreScroll().finally(() => {
        document.body.classList.add('shown');
        void loadToolkitAfterPaint().then(() => document.body.classList.add('loaded'));
      });
    },
    (err: Error) => {
      void loadToolkit();
      replaceChildren(
        connectionBar,
        icon('error'),
        h('span', null, l10n.t('Could not load the conversation: {0}', err.message)),
        h('vscode-button', { appearance: 'secondary', on: { click: start } }, l10n.t('Retry')),
      );
      connectionBar.className = 'connection-bar conn-error';
      connectionBar.hidden = false;
    },
  );
}

append(nameEl, l10n.t('Loading…'));
textarea.focus();
start();

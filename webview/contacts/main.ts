/**
 * Contacts sidebar view: accounts, their roster groups and contacts, and incoming
 * authorisation requests, as one WAI-ARIA tree (https://www.w3.org/WAI/ARIA/apg/patterns/treeview/).
 *
 * The tree is flat in the DOM (treeitems carry aria-level / aria-setsize / aria-posinset),
 * which ARIA allows and which makes a keyed diff trivial: each `state` notification builds the
 * list of visible rows, and only rows whose displayed data changed are rebuilt. Rows are plain
 * elements (a roster of 2,000 contacts must not mean 2,000 web components); the toolkit is only
 * used for the few buttons outside the tree, and registered after the first paint.
 */
// The toolkit (for the welcome's and the error bar's buttons) is a bundle of its own, loaded
// after the first paint: its evaluation cost the tree's first paint ~20 ms (lateToolkit.ts).
import { loadToolkit, loadToolkitAfterPaint } from '../shared/lateToolkit';
import type {
  AccountView,
  AuthRequestView,
  ContactAction,
  ContactsNotifications,
  ContactsRequests,
  ContactsState,
  ContactView,
  PresenceShow,
  RoomSummaryView,
  RoomTreeAction,
} from '../../src/shared/protocol';
import { announce, append, h, icon, replaceChildren } from '../shared/dom';
import { createWebviewIpc, loadState, saveState } from '../shared/ipc';
import { showMenu, type MenuItem } from '../shared/menu';
import { contactMenu } from './contactMenu';
import { CONNECTION_ICON, PRESENCE_ICON, PRESENCE_LABEL, connectionLabel, formatFull } from '../shared/render';
import { l10n } from '../shared/l10n';

const ipc = createWebviewIpc<ContactsRequests, ContactsNotifications>();

/** Roster items without a group are shown under this name (as Jitsi does). */
const DEFAULT_GROUP = l10n.t('Contacts');

interface ViewState {
  /** Keys of collapsed accounts / groups. Everything is expanded by default. */
  collapsed: string[];
}
const viewState = loadState<ViewState>({ collapsed: [] });
const collapsed = new Set(viewState.collapsed);

// ---------------------------------------------------------------------------------------------
// Rows

type Row =
  | { kind: 'account'; key: string; level: 1; account: AccountView; expanded: boolean }
  | { kind: 'group'; key: string; level: 2; account: AccountView; name: string; online: number; total: number; expanded: boolean }
  | { kind: 'requests'; key: string; level: 2; account: AccountView; count: number; expanded: boolean }
  | { kind: 'contact'; key: string; level: 3; account: AccountView; contact: ContactView }
  | { kind: 'request'; key: string; level: 3; account: AccountView; request: AuthRequestView }
  | { kind: 'empty'; key: string; level: 2; account: AccountView }
  | { kind: 'rooms'; key: string; level: 2; account: AccountView; count: number; unread: number; expanded: boolean }
  | { kind: 'room'; key: string; level: 3; account: AccountView; room: RoomSummaryView };

type Positioned = Row & { setsize: number; posinset: number };

/** Online contacts first (as Jitsi sorts), then by name. */
const PRESENCE_RANK: Record<PresenceShow, number> = { chat: 0, available: 0, away: 1, xa: 1, dnd: 1, offline: 2 };
const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function buildRows(state: ContactsState): Positioned[] {
  const rows: Positioned[] = [];
  const push = (r: Row, siblings: Row[]) => siblings.push(r);
  const top: Row[] = [];
  const children = new Map<Row, Row[]>();

  for (const account of state.accounts) {
    const aKey = `a\u0000${account.id}`;
    const aRow: Row = { kind: 'account', key: aKey, level: 1, account, expanded: !collapsed.has(aKey) };
    push(aRow, top);
    const level2: Row[] = [];
    children.set(aRow, level2);

    if (account.requests.length > 0) {
      const qKey = `q\u0000${account.id}`;
      const qRow: Row = { kind: 'requests', key: qKey, level: 2, account, count: account.requests.length, expanded: !collapsed.has(qKey) };
      level2.push(qRow);
      children.set(
        qRow,
        account.requests.map((request) => ({ kind: 'request', key: `r\u0000${account.id}\u0000${request.jid}`, level: 3, account, request })),
      );
    }

    // Group chat rooms (issue 6): one "Rooms" node per account, rooms by name.
    const roomList = [...(account.rooms ?? [])].sort((a, b) => collator.compare(a.name, b.name) || (a.jid < b.jid ? -1 : 1));
    if (roomList.length > 0) {
      const mKey = `m\u0000${account.id}`;
      const unread = roomList.reduce((n, r) => n + r.unread, 0);
      const mRow: Row = { kind: 'rooms', key: mKey, level: 2, account, count: roomList.length, unread, expanded: !collapsed.has(mKey) };
      level2.push(mRow);
      children.set(
        mRow,
        roomList.map((room) => ({ kind: 'room', key: `o\u0000${account.id}\u0000${room.jid}`, level: 3, account, room })),
      );
    }

    if (account.contacts.length === 0) {
      level2.push({ kind: 'empty', key: `e\u0000${account.id}`, level: 2, account });
      continue;
    }
    // A contact in several groups is listed in each, like every roster-based client.
    const groups = new Map<string, ContactView[]>();
    for (const c of account.contacts) {
      for (const g of c.groups.length ? c.groups : [DEFAULT_GROUP]) {
        let list = groups.get(g);
        if (!list) groups.set(g, (list = []));
        list.push(c);
      }
    }
    const names = [...groups.keys()].sort((a, b) => (a === DEFAULT_GROUP ? 1 : b === DEFAULT_GROUP ? -1 : collator.compare(a, b)));
    for (const name of names) {
      const list = groups.get(name)!;
      list.sort((a, b) => PRESENCE_RANK[a.presence] - PRESENCE_RANK[b.presence] || collator.compare(a.name, b.name) || (a.jid < b.jid ? -1 : 1));
      const gKey = `g\u0000${account.id}\u0000${name}`;
      const gRow: Row = {
        kind: 'group',
        key: gKey,
        level: 2,
        account,
        name,
        online: list.filter((c) => c.presence !== 'offline').length,
        total: list.length,
        expanded: !collapsed.has(gKey),
      };
      level2.push(gRow);
      children.set(
        gRow,
        list.map((contact) => ({ kind: 'contact', key: `c\u0000${account.id}\u0000${name}\u0000${contact.jid}`, level: 3, account, contact })),
      );
    }
  }

  // Depth-first walk over expanded nodes only: collapsed subtrees are not in the DOM at all.
  const walk = (siblings: Row[]) => {
    siblings.forEach((r, i) => {
      rows.push({ ...r, setsize: siblings.length, posinset: i + 1 });
      const kids = children.get(r);
      if (kids && 'expanded' in r && r.expanded) walk(kids);
    });
  };
  walk(top);
  return rows;
}

/** Everything a row displays, so unchanged rows are left alone. */
function signature(r: Positioned): string {
  const common = `${r.setsize}|${r.posinset}|${'expanded' in r ? r.expanded : ''}`;
  switch (r.kind) {
    case 'account': {
      const a = r.account;
      return `${common}|${a.jid}|${a.state}|${a.error ?? ''}|${a.queued}|${a.presence}|${a.status ?? ''}|${a.contacts.length}`;
    }
    case 'group':
      return `${common}|${r.name}|${r.online}|${r.total}`;
    case 'requests':
      return `${common}|${r.count}`;
    case 'contact': {
      const c = r.contact;
      return `${common}|${c.name}|${c.jid}|${c.presence}|${c.status ?? ''}|${c.subscription}|${c.pendingOut}|${c.denied}|${c.unread}|${!!c.verifyRequest}`;
    }
    case 'request':
      return `${common}|${r.request.jid}|${r.request.at}`;
    case 'empty':
      return common;
    case 'rooms':
      return `${common}|${r.count}|${r.unread}`;
    case 'room': {
      const m = r.room;
      return `${common}|${m.name}|${m.jid}|${m.status}|${m.unread}|${m.mentions}|${m.bookmarked}`;
    }
  }
}

function rowButton(action: string, codicon: string, label: string, extra?: string): HTMLButtonElement {
  // tabindex=-1: a tree is one tab stop; keyboard users reach these through Enter, F2, Delete
  // and the context menu (Shift+F10), as in VS Code's own trees.
  return h('button', { class: ['icon-button', extra], 'data-action': action, tabindex: '-1', title: label, 'aria-label': label }, icon(codicon));
}

function twistie(expanded: boolean): HTMLElement {
  return icon(expanded ? 'chevron-down' : 'chevron-right', undefined, 'twistie');
}

function renderRow(r: Positioned): HTMLElement {
  const el = h('div', {
    role: 'treeitem',
    class: ['row', `row-${r.kind}`, `level-${r.level}`],
    'aria-level': r.level,
    'aria-setsize': r.setsize,
    'aria-posinset': r.posinset,
    'aria-expanded': 'expanded' in r ? String(r.expanded) : undefined,
    'aria-selected': 'false',
    tabindex: '-1',
    'data-key': r.key,
  });
  switch (r.kind) {
    case 'account': {
      const a = r.account;
      const state = connectionLabel(a.state, a.error);
      const spin = a.state === 'connecting' || a.state === 'reconnecting';
      const stateIcon = icon(CONNECTION_ICON[a.state], undefined, ['conn-icon', `conn-${a.state}`, spin && 'codicon-modifier-spin'].filter(Boolean).join(' '));
      const signedIn = a.state !== 'signedOut' && a.state !== 'error';
      el.title = `${a.jid} — ${state}`;
      el.setAttribute('aria-label', [a.jid, state, a.queued > 0 ? (a.queued === 1 ? l10n.t('1 message queued') : l10n.t('{0} messages queued', a.queued)) : ''].filter(Boolean).join(', '));
      append(
        el,
        twistie(r.expanded),
        stateIcon,
        h(
          'span',
          { class: 'label' },
          h('span', { class: 'line' }, h('span', { class: 'name account-name' }, a.jid)),
          h(
            'span',
            { class: ['secondary', a.state === 'error' && 'error-text', a.state === 'reconnecting' && 'warning-text'] },
            state,
          ),
        ),
        a.queued > 0 ? h('span', { class: 'queued', title: a.queued === 1 ? l10n.t('1 message waiting to be sent') : l10n.t('{0} messages waiting to be sent', a.queued) }, l10n.t('{0} queued', a.queued)) : null,
        h(
          'span',
          { class: 'actions' },
          rowButton('addContact', 'person-add', l10n.t('Add contact')),
          signedIn ? rowButton('signOut', 'sign-out', l10n.t('Sign out')) : rowButton('signIn', 'sign-in', l10n.t('Sign in'), 'always'),
        ),
      );
      break;
    }
    case 'group':
      el.setAttribute('aria-label', l10n.t('{0}, {1} of {2} online', r.name, r.online, r.total));
      el.append(twistie(r.expanded), h('span', { class: 'label' }, h('span', { class: 'name group-name' }, r.name), h('span', { class: 'count' }, `${r.online}/${r.total}`)));
      break;
    case 'requests':
      el.setAttribute('aria-label', l10n.t('Authorisation requests, {0}', r.count));
      el.append(
        twistie(r.expanded),
        h('span', { class: 'label' }, h('span', { class: 'name group-name' }, l10n.t('Requests'))),
        h('span', { class: 'badge' }, String(r.count)),
      );
      break;
    case 'contact': {
      const c = r.contact;
      const presence = PRESENCE_LABEL[c.presence];
      const flag = c.verifyRequest ? l10n.t('Wants to verify you') : c.denied ? l10n.t('Request denied') : c.pendingOut ? l10n.t('Waiting for authorisation') : undefined;
      el.title = c.jid;
      el.setAttribute(
        'aria-label',
        [c.name, c.jid !== c.name ? c.jid : '', presence, c.status, flag, c.unread > 0 ? unreadLabel(c.unread) : '']
          .filter(Boolean)
          .join(', '),
      );
      append(
        el,
        icon(PRESENCE_ICON[c.presence], undefined, `presence presence-${c.presence}`),
        h(
          'span',
          { class: 'label' },
          h('span', { class: 'line' }, h('span', { class: ['name', c.unread > 0 && 'unread'] }, c.name), h('span', { class: 'secondary' }, c.jid)),
          c.status || flag
            ? h(
                'span',
                { class: 'line secondary' },
                flag ? h('span', { class: ['flag', c.denied && !c.verifyRequest && 'error-text', c.verifyRequest && 'verify-flag'] }, flag) : null,
                flag && c.status ? ' · ' : null,
                c.status ? h('span', { class: 'status-text', title: c.status }, c.status) : null,
              )
            : null,
        ),
        c.unread > 0 ? h('span', { class: 'badge', title: unreadLabel(c.unread) }, c.unread > 99 ? '99+' : String(c.unread)) : null,
        c.verifyRequest
          ? h('span', { class: 'actions always' }, rowButton('verify', 'shield', l10n.t('Answer the verification request…')), rowButton('more', 'ellipsis', l10n.t('More actions…')))
          : h('span', { class: 'actions' }, rowButton('message', 'comment', l10n.t('Send message')), rowButton('more', 'ellipsis', l10n.t('More actions…'))),
      );
      break;
    }
    case 'request': {
      const q = r.request;
      el.title = l10n.t('{0} asked {1} to see your presence', q.jid, formatFull(q.at));
      el.setAttribute('aria-label', l10n.t('{0} wants to see your presence. Press Enter to answer.', q.jid));
      el.append(
        icon('person-add', undefined, 'request-icon'),
        h('span', { class: 'label' }, h('span', { class: 'line' }, h('span', { class: 'name' }, q.jid)), h('span', { class: 'secondary' }, l10n.t('Wants to see your presence'))),
        h('span', { class: 'actions always' }, rowButton('authorize', 'check', l10n.t('Authorize')), rowButton('deny', 'close', l10n.t('Deny'))),
      );
      break;
    }
    case 'rooms':
      el.setAttribute('aria-label', r.unread ? l10n.t('Rooms, {0}, {1} unread', r.count, r.unread) : l10n.t('Rooms, {0}', r.count));
      el.append(
        twistie(r.expanded),
        h('span', { class: 'label' }, h('span', { class: 'name group-name' }, l10n.t('Rooms')), h('span', { class: 'count' }, String(r.count))),
        h('span', { class: 'actions' }, rowButton('joinRoom', 'add', l10n.t('Join room…'))),
      );
      break;
    case 'room': {
      const m = r.room;
      const state = ROOM_STATE[m.status];
      el.title = m.jid;
      el.setAttribute(
        'aria-label',
        [m.name, m.jid, state, m.bookmarked ? l10n.t('bookmarked') : '', m.unread > 0 ? unreadLabel(m.unread) : '', m.mentions > 0 ? m.mentions === 1 ? l10n.t('1 mention') : l10n.t('{0} mentions', m.mentions) : '']
          .filter(Boolean)
          .join(', '),
      );
      append(
        el,
        icon(m.status === 'joined' ? 'comment-discussion' : m.status === 'error' ? 'error' : m.status === 'joining' ? 'loading' : 'circle-outline', undefined, ['room-icon', `room-${m.status}`, m.status === 'joining' && 'codicon-modifier-spin'].filter(Boolean).join(' ')),
        h(
          'span',
          { class: 'label' },
          h('span', { class: 'line' }, h('span', { class: ['name', m.unread > 0 && 'unread'] }, m.name), h('span', { class: 'secondary' }, m.status === 'joined' ? m.jid : `${m.jid} · ${state}`)),
        ),
        m.bookmarked ? icon('bookmark', undefined, 'room-bookmark') : null,
        m.unread > 0
          ? h('span', { class: ['badge', m.mentions > 0 && 'badge-mention'], title: unreadLabel(m.unread) }, m.unread > 99 ? '99+' : String(m.unread))
          : null,
        h('span', { class: 'actions' }, rowButton('openRoom', 'comment-discussion', l10n.t('Open room')), rowButton('more', 'ellipsis', l10n.t('More actions…'))),
      );
      break;
    }
    case 'empty':
      el.setAttribute('aria-label', l10n.t('No contacts yet. Add contact'));
      el.append(icon('add', undefined, 'empty-icon'), h('span', { class: 'label' }, h('span', { class: 'name link-like' }, l10n.t('Add contact…'))));
      break;
  }
  return el;
}

// ---------------------------------------------------------------------------------------------
// The tree and its keyed diff

const app = document.getElementById('app')!;
const errorBar = h('div', { class: 'error-bar', role: 'alert', hidden: true });
const tree = h('div', { class: 'tree', role: 'tree', 'aria-label': l10n.t('Contacts') });
const welcome = h(
  'div',
  { class: 'welcome', hidden: true },
  h('p', null, l10n.t('Chat privately over XMPP, with Off-the-Record encryption, without leaving VS Code.')),
  h('p', null, l10n.t('Add your XMPP (Jabber) account to get started.')),
  h('vscode-button', { class: 'wide', 'data-action': 'toolbarAddAccount' }, l10n.t('Add account')),
);
// Add contact / Add account live in the view's title bar (package.json view/title menu), as
// in every native view; the welcome state offers "Add account" itself.
app.append(errorBar, welcome, tree);

interface Entry {
  row: Positioned;
  sig: string;
  /** Undefined while the row is past `limit` (not built yet, see below). */
  el?: HTMLElement;
}
let entries = new Map<string, Entry>();
let order: string[] = [];
let focusedKey: string | undefined;
let current: ContactsState = { accounts: [] };

/**
 * First paint of a big roster: only the rows that fill the view (firstRows()) are built at
 * once; the others follow in chunks of CHUNK_ROWS in idle time, until `limit` covers the whole
 * tree and is set to Infinity. Building and laying out 2,000 rows at once took ~150 ms, and a
 * fixed 120 first rows still ~25 ms of a 800 px view's first paint for ~85 rows nobody saw
 * (docs/benchmarks.md). Rows not built yet still exist in `entries` and `order` (keyboard
 * navigation and type-ahead see the whole tree; a key that lands on one builds up to it), and
 * every built row carries aria-setsize/aria-posinset, so assistive technology hears the real
 * sizes meanwhile.
 */
// 150 rows: each idle task's callback ~15-17 ms (400 took ~22-27 ms, a late frame right after
// the view opened); bench/webview.ts, "longest idle task".
const CHUNK_ROWS = 150;
/** Rows are at least 22 px (--padlock-row-height, VS Code's tree metric). */
const MIN_ROW_PX = 22;
/**
 * As many rows as the view can show at once, plus a few for a quick first scroll: the view's
 * height over the smallest row height. A view not laid out yet (height 0, a collapsed sidebar
 * section) still gets a screenful of a typical sidebar.
 */
function firstRows(): number {
  const height = window.innerHeight > 0 ? window.innerHeight : 600;
  return Math.min(200, Math.ceil(height / MIN_ROW_PX) + 8);
}
let limit = firstRows();
let fillQueued = false;

function scheduleFill(): void {
  if (fillQueued || limit === Infinity) return;
  fillQueued = true;
  const next = () => {
    fillQueued = false;
    if (limit === Infinity) return;
    limit += CHUNK_ROWS;
    render();
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(next, { timeout: 100 });
  else setTimeout(next, 0);
}

function render(): void {
  // Read before rows are replaced: replacing the focused element drops DOM focus.
  const hadFocus = tree.contains(document.activeElement);
  const rows = buildRows(current);
  if (limit !== Infinity && focusedKey) {
    // The focused row stays built, wherever an update moved it.
    const f = rows.findIndex((r) => r.key === focusedKey);
    if (f >= limit) limit = f + 1;
  }
  if (limit !== Infinity && limit >= rows.length) limit = Infinity;
  const next = new Map<string, Entry>();
  rows.forEach((row, i) => {
    const old = entries.get(row.key);
    if (i >= limit) {
      // Not built yet (first fill): a stale element of this key goes; no signature needed yet.
      old?.el?.remove();
      next.set(row.key, { row, sig: '' });
      return;
    }
    const sig = signature(row);
    if (old?.el && old.sig === sig) {
      old.row = row; // fresh data references for actions; the DOM is unchanged
      next.set(row.key, old);
    } else {
      const el = renderRow(row);
      old?.el?.replaceWith(el);
      next.set(row.key, { row, sig, el });
    }
  });
  for (const [key, e] of entries) if (!next.has(key)) e.el?.remove();

  // Put elements in order, moving only those out of place.
  let cursor = tree.firstElementChild;
  for (const row of rows) {
    const el = next.get(row.key)!.el;
    if (!el) break; // the rest is not built yet
    if (el === cursor) cursor = cursor.nextElementSibling;
    else tree.insertBefore(el, cursor);
  }

  const prevOrder = order;
  entries = next;
  order = rows.map((r) => r.key);

  // Keep the roving tabindex on a row that still exists: same key, else the row now at the old index.
  if (!focusedKey || !entries.has(focusedKey)) {
    const oldIndex = focusedKey ? prevOrder.indexOf(focusedKey) : 0;
    focusedKey = order[Math.min(Math.max(oldIndex, 0), order.length - 1)];
  }
  // Restore DOM focus without scrolling: the user may be scrolling the list while updates arrive.
  setFocus(focusedKey, hadFocus ? 'keep' : 'none');

  welcome.hidden = current.accounts.length > 0;
  tree.hidden = current.accounts.length === 0;
  scheduleFill();
}

/** 'reveal': focus and scroll into view (keyboard/mouse navigation); 'keep': refocus only if needed. */
function setFocus(key: string | undefined, mode: 'reveal' | 'keep' | 'none'): void {
  // A row not built yet (keyboard: End, ArrowDown past the first chunk, type-ahead): build up to it now.
  if (key && entries.has(key) && !entries.get(key)!.el) {
    limit = Math.max(limit, order.indexOf(key) + 1 + CHUNK_ROWS);
    focusedKey = key;
    render();
    if (!entries.get(key)?.el) return;
  }
  for (const e of entries.values()) {
    if (!e.el) continue;
    const on = e.row.key === key;
    if (e.el.tabIndex !== (on ? 0 : -1)) e.el.tabIndex = on ? 0 : -1;
    // Single-select tree: selection follows focus.
    const sel = on ? 'true' : 'false';
    if (e.el.getAttribute('aria-selected') !== sel) e.el.setAttribute('aria-selected', sel);
  }
  focusedKey = key;
  const el = key ? entries.get(key)?.el : undefined;
  if (!el || mode === 'none') return;
  if (document.activeElement !== el) el.focus({ preventScroll: true });
  if (mode === 'reveal') el.scrollIntoView({ block: 'nearest' });
}

// Coalesce bursts of presence updates into one render per frame.
let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function toggle(key: string, expand?: boolean): void {
  const isCollapsed = collapsed.has(key);
  const wantCollapsed = expand === undefined ? !isCollapsed : !expand;
  if (wantCollapsed === isCollapsed) return;
  if (wantCollapsed) collapsed.add(key);
  else collapsed.delete(key);
  saveState<ViewState>({ collapsed: [...collapsed] });
  render();
}

// ---------------------------------------------------------------------------------------------
// Actions

function showError(text: string): void {
  replaceChildren(
    errorBar,
    icon('error'),
    h('span', { class: 'error-bar-text' }, text),
    h('button', { class: 'icon-button', title: l10n.t('Dismiss'), 'aria-label': l10n.t('Dismiss'), on: { click: () => (errorBar.hidden = true) } }, icon('close')),
  );
  errorBar.hidden = false;
}

function run<M extends keyof ContactsRequests & string>(method: M, params: ContactsRequests[M]['params']): void {
  ipc.request(method, params).then(
    () => (errorBar.hidden = true),
    (err: Error) => showError(err.message),
  );
}

/** "1 unread message" / "N unread messages" as whole strings (plural forms differ by language). */
function unreadLabel(n: number): string {
  return n === 1 ? l10n.t('1 unread message') : l10n.t('{0} unread messages', n);
}

const ROOM_STATE: Record<RoomSummaryView['status'], string> = {
  joining: l10n.t('joining…'),
  joined: l10n.t('joined'),
  offline: l10n.t('offline'),
  left: l10n.t('not joined'),
  error: l10n.t('could not join'),
};

function roomAction(account: string, action: RoomTreeAction, jid?: string): void {
  run('roomAction', jid ? { account, jid, action } : { account, action });
}

function contactAction(c: ContactView, action: ContactAction): void {
  run('contactAction', { account: c.account, jid: c.jid, action });
}

function menuFor(r: Positioned): MenuItem[] {
  switch (r.kind) {
    case 'contact': {
      const c = r.contact;
      const items: MenuItem[] = contactMenu(c).map(({ action, ...item }) => ({
        ...item,
        run: () => (action === 'open' ? run('openChat', { account: c.account, jid: c.jid }) : contactAction(c, action)),
      }));
      // An unanswered verification request (OTR SMP) comes first, so it stays answerable.
      if (c.verifyRequest) items.unshift({ label: l10n.t('Answer the verification request…'), icon: 'shield', run: () => contactAction(c, 'authenticate') });
      return items;
    }
    case 'request': {
      const q = r.request;
      return [
        { label: l10n.t('Authorize'), icon: 'check', run: () => run('answerRequest', { account: q.account, jid: q.jid, answer: 'authorize' }) },
        { label: l10n.t('Deny'), icon: 'close', danger: true, run: () => run('answerRequest', { account: q.account, jid: q.jid, answer: 'deny' }) },
      ];
    }
    case 'account': {
      const a = r.account;
      const signedIn = a.state !== 'signedOut' && a.state !== 'error';
      return [
        signedIn
          ? { label: l10n.t('Sign out'), icon: 'sign-out', run: () => run('signOut', { account: a.id }) }
          : { label: l10n.t('Sign in'), icon: 'sign-in', run: () => run('signIn', { account: a.id }) },
        { label: l10n.t('Add contact…'), icon: 'person-add', run: () => run('addContact', { account: a.id }) },
        { label: l10n.t('Join room…'), icon: 'comment-discussion', run: () => roomAction(a.id, 'join') },
        { label: l10n.t('Create room…'), icon: 'add', run: () => roomAction(a.id, 'create') },
      ];
    }
    case 'rooms':
      return [
        { label: l10n.t('Join room…'), icon: 'comment-discussion', run: () => roomAction(r.account.id, 'join') },
        { label: l10n.t('Create room…'), icon: 'add', run: () => roomAction(r.account.id, 'create') },
      ];
    case 'room': {
      const m = r.room;
      const inside = m.status === 'joined' || m.status === 'joining';
      const items: MenuItem[] = [{ label: l10n.t('Open'), icon: 'comment-discussion', hint: l10n.t('Enter'), run: () => roomAction(m.account, 'open', m.jid) }];
      if (m.status === 'joined') items.push({ label: l10n.t('Invite…'), icon: 'person-add', run: () => roomAction(m.account, 'invite', m.jid) });
      items.push(
        inside
          ? { label: l10n.t('Leave room'), icon: 'sign-out', danger: true, run: () => roomAction(m.account, 'leave', m.jid) }
          : { label: l10n.t('Join room…'), icon: 'sign-in', run: () => roomAction(m.account, 'join', m.jid) },
      );
      return items;
    }
    case 'empty':
      return [{ label: l10n.t('Add contact…'), icon: 'person-add', run: () => run('addContact', { account: r.account.id }) }];
    default:
      return [];
  }
}

function menuLabel(r: Positioned): string {
  if (r.kind === 'room') return l10n.t('Actions for {0}', r.room.name);
  return r.kind === 'contact' ? l10n.t('Actions for {0}', r.contact.name) : r.kind === 'request' ? l10n.t('Answer {0}', r.request.jid) : r.kind === 'account' ? r.account.jid : l10n.t('Actions');
}

/** Enter / click on a row: its primary action. */
function activate(r: Positioned): void {
  switch (r.kind) {
    case 'account':
    case 'group':
    case 'requests':
    case 'rooms':
      toggle(r.key);
      break;
    case 'room':
      roomAction(r.room.account, 'open', r.room.jid);
      break;
    case 'contact':
      run('openChat', { account: r.contact.account, jid: r.contact.jid });
      break;
    case 'request': {
      const el = entries.get(r.key)?.el;
      if (el) showMenu(menuFor(r), el, menuLabel(r));
      break;
    }
    case 'empty':
      run('addContact', { account: r.account.id });
      break;
  }
}

function rowOf(target: EventTarget | null): Entry | undefined {
  const el = target instanceof Element ? target.closest<HTMLElement>('[role="treeitem"]') : null;
  const key = el?.dataset.key;
  return key ? entries.get(key) : undefined;
}

document.addEventListener('click', (e) => {
  const target = e.target as Element;
  const btn = target.closest<HTMLElement>('[data-action]');
  if (btn?.dataset.action === 'toolbarAddContact') return run('addContact', {});
  if (btn?.dataset.action === 'toolbarAddAccount') return run('addAccount', {});
  const entry = rowOf(target);
  if (!entry) return;
  setFocus(entry.row.key, 'reveal');
  const r = entry.row;
  if (!btn) {
    // A click on the twistie only toggles; elsewhere the row's primary action.
    if (target.closest('.twistie') || r.kind !== 'request') activate(r);
    return;
  }
  e.stopPropagation();
  switch (btn.dataset.action) {
    case 'more':
      showMenu(menuFor(r), btn, menuLabel(r));
      break;
    case 'message':
      if (r.kind === 'contact') run('openChat', { account: r.contact.account, jid: r.contact.jid });
      break;
    case 'verify':
      if (r.kind === 'contact') contactAction(r.contact, 'authenticate');
      break;
    case 'authorize':
    case 'deny':
      if (r.kind === 'request') run('answerRequest', { account: r.account.id, jid: r.request.jid, answer: btn.dataset.action });
      break;
    case 'signIn':
      run('signIn', { account: r.account.id });
      break;
    case 'signOut':
      run('signOut', { account: r.account.id });
      break;
    case 'addContact':
      run('addContact', { account: r.account.id });
      break;
    case 'openRoom':
      if (r.kind === 'room') roomAction(r.room.account, 'open', r.room.jid);
      break;
    case 'joinRoom':
      roomAction(r.account.id, 'join');
      break;
  }
});

tree.addEventListener('contextmenu', (e) => {
  const entry = rowOf(e.target);
  if (!entry) return;
  e.preventDefault();
  setFocus(entry.row.key, 'reveal');
  showMenu(menuFor(entry.row), { x: e.clientX, y: e.clientY }, menuLabel(entry.row));
});

tree.addEventListener('focusin', (e) => {
  const entry = rowOf(e.target);
  if (entry && entry.row.key !== focusedKey) setFocus(entry.row.key, 'none');
});

/** Parent of a row: the nearest preceding row with a lower level. */
function parentIndex(i: number): number {
  const level = entries.get(order[i]!)!.row.level;
  for (let j = i - 1; j >= 0; j--) if (entries.get(order[j]!)!.row.level < level) return j;
  return -1;
}

let typeahead = '';
let typeaheadTimer: ReturnType<typeof setTimeout> | undefined;

function rowText(r: Positioned): string {
  switch (r.kind) {
    case 'account':
      return r.account.jid;
    case 'group':
      return r.name;
    case 'requests':
      return l10n.t('Requests');
    case 'contact':
      return r.contact.name;
    case 'request':
      return r.request.jid;
    case 'empty':
      return l10n.t('Add contact');
    case 'rooms':
      return l10n.t('Rooms');
    case 'room':
      return r.room.name;
  }
}

tree.addEventListener('keydown', (e) => {
  if (!focusedKey) return;
  const i = order.indexOf(focusedKey);
  const r = entries.get(focusedKey)?.row;
  if (i < 0 || !r) return;
  const go = (j: number) => setFocus(order[Math.max(0, Math.min(order.length - 1, j))], 'reveal');
  const expandable = 'expanded' in r;

  if ((e.key === 'F10' && e.shiftKey) || e.key === 'ContextMenu') {
    const el = entries.get(r.key)!.el!; // the focused row is always built (setFocus)
    showMenu(menuFor(r), el, menuLabel(r));
  } else if (e.altKey || e.ctrlKey || e.metaKey) {
    return;
  } else if (e.key === 'ArrowDown') go(i + 1);
  else if (e.key === 'ArrowUp') go(i - 1);
  else if (e.key === 'Home') go(0);
  else if (e.key === 'End') go(order.length - 1);
  else if (e.key === 'ArrowRight') {
    // Closed node: open it. Open node: first child. End node: nothing.
    if (expandable && !r.expanded) toggle(r.key, true);
    else if (expandable && order[i + 1] && entries.get(order[i + 1]!)!.row.level > r.level) go(i + 1);
  } else if (e.key === 'ArrowLeft') {
    // Open node: close it. Otherwise: to the parent.
    if (expandable && r.expanded) toggle(r.key, false);
    else {
      const p = parentIndex(i);
      if (p >= 0) go(p);
    }
  } else if (e.key === 'Enter') activate(r);
  else if (e.key === ' ' && expandable && !typeahead) toggle(r.key);
  else if (e.key === 'F2' && r.kind === 'contact') contactAction(r.contact, 'rename');
  else if (e.key === 'Delete' && r.kind === 'contact') contactAction(r.contact, 'remove');
  else if (e.key === '*') {
    // APG: expand all siblings of the focused node.
    const parent = parentIndex(i);
    const siblings = [...entries.values()].filter((x) => x.row.level === r.level && 'expanded' in x.row && parentIndex(order.indexOf(x.row.key)) === parent);
    for (const s of siblings) collapsed.delete(s.row.key);
    saveState<ViewState>({ collapsed: [...collapsed] });
    render();
  } else if (e.key.length === 1 && (e.key !== ' ' || typeahead)) {
    // Type-ahead: focus the next row whose label starts with what was typed.
    clearTimeout(typeaheadTimer);
    typeahead += e.key.toLowerCase();
    typeaheadTimer = setTimeout(() => (typeahead = ''), 700);
    const start = typeahead.length === 1 ? i + 1 : i;
    for (let n = 0; n < order.length; n++) {
      const j = (start + n) % order.length;
      if (rowText(entries.get(order[j]!)!.row).toLowerCase().startsWith(typeahead)) {
        go(j);
        break;
      }
    }
  } else return;
  e.preventDefault();
});

// ---------------------------------------------------------------------------------------------
// Start

function applyState(state: ContactsState): void {
  // Announce new authorisation requests: they need an answer, and arrive while the user types elsewhere.
  const before = new Set(current.accounts.flatMap((a) => a.requests.map((q) => `${a.id}\u0000${q.jid}`)));
  const fresh = state.accounts.flatMap((a) => a.requests.filter((q) => !before.has(`${a.id}\u0000${q.jid}`)));
  current = state;
  if (fresh.length) announce(l10n.t('{0} asked to see your presence', fresh.map((q) => q.jid).join(', ')));
  // An open menu stays open: its actions name account and JID, which stay valid across updates.
  scheduleRender();
}

ipc.onNotification('state', applyState);

function start(): void {
  ipc.ready().then(
    (state) => {
      errorBar.hidden = true;
      current = state;
      render();
      void loadToolkitAfterPaint();
    },
    (err: Error) => {
      void loadToolkit();
      // The host did not answer the handshake: say so and offer a retry instead of an empty view.
      replaceChildren(
        errorBar,
        icon('error'),
        h('span', { class: 'error-bar-text' }, l10n.t('Could not load contacts: {0}', err.message)),
        h('vscode-button', { appearance: 'secondary', on: { click: start } }, l10n.t('Retry')),
      );
      errorBar.hidden = false;
    },
  );
}
start();

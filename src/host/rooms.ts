/**
 * Group chat in VS Code (issue 6): one MucManager (src/core/muc.ts) per account, created when
 * the session object is created and so before it signs in (bookmarked rooms are joined on
 * sign-in); the room panels (one editor webview per account and room, webview/room); the
 * Join / Create / Leave / Invite commands; invitations and mentions as notifications; unread
 * counts for the contact tree.
 *
 * Everything from the network reaches the webview as data (sanitised display nicks, text)
 * and is rendered as text there. Notifications go through plainForNotification.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import { bareJid, isValidBareUserJid, localOf } from '../core/jid';
import type { Logger } from '../core/log';
import {
  type MucError,
  MucManager,
  NS_DATA,
  NS_DISCO_INFO,
  checkNick,
  checkRoomJid,
  sanitizeNick,
  type Invitation,
  type Occupant,
  type RoomMessage,
} from '../core/muc';
import {
  type OccupantView,
  type RoomHeaderView,
  type RoomMessageView,
  type RoomNotifications,
  type RoomRequests,
  type RoomState0,
  type RoomSummaryView,
  roomValidators,
} from '../shared/protocol';
import type { AccountManager } from './accounts';
import { isRemote } from './remoteSession';
import { plainForNotification } from './chats';
import { ConversationPanel, createConversationPanel } from './conversationPanel';
import { WebviewRpc } from './rpc';

export const ROOM_VIEW_TYPE = 'padlock.room';

const key = (account: string, room: string) => `${account}\u0000${room}`;

export interface RoomArg {
  account?: string;
  /** The room (bare JID). */
  jid?: string;
}

export function occupantView(o: Occupant): OccupantView {
  return { nick: o.nick, displayNick: o.displayNick, role: o.role, affiliation: o.affiliation, show: o.show, status: o.status, self: o.self };
}

export function roomMessageView(m: RoomMessage): RoomMessageView {
  const v: RoomMessageView = { id: m.id, direction: m.direction, text: m.text, ts: m.ts };
  if (m.status) v.status = m.status;
  if (m.level) v.level = m.level;
  if (m.from !== undefined) {
    v.from = m.from;
    v.displayFrom = m.displayFrom ?? sanitizeNick(m.from);
  }
  if (m.mine) v.mine = true;
  if (m.mention) v.mention = true;
  if (m.delayed) v.delayed = true;
  return v;
}

class RoomPanel extends ConversationPanel {
  readonly rpc: WebviewRpc<RoomRequests, RoomNotifications>;

  constructor(
    panel: vscode.WebviewPanel,
    readonly account: AccountSession,
    readonly jid: string,
    private readonly rooms: RoomsManager,
    extensionUri: vscode.Uri,
    log: Logger,
    onFocus: () => void,
  ) {
    super(panel, extensionUri);
    const muc = () => rooms.muc(account.id);
    this.rpc = new WebviewRpc<RoomRequests, RoomNotifications>(
      panel.webview,
      roomValidators,
      {
        ready: () => rooms.initialState(account, jid),
        send: async ({ text }) => {
          const m = await muc().sendMessage(jid, text);
          return { id: m.id };
        },
        setSubject: async ({ subject }) => {
          await muc().setSubject(jid, subject);
        },
        invite: () => rooms.inviteInteractive(account, jid),
        leave: () => muc().leave(jid),
        rejoin: () => rooms.joinRoom(account, jid),
        bookmark: async ({ bookmarked, autojoin }) => {
          const m = muc();
          if (bookmarked) {
            const st = m.room(jid);
            const old = m.bookmarks.find((b) => b.jid === jid);
            await m.addBookmark({ jid, autojoin, name: old?.name, nick: st?.nick ?? old?.nick });
          } else await m.removeBookmark(jid);
        },
      },
      (msg) => log.warn(`[room ${jid}] ${msg}`),
      new Set(['header', 'occupants']),
    );
    this.load('room', localOf(jid) || jid, onFocus);
  }

  pushHeader(): void {
    const h = this.rooms.header(this.account, this.jid);
    this.panel.title = h.name;
    this.rpc.notify('header', h);
  }
}

export class RoomsManager implements vscode.Disposable {
  private readonly mucs = new Map<string, MucManager>();
  private readonly panels = new Map<string, RoomPanel>();
  private readonly unread = new Map<string, { n: number; mentions: number }>();
  /** Rooms whose configuration lets participants change the subject (muc#roominfo_changesubject). */
  private readonly subjectOpen = new Map<string, boolean>();
  /** Room passwords the user typed in this session (never stored). */
  private readonly passwords = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Rooms, their state, bookmarks or unread counts changed (for the contact tree). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly accounts: AccountManager,
    private readonly log: Logger,
  ) {
    for (const s of accounts.list()) this.attach(s);
    this.disposables.push(
      // Fires synchronously when a session object is created, before it is started: the
      // MucManager must see the first 'online' to autojoin bookmarked rooms.
      accounts.onDidCreateSession((s) => this.attach(s)),
      accounts.onDidChange(() => {
        for (const [id, m] of this.mucs) {
          if (accounts.get(id)) continue;
          m.dispose();
          this.mucs.delete(id);
        }
      }),
    );
  }

  muc(account: string): MucManager {
    const m = this.mucs.get(account);
    if (!m) throw new Error(vscode.l10n.t('Group chat is not available for {0}.', account));
    return m;
  }

  // -- per session -----------------------------------------------------------------------------

  private attach(s: AccountSession): void {
    // A follower window's view of an account (issue 7) has no connection to join rooms with.
    if (this.mucs.has(s.id) || isRemote(s)) return;
    const m = new MucManager(s, { logger: this.log, history: this.accounts.history, bookmarks: 'auto', autojoin: true });
    this.mucs.set(s.id, m);
    const panel = (room: string) => this.panels.get(key(s.id, room));
    const header = (room: string) => {
      panel(room)?.pushHeader();
      this.changed.fire();
    };
    m.on('message', ({ room, message }) => {
      const p = panel(room);
      p?.rpc.notify('message', roomMessageView(message));
      if (message.direction !== 'in' || message.delayed || (p && p.panel.visible)) return;
      const k = key(s.id, room);
      const u = this.unread.get(k) ?? { n: 0, mentions: 0 };
      u.n++;
      if (message.mention) u.mentions++;
      this.unread.set(k, u);
      this.changed.fire();
      if (message.mention) void this.notifyMention(s, room, message);
    });
    m.on('joined', ({ room }) => {
      const p = panel(room);
      if (p) {
        p.rpc.notify('occupants', [...(m.room(room)?.occupants.values() ?? [])].map(occupantView));
        p.pushHeader();
      }
      this.changed.fire();
      void this.probeSubjectPolicy(s, m, room);
    });
    m.on('roomState', ({ room }) => header(room));
    m.on('left', ({ room }) => {
      panel(room)?.rpc.notify('occupants', []);
      header(room);
    });
    m.on('subject', ({ room }) => header(room));
    m.on('occupantJoined', ({ room, occupant }) => panel(room)?.rpc.notify('occupant', { occupant: occupantView(occupant) }));
    m.on('occupantChanged', ({ room, occupant, oldNick }) => {
      panel(room)?.rpc.notify('occupant', { occupant: occupantView(occupant), ...(oldNick !== undefined ? { oldNick } : {}) });
      if (occupant.self) panel(room)?.pushHeader();
    });
    m.on('occupantLeft', ({ room, occupant }) => panel(room)?.rpc.notify('occupantLeft', { nick: occupant.nick }));
    m.on('error', ({ room, error }) => {
      header(room);
      void this.offerRecovery(s, room, error);
    });
    m.on('invitation', (inv) => void this.onInvitation(s, inv));
    m.on('declined', ({ room, from, reason }) => {
      const who = plainForNotification(from, 80);
      const why = reason ? `: ${plainForNotification(reason, 120)}` : '.';
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} declined your invitation to {1}{2}', who, plainForNotification(room, 120), why));
    });
    m.on('bookmarks', () => {
      for (const p of this.panels.values()) if (p.account === s) p.pushHeader();
      this.changed.fire();
    });
    s.on('state', () => {
      for (const p of this.panels.values()) if (p.account === s) p.pushHeader();
      this.changed.fire();
    });
  }

  /** Does the room let participants (not only moderators) change the subject? (§8.1, disco#info §6.4) */
  private async probeSubjectPolicy(s: AccountSession, m: MucManager, room: string): Promise<void> {
    try {
      const res: Element = await m.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS_DISCO_INFO })), 5000);
      const form = res.getChild('query', NS_DISCO_INFO)?.getChild('x', NS_DATA);
      const field = form?.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_changesubject');
      const v = field?.getChildText('value');
      this.subjectOpen.set(key(s.id, room), v === '1' || v === 'true');
      this.panels.get(key(s.id, room))?.pushHeader();
    } catch {
      // Unknown: only moderators are offered the edit.
    }
  }

  // -- views -----------------------------------------------------------------------------------

  header(s: AccountSession, jid: string): RoomHeaderView {
    const m = this.mucs.get(s.id);
    const st = m?.room(jid);
    const bm = m?.bookmarks.find((b) => b.jid === jid);
    const joined = st?.status === 'joined';
    const role = joined ? st.role : 'none';
    return {
      name: bm?.name ? sanitizeNick(bm.name, 80) : sanitizeNick(localOf(jid) || jid, 80),
      nick: sanitizeNick(st?.nick ?? bm?.nick ?? localOf(s.jid)),
      status: st?.status ?? 'left',
      error: st?.error,
      subject: st?.subject,
      subjectBy: st?.subjectBy ? sanitizeNick(st.subjectBy) : undefined,
      role,
      affiliation: joined ? st.affiliation : 'none',
      connection: s.state,
      canSetSubject: joined && (role === 'moderator' || (role === 'participant' && this.subjectOpen.get(key(s.id, jid)) === true)),
      bookmarked: !!bm,
      autojoin: !!bm?.autojoin,
    };
  }

  async initialState(s: AccountSession, jid: string): Promise<RoomState0> {
    const m = this.muc(s.id);
    const st = m.room(jid);
    const messages = st && st.messages.length ? st.messages : await m.loadHistory(jid).catch(() => []);
    return {
      ...this.header(s, jid),
      account: s.id,
      accountJid: s.jid,
      jid,
      occupants: st && st.status === 'joined' ? [...st.occupants.values()].map(occupantView) : [],
      messages: messages.map(roomMessageView),
    };
  }

  /** Rooms of an account for the tree: joined (or trying to), and bookmarked ones. */
  roomViews(account: string): RoomSummaryView[] {
    const m = this.mucs.get(account);
    if (!m) return [];
    const out = new Map<string, RoomSummaryView>();
    const marks = new Map(m.bookmarks.map((b) => [b.jid, b]));
    const view = (jid: string, status: RoomSummaryView['status']): RoomSummaryView => {
      const u = this.unread.get(key(account, jid));
      const bm = marks.get(jid);
      return {
        account,
        jid,
        name: bm?.name ? sanitizeNick(bm.name, 80) : sanitizeNick(localOf(jid) || jid, 80),
        status,
        unread: u?.n ?? 0,
        mentions: u?.mentions ?? 0,
        bookmarked: !!bm,
      };
    };
    for (const r of m.joinedRooms) out.set(r.jid, view(r.jid, r.status));
    for (const b of marks.values()) if (!out.has(b.jid)) out.set(b.jid, view(b.jid, 'left'));
    // A room left on purpose stays listed while it has unread messages or an open panel.
    for (const k of [...this.panels.keys(), ...this.unread.keys()]) {
      const [acc, jid] = k.split('\u0000');
      if (acc === account && jid && !out.has(jid)) out.set(jid, view(jid, m.room(jid)?.status ?? 'left'));
    }
    return [...out.values()];
  }

  totalUnread(): number {
    let n = 0;
    for (const u of this.unread.values()) n += u.n;
    return n;
  }

  isVisible(account: string, jid: string): boolean {
    return !!this.panels.get(key(account, jid))?.panel.visible;
  }

  // -- panels ----------------------------------------------------------------------------------

  open(s: AccountSession, jid: string, preserveFocus = false): void {
    const room = checkRoomJid(jid);
    const k = key(s.id, room);
    const existing = this.panels.get(k);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      this.markRead(k);
      return;
    }
    const panel = createConversationPanel(ROOM_VIEW_TYPE, this.header(s, room).name, preserveFocus, this.extensionUri);
    this.adopt(panel, s, room);
  }

  /**
   * Restores a room tab left open across a window reload: the webview state names the room;
   * messages come from the room again (its history on join), and the room is joined again as
   * soon as the account is online, unless a bookmark's autojoin already does it.
   */
  async deserialize(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const st = state as { account?: unknown; jid?: unknown } | undefined;
    let room: string | undefined;
    try {
      room = typeof st?.jid === 'string' ? checkRoomJid(st.jid) : undefined;
    } catch {
      room = undefined;
    }
    const account = typeof st?.account === 'string' ? st.account : undefined;
    // VS Code revives the tab as soon as the window starts, before this window knows its
    // accounts (they are loaded, provisioned, or, in a window that follows another, mirrored
    // from the owner, issue 7) and before it owns the connection group chat needs: wait for
    // this window's own session of that account, as long as the tab stays open.
    const s = account && room ? await this.localSession(account, panel) : undefined;
    if (!s || !room || this.panels.has(key(s.id, room))) {
      this.log.info(`room tab not restored: ${!account || !room ? 'no room in its state' : !s ? 'closed before its account was here' : 'already open'}`);
      panel.dispose();
      return;
    }
    this.log.info(`[${s.jid}] restoring the tab of ${room} (account ${s.state})`);
    this.adopt(panel, s, room);
    const jid = room;
    const rejoin = () => {
      const m = this.mucs.get(s.id);
      const bm = m?.bookmarks.find((b) => b.jid === jid);
      const status = m?.room(jid)?.status;
      if (!m || !this.panels.has(key(s.id, jid)) || status === 'joined' || status === 'joining' || bm?.autojoin) {
        this.log.info(`[${s.jid}] ${jid}: no rejoin from the restored tab (${!m ? 'no group chat' : !this.panels.has(key(s.id, jid)) ? 'tab closed' : bm?.autojoin ? 'bookmark autojoins' : status})`);
        return;
      }
      this.log.info(`[${s.jid}] ${jid}: rejoining for the restored tab`);
      void this.joinRoom(s, jid);
    };
    if (s.state === 'online') rejoin();
    // Until the room is joined (the MucManager then rejoins it after reconnects by itself): a
    // first attempt made while the account was still connecting, or refused, is retried at
    // the next sign-in.
    const sub = s.on('online', () => rejoin());
    const rp = this.panels.get(key(s.id, jid));
    rp?.panel.onDidDispose(() => sub.dispose());
  }

  /** This window's own (not mirrored) session of `account`, once it exists; undefined if the tab closes first. */
  private localSession(account: string, panel: vscode.WebviewPanel): Promise<AccountSession | undefined> {
    const now = this.accounts.get(account);
    if (now && !isRemote(now)) return Promise.resolve(now);
    return new Promise((resolve) => {
      const subs = [
        this.accounts.onDidCreateSession((x) => {
          if (x.id !== account || isRemote(x)) return;
          for (const d of subs) d.dispose();
          resolve(x);
        }),
        panel.onDidDispose(() => {
          for (const d of subs) d.dispose();
          resolve(undefined);
        }),
      ];
    });
  }

  private adopt(panel: vscode.WebviewPanel, s: AccountSession, room: string): void {
    const k = key(s.id, room);
    const rp = new RoomPanel(panel, s, room, this, this.extensionUri, this.log, () => this.markRead(k));
    this.panels.set(k, rp);
    panel.onDidDispose(() => {
      rp.dispose();
      if (this.panels.get(k) === rp) this.panels.delete(k);
      this.changed.fire();
    });
    this.markRead(k);
    this.changed.fire();
  }

  private markRead(k: string): void {
    if (this.unread.delete(k)) this.changed.fire();
  }

  // -- joining ---------------------------------------------------------------------------------

  /**
   * Joins (or rejoins) and opens the panel at once: progress and any refusal (wrong
   * password, banned, nick taken, …) show there, never as a silent failure.
   */
  async joinRoom(s: AccountSession, jid: string, nick?: string, password?: string): Promise<void> {
    const m = this.muc(s.id);
    const room = checkRoomJid(jid);
    const k = key(s.id, room);
    if (password !== undefined) {
      if (password) this.passwords.set(k, password);
      else this.passwords.delete(k);
    }
    const st = m.room(room);
    const bm = m.bookmarks.find((b) => b.jid === room);
    this.open(s, room);
    await m.join(room, nick ?? st?.nick ?? bm?.nick, this.passwords.get(k) ?? bm?.password).catch((err: unknown) => {
      // Shown in the panel (header error and a system line); logged here.
      this.log.info(`[${s.jid}] join ${room}: ${String((err as Error).message)}`);
      this.panels.get(k)?.pushHeader();
    });
  }

  /** After a refused join: offer the way out (another nickname, the password). */
  private async offerRecovery(s: AccountSession, room: string, error: MucError): Promise<void> {
    const st = this.mucs.get(s.id)?.room(room);
    if (!st || st.status === 'joined') return;
    const name = plainForNotification(room, 120);
    if (error.kind === 'conflict' || error.kind === 'nickRejected') {
      const other = vscode.l10n.t('Choose Another Nickname…');
      if ((await vscode.window.showWarningMessage(vscode.l10n.t('{0}: {1}', name, error.message), other)) !== other) return;
      const nick = await askNick(`${st.nick}_`);
      if (nick) await this.joinRoom(s, room, nick);
    } else if (error.kind === 'password') {
      const enter = vscode.l10n.t('Enter Password…');
      if ((await vscode.window.showWarningMessage(vscode.l10n.t('{0}: {1}', name, error.message), enter)) !== enter) return;
      const pw = await vscode.window.showInputBox({ title: vscode.l10n.t('Password for {0}', room), password: true, ignoreFocusOut: true });
      if (pw) await this.joinRoom(s, room, undefined, pw);
    }
  }

  /** "Padlock: Join Room…": room address (typed, or picked from the service's rooms), nickname, optional password. */
  async joinInteractive(arg?: RoomArg): Promise<void> {
    const s = await this.pickAccount(arg?.account, vscode.l10n.t('Join a room with which account?'));
    if (!s) return;
    const m = this.muc(s.id);
    const room = arg?.jid ? checkRoomJid(arg.jid) : await this.pickRoomAddress(m);
    if (!room) return;
    const bm = m.bookmarks.find((b) => b.jid === room);
    const nick = await askNick(m.room(room)?.nick ?? bm?.nick ?? localOf(s.jid));
    if (nick === undefined) return;
    const pw = await vscode.window.showInputBox({
      title: vscode.l10n.t('Join {0}: password (optional)', room),
      prompt: vscode.l10n.t('Leave empty if the room has no password.'),
      password: true,
      ignoreFocusOut: true,
    });
    if (pw === undefined) return;
    await this.joinRoom(s, room, nick, pw);
  }

  /** Quick pick: type an address, or choose from the rooms the conference service lists. */
  private async pickRoomAddress(m: MucManager): Promise<string | undefined> {
    type Item = vscode.QuickPickItem & { room?: string };
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = vscode.l10n.t('Join Room');
    qp.placeholder = vscode.l10n.t('Room address, like room@conference.example.org, or pick a room below');
    qp.matchOnDescription = true;
    qp.busy = true;
    let service: string | null = null;
    let listed: Item[] = [];
    const typedItems = (v: string): Item[] => {
      const t = v.trim();
      if (!t) return [];
      const addr = t.includes('@') ? t : service ? `${t}@${service}` : t;
      let room: string | undefined;
      try {
        room = checkRoomJid(addr);
      } catch {
        return [];
      }
      if (listed.some((i) => i.room === room)) return [];
      return [{ label: `$(sign-in) ${room}`, description: vscode.l10n.t('join this address'), alwaysShow: true, room }];
    };
    const refresh = () => (qp.items = [...typedItems(qp.value), ...listed]);
    qp.onDidChangeValue(refresh);
    void (async () => {
      try {
        service = await m.conferenceService();
        const rooms = service ? await m.discoverRooms(service) : [];
        listed = rooms.map((r) => ({ label: `$(comment-discussion) ${r.name}`, description: r.jid, room: r.jid }));
        if (service && !rooms.length) qp.placeholder = vscode.l10n.t('Room address — {0} lists no public rooms', service);
      } catch (err) {
        qp.placeholder = vscode.l10n.t('Room address (the room list is not available: {0})', String((err as Error).message));
      } finally {
        qp.busy = false;
        refresh();
      }
    })();
    const pick = await new Promise<string | undefined>((resolve) => {
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (item?.room) return resolve(item.room);
        const typed = typedItems(qp.value)[0];
        if (typed?.room) resolve(typed.room);
      });
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    return pick;
  }

  /** "Padlock: Create Room…": name, members-only or public, nickname. */
  async createInteractive(arg?: RoomArg): Promise<void> {
    const s = await this.pickAccount(arg?.account, vscode.l10n.t('Create a room with which account?'));
    if (!s) return;
    const m = this.muc(s.id);
    const service = await m.conferenceService().catch(() => null);
    const name = await vscode.window.showInputBox({
      title: vscode.l10n.t('Create Room (1/3): name'),
      prompt: service ? vscode.l10n.t('A name (the room will be NAME@{0}) or a full room address', service) : vscode.l10n.t('The full room address'),
      placeHolder: service ? `team@${service}` : 'team@conference.example.org',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const t = v.trim();
        try {
          checkRoomJid(t.includes('@') || !service ? t : `${t}@${service}`);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (!name) return;
    const room = checkRoomJid(name.trim().includes('@') || !service ? name.trim() : `${name.trim()}@${service}`);
    type Kind = vscode.QuickPickItem & { membersOnly: boolean };
    const kind = await vscode.window.showQuickPick<Kind>(
      [
        { label: `$(lock) ${vscode.l10n.t('Members only')}`, detail: vscode.l10n.t('Only people you invite can enter; not listed publicly.'), membersOnly: true },
        { label: `$(globe) ${vscode.l10n.t('Public')}`, detail: vscode.l10n.t('Anyone on the service can find the room and enter.'), membersOnly: false },
      ],
      { title: vscode.l10n.t('Create Room (2/3): who may enter {0}?', room), ignoreFocusOut: true },
    );
    if (!kind) return;
    const nick = await askNick(localOf(s.jid), vscode.l10n.t('Create Room (3/3): your nickname'));
    if (nick === undefined) return;
    this.open(s, room);
    try {
      await m.create(room, nick, { membersOnly: kind.membersOnly, public: !kind.membersOnly, persistent: true });
    } catch (err) {
      this.panels.get(key(s.id, room))?.pushHeader();
      throw err;
    }
  }

  async leaveInteractive(arg?: RoomArg): Promise<void> {
    const target = await this.pickJoinedRoom(arg, vscode.l10n.t('Leave which room?'));
    if (!target) return;
    await this.muc(target.s.id).leave(target.room);
  }

  async inviteCommand(arg?: RoomArg): Promise<void> {
    const target = await this.pickJoinedRoom(arg, vscode.l10n.t('Invite to which room?'));
    if (target) await this.inviteInteractive(target.s, target.room);
  }

  /** Pick a contact (or type an address), an optional reason; sends a direct and a mediated invitation. */
  async inviteInteractive(s: AccountSession, room: string): Promise<void> {
    type Item = vscode.QuickPickItem & { jid: string };
    const contacts: Item[] = [...s.roster.items.values()].map((i) => ({ label: s.roster.displayName(i.jid), description: i.jid, jid: i.jid }));
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = vscode.l10n.t('Invite to {0}', room);
    qp.placeholder = vscode.l10n.t('A contact, or type an address (name@example.org)');
    qp.matchOnDescription = true;
    qp.items = contacts;
    qp.onDidChangeValue((v) => {
      const t = v.trim();
      const extra = isValidBareUserJid(t) && !contacts.some((c) => c.jid === bareJid(t)) ? [{ label: `$(mail) ${t}`, description: vscode.l10n.t('invite this address'), alwaysShow: true, jid: bareJid(t) }] : [];
      qp.items = [...extra, ...contacts];
    });
    const who = await new Promise<string | undefined>((resolve) => {
      qp.onDidAccept(() => resolve((qp.selectedItems[0] ?? qp.activeItems[0])?.jid));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    if (!who) return;
    const reason = await vscode.window.showInputBox({ title: vscode.l10n.t('Invite {0}: message (optional)', who), ignoreFocusOut: true });
    if (reason === undefined) return;
    await this.muc(s.id).invite(room, who, reason || undefined, 'both');
    void vscode.window.showInformationMessage(vscode.l10n.t('Invitation to {0} sent to {1}.', room, who));
  }

  // -- notifications ---------------------------------------------------------------------------

  private async onInvitation(s: AccountSession, inv: Invitation): Promise<void> {
    const join = vscode.l10n.t('Join');
    const decline = vscode.l10n.t('Decline');
    const from = inv.inviterNick ? `${sanitizeNick(inv.inviterNick)} (${bareJid(inv.from)})` : bareJid(inv.from);
    const why = inv.reason ? ` — ${inv.reason}` : '';
    const pick = await vscode.window.showInformationMessage(
      vscode.l10n.t('{0} invites you ({1}) to the room {2}{3}', plainForNotification(from, 120), s.jid, plainForNotification(inv.room, 120), plainForNotification(why, 160)),
      join,
      decline,
    );
    const m = this.mucs.get(s.id);
    if (!m) return;
    try {
      if (pick === join) {
        this.open(s, inv.room);
        await m.accept(inv.id).catch((err) => {
          this.log.info(`[${s.jid}] accept ${inv.room}: ${String((err as Error).message)}`);
          this.panels.get(key(s.id, inv.room))?.pushHeader();
        });
      } else if (pick === decline) await m.decline(inv.id);
    } catch (err) {
      void vscode.window.showErrorMessage(String((err as Error).message));
    }
  }

  private async notifyMention(s: AccountSession, room: string, m: RoomMessage): Promise<void> {
    if (!vscode.workspace.getConfiguration('padlock').get<boolean>('notifications', true)) return;
    const open = vscode.l10n.t('Open');
    const who = plainForNotification(m.displayFrom ?? '', 60);
    const pick = await vscode.window.showInformationMessage(
      vscode.l10n.t('{0} mentioned you in {1}: {2}', who, plainForNotification(localOf(room) || room, 60), plainForNotification(m.text, 120)),
      open,
    );
    if (pick === open) this.open(s, room);
  }

  // -- pickers ---------------------------------------------------------------------------------

  private async pickAccount(id: string | undefined, title: string): Promise<AccountSession | undefined> {
    if (id) {
      const s = this.accounts.get(id);
      if (!s) throw new Error(vscode.l10n.t('Unknown account {0}.', id));
      if (s.state !== 'online') throw new Error(vscode.l10n.t('{0} is not signed in.', s.jid));
      return s;
    }
    const online = this.accounts.list().filter((s) => s.state === 'online');
    if (!online.length) {
      void vscode.window.showInformationMessage(
        this.accounts.list().length ? vscode.l10n.t('Sign in to an account first.') : vscode.l10n.t('Add an XMPP account first.'),
      );
      return undefined;
    }
    if (online.length === 1) return online[0];
    return (await vscode.window.showQuickPick(online.map((s) => ({ label: s.jid, s })), { title }))?.s;
  }

  private async pickJoinedRoom(arg: RoomArg | undefined, title: string): Promise<{ s: AccountSession; room: string } | undefined> {
    if (arg?.account && arg.jid) {
      const s = this.accounts.get(arg.account);
      if (!s) throw new Error(vscode.l10n.t('Unknown account {0}.', arg.account));
      return { s, room: checkRoomJid(arg.jid) };
    }
    // The active room panel, if any.
    for (const p of this.panels.values()) if (p.panel.active) return { s: p.account, room: p.jid };
    const items = [...this.mucs.entries()].flatMap(([id, m]) => {
      const s = this.accounts.get(id);
      return s ? m.joinedRooms.filter((r) => r.status === 'joined').map((r) => ({ label: r.jid, description: s.jid, s, room: r.jid })) : [];
    });
    if (!items.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('You are not in any room.'));
      return undefined;
    }
    if (items.length === 1) return items[0];
    return await vscode.window.showQuickPick(items, { title });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const m of this.mucs.values()) m.dispose();
    this.mucs.clear();
    for (const d of this.disposables) d.dispose();
  }
}

async function askNick(value: string, title = vscode.l10n.t('Your nickname in the room')): Promise<string | undefined> {
  const nick = await vscode.window.showInputBox({
    title,
    value,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        checkNick(v.trim());
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return nick === undefined ? undefined : nick.trim();
}


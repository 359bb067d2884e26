/**
 * Chat panels (one editor-area webview per account and contact), unread counts, and
 * notifications for messages whose chat is not visible.
 *
 * History is read from disk when a panel opens (never kept in webview state), so a reopened
 * panel shows the conversation as it was.
 */
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import { bareJid } from '../core/jid';
import type { Logger } from '../core/log';
import {
  type ChatNotifications,
  type ChatRequests,
  type ChatState0,
  type MessageView,
  type OtrView,
  CHAT_PAGE,
  chatValidators,
} from '../shared/protocol';
import type { AccountManager } from './accounts';
import type { OtrService } from './otr';
import { ConversationPanel, createConversationPanel } from './conversationPanel';
import { WebviewRpc } from './rpc';
import { isRemote } from './remoteSession';
import { runCodeAction } from './share';

export const CHAT_VIEW_TYPE = 'padlock.chat';
/** How much history a panel can scroll back through (pages of CHAT_PAGE, see `earlier`). */
const HISTORY_LIMIT = 10_000;

const key = (account: string, jid: string) => `${account}\u0000${jid}`;

class ChatPanel extends ConversationPanel {
  readonly rpc: WebviewRpc<ChatRequests, ChatNotifications>;

  constructor(
    panel: vscode.WebviewPanel,
    /** Replaced when this window takes the connections over from another window (issue 7). */
    public account: AccountSession,
    readonly jid: string,
    extensionUri: vscode.Uri,
    log: Logger,
    onFocus: () => void,
    private readonly otr: OtrService,
    private readonly onAuthenticate: () => void,
  ) {
    super(panel, extensionUri);
    this.rpc = new WebviewRpc<ChatRequests, ChatNotifications>(
      panel.webview,
      chatValidators,
      {
        ready: () => this.initialState(),
        earlier: async ({ before, limit }) => {
          const all = await this.account.history(this.jid, HISTORY_LIMIT);
          const end = all.findIndex((m) => m.id === before);
          if (end < 0) return { messages: [], hasEarlier: false };
          const from = Math.max(0, end - limit);
          return { messages: all.slice(from, end), hasEarlier: from > 0 };
        },
        send: async ({ text }) => {
          const m = await this.account.sendMessage(this.jid, text);
          return { id: m.id };
        },
        chatState: async ({ state }) => {
          await this.account.sendChatState(this.jid, state);
        },
        otr: async ({ action }) => {
          const acc = this.account;
          if (isRemote(acc)) {
            // The conversation's OTR instance lives in the owner window (issue 7).
            if (action === 'authenticate') throw new Error(vscode.l10n.t('Authenticate {0} from the window that owns the connection of {1}.', this.jid, acc.jid));
            return acc.otrAction(this.jid, action);
          }
          const layer = this.otr.layer(this.account.id);
          if (!layer) throw new Error(vscode.l10n.t('Private conversations are not available for this account.'));
          if (action === 'authenticate') return this.onAuthenticate();
          if (this.account.state !== 'online') throw new Error(vscode.l10n.t('{0} is not signed in.', this.account.jid));
          if (action === 'startPrivate') await layer.start(this.jid);
          else if (action === 'refreshPrivate') await layer.refresh(this.jid);
          else if (action === 'resendPrivate') await layer.resendUnread(this.jid);
          else await layer.end(this.jid);
        },
        otrPolicy: async ({ policy }) => {
          const acc = this.account;
          if (isRemote(acc)) return acc.setOtrPolicy(this.jid, policy);
          await this.otr.setContactPolicy(this.account, this.jid, policy === 'default' ? undefined : policy);
        },
        codeAction: async ({ messageId, block, action }) => {
          // History includes this session's private messages (kept in memory, not on disk).
          const text = (await this.account.history(this.jid, HISTORY_LIMIT)).find((m) => m.id === messageId)?.text;
          if (text === undefined) throw new Error(vscode.l10n.t('That message is no longer available.'));
          await runCodeAction(text, block, action);
        },
      },
      (m) => log.warn(`[chat ${jid}] ${m}`),
      new Set(['header', 'theirState', 'otr']),
    );
    this.load('chat', this.title(), onFocus);
  }

  title(): string {
    return this.account.roster.displayName(this.jid);
  }

  async initialState(): Promise<ChatState0> {
    const p = this.account.roster.aggregate(this.jid);
    return {
      account: this.account.id,
      accountJid: this.account.jid,
      jid: this.jid,
      name: this.title(),
      presence: p.show,
      status: p.status,
      connection: this.account.state,
      ...(await this.newestPage()),
      otr: await this.otrView(),
    };
  }

  /** Only the newest page goes with `ready`; older pages on request (`earlier`). */
  private async newestPage(): Promise<{ messages: MessageView[]; hasEarlier: boolean }> {
    const all = await this.account.history(this.jid, HISTORY_LIMIT);
    return { messages: all.slice(-CHAT_PAGE), hasEarlier: all.length > CHAT_PAGE };
  }

  private otrView(): OtrView | Promise<OtrView> {
    const acc = this.account;
    return isRemote(acc) ? acc.otrView(this.jid) : this.otr.view(acc, this.jid);
  }

  pushOtr(): void {
    void Promise.resolve(this.otrView()).then(
      (v) => this.rpc.notify('otr', v),
      () => undefined,
    );
  }

  /** This window took over the connection: the same chat, now backed by the real session. */
  async rebind(account: AccountSession): Promise<void> {
    this.account = account;
    this.pushHeader();
    this.pushOtr();
    // Whatever arrived while the owner was changing is in history; the webview merges by id.
    for (const m of await account.history(this.jid, 50)) this.rpc.notify('message', m);
  }

  pushHeader(): void {
    const p = this.account.roster.aggregate(this.jid);
    this.panel.title = this.title();
    this.rpc.notify('header', { name: this.title(), presence: p.show, status: p.status, connection: this.account.state });
  }
}

export class ChatManager implements vscode.Disposable {
  private readonly panels = new Map<string, ChatPanel>();
  /** Unread counts per account and contact (cleared when the chat is shown). */
  private readonly unread = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeUnread = this.changed.event;
  private readonly read = new vscode.EventEmitter<{ account: string; jid: string }>();
  /** A chat was shown in this window, so its messages count as read. */
  readonly onDidRead = this.read.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.read];
  /**
   * Several windows (issue 7): whether this window shows the notification for an incoming
   * message. The owner decides for all windows (the focused one notifies); see instance.ts.
   */
  notifyHere: (s: AccountSession, event: { notifyWindow?: string }) => boolean = () => true;
  /** Resolves once this window knows its accounts (its own, or the owner window's). */
  accountsLoaded: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly accounts: AccountManager,
    private readonly log: Logger,
    private readonly otr: OtrService,
    private readonly authenticate: (account: AccountSession, jid: string) => void,
  ) {
    for (const s of accounts.list()) this.watch(s);
    this.disposables.push(
      accounts.onDidCreateSession((s) => {
        this.watch(s);
        // Same account id, new session object: the window took over from a closed owner.
        for (const p of this.panels.values()) {
          if (p.account.id === s.id && p.account !== s) void p.rebind(s).catch((e) => this.log.warn(`[chat ${p.jid}] ${String(e)}`));
        }
      }),
      otr.onDidChange(({ account, contact }) => {
        for (const p of this.panels.values()) {
          if ((!account || p.account.id === account) && (!contact || p.jid === contact)) p.pushOtr();
        }
      }),
    );
  }

  /** Restores a panel after a window reload: the state names the chat, the history comes from disk. */
  async deserialize(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const st = state as { account?: string; jid?: string } | undefined;
    // In a follower window (issue 7) the accounts arrive from the owner after activation.
    if (st?.account && !this.accounts.get(st.account)) await this.accountsLoaded;
    const acc = st?.account ? this.accounts.get(st.account) : undefined;
    if (!acc || typeof st?.jid !== 'string') {
      panel.dispose();
      return;
    }
    this.adopt(panel, acc, bareJid(st.jid));
  }

  unreadFor(account: string, jid: string): number {
    return this.unread.get(key(account, jid)) ?? 0;
  }

  /** Contacts of `account` with unread messages (including people not in the roster). */
  unreadContacts(account: string): string[] {
    const prefix = `${account}\u0000`;
    return [...this.unread.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  totalUnread(): number {
    let n = 0;
    for (const v of this.unread.values()) n += v;
    return n;
  }

  isVisible(account: string, jid: string): boolean {
    const p = this.panels.get(key(account, jid));
    return !!p && p.panel.visible;
  }

  open(account: AccountSession, jid: string, preserveFocus = false): void {
    const contact = bareJid(jid);
    const existing = this.panels.get(key(account.id, contact));
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      this.markRead(account.id, contact);
      return;
    }
    const panel = createConversationPanel(CHAT_VIEW_TYPE, account.roster.displayName(contact), preserveFocus, this.extensionUri);
    this.adopt(panel, account, contact);
  }

  private adopt(panel: vscode.WebviewPanel, account: AccountSession, contact: string): void {
    const k = key(account.id, contact);
    const cp = new ChatPanel(
      panel,
      account,
      contact,
      this.extensionUri,
      this.log,
      () => this.markRead(account.id, contact),
      this.otr,
      () => this.authenticate(account, contact),
    );
    this.panels.set(k, cp);
    panel.onDidDispose(() => {
      cp.dispose();
      if (this.panels.get(k) === cp) this.panels.delete(k);
    });
    this.markRead(account.id, contact);
  }

  private markRead(account: string, jid: string): void {
    if (this.unread.delete(key(account, jid))) this.changed.fire();
    this.read.fire({ account, jid });
  }

  /**
   * Another window showed this chat (issue 7): its messages are read here too. Does not fire
   * onDidRead, so windows do not echo it back and forth.
   */
  clearUnread(account: string, jid: string): void {
    if (this.unread.delete(key(account, jid))) this.changed.fire();
  }

  private watch(s: AccountSession): void {
    const panel = (contact: string) => {
      const p = this.panels.get(key(s.id, contact));
      return p && p.account === s ? p : undefined;
    };
    s.on('message', (ev) => {
      const { contact, message, incoming } = ev;
      const p = panel(contact);
      p?.rpc.notify('message', message);
      if (incoming && !(p && p.panel.visible)) {
        const k = key(s.id, contact);
        this.unread.set(k, (this.unread.get(k) ?? 0) + 1);
        this.changed.fire();
        if (this.notifyHere(s, ev as { notifyWindow?: string })) void this.notifyIncoming(s, contact, message);
      }
    });
    if (isRemote(s)) s.onOtrChange((contact) => {
      for (const p of this.panels.values()) if (p.account === s && (!contact || p.jid === contact)) p.pushOtr();
    });
    s.on('messageStatus', ({ contact, id, status }) => panel(contact)?.rpc.notify('messageStatus', { id, status }));
    s.on('chatState', ({ contact, state }) => panel(contact)?.rpc.notify('theirState', { state }));
    const header = () => {
      for (const p of this.panels.values()) if (p.account === s) p.pushHeader();
    };
    s.on('roster', header);
    s.on('state', header);
  }

  /** A notification for a message whose chat is not visible: Open, or Reply inline. */
  private async notifyIncoming(s: AccountSession, contact: string, m: MessageView): Promise<void> {
    if (!vscode.workspace.getConfiguration('padlock').get<boolean>('notifications', true)) return;
    const open = vscode.l10n.t('Open');
    const reply = vscode.l10n.t('Reply');
    const name = plainForNotification(s.roster.displayName(contact), 60);
    // Private plaintext stays in the chat; a notification only says that something arrived.
    const preview = m.private ? vscode.l10n.t('(private message)') : plainForNotification(m.text, 120);
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('{0}: {1}', name, preview), open, reply);
    if (pick === open) this.open(s, contact);
    else if (pick === reply) {
      const text = await vscode.window.showInputBox({ title: vscode.l10n.t('Reply to {0}', name), prompt: preview });
      if (text?.trim()) await s.sendMessage(contact, text).catch((e) => vscode.window.showErrorMessage(String((e as Error).message)));
    }
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * Notifications render markdown-style links ("[text](command:…)"): remote text must not be
 * able to create one. Brackets become look-alikes, control characters go, length is capped.
 */
export function plainForNotification(text: string, max: number): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\[/g, '\u2045')
    .replace(/\]/g, '\u2046')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

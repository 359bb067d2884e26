/**
 * The contact tree: a webview view in Padlock's activity-bar container. It renders
 * ContactsState; all actions come back as validated requests and run commands here.
 */
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import { type ContactView, type ContactsNotifications, type ContactsRequests, type ContactsState, contactsValidators } from '../shared/protocol';
import type { AccountManager } from './accounts';
import type { ChatManager } from './chats';
import { localRoots, webviewHtml } from './html';
import type { Logger } from '../core/log';
import { WebviewRpc } from './rpc';
import type { OtrService } from './otr';
import type { RoomsManager } from './rooms';

export const CONTACTS_VIEW_ID = 'padlock.contacts';

export class ContactsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private rpc?: WebviewRpc<ContactsRequests, ContactsNotifications>;
  private scheduled = false;
  private readonly disposables: vscode.Disposable[] = [];
  private rooms?: RoomsManager;
  private otr?: OtrService;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly accounts: AccountManager,
    private readonly chats: ChatManager,
    private readonly log: Logger,
  ) {
    this.disposables.push(accounts.onDidChange(() => this.schedule()), chats.onDidChangeUnread(() => this.schedule()));
  }

  /** Group chat (issue 6): rooms under their account, with unread counts. */
  attachRooms(rooms: RoomsManager): void {
    this.rooms = rooms;
    this.disposables.push(rooms.onDidChange(() => this.schedule()));
    this.schedule();
  }

  /** Private conversations: a pending verification request shows on its contact. */
  attachOtr(otr: OtrService): void {
    this.otr = otr;
    this.disposables.push(otr.onDidChange(({ smp }) => smp && this.schedule()));
    this.schedule();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: localRoots(this.extensionUri) };
    this.rpc?.dispose();
    this.rpc = new WebviewRpc<ContactsRequests, ContactsNotifications>(
      view.webview,
      contactsValidators,
      {
        ready: () => this.state(),
        openChat: ({ account, jid }) => {
          const s = this.accounts.get(account);
          if (!s) throw new Error(vscode.l10n.t('Unknown account.'));
          this.chats.open(s, jid);
        },
        addAccount: () => void vscode.commands.executeCommand('padlock.addAccount'),
        addContact: ({ account }) => void vscode.commands.executeCommand('padlock.addContact', account ? { account } : undefined),
        signIn: ({ account }) => this.accounts.signIn(account),
        signOut: ({ account }) => this.accounts.signOut(account),
        contactAction: async ({ account, jid, action }) => {
          const command = {
            message: 'padlock.openChat',
            rename: 'padlock.renameContact',
            move: 'padlock.moveContact',
            remove: 'padlock.removeContact',
            rerequest: 'padlock.rerequestAuthorization',
            startPrivate: 'padlock.startPrivate',
            refreshPrivate: 'padlock.refreshPrivate',
            endPrivate: 'padlock.endPrivate',
            authenticate: 'padlock.verifyContact',
          }[action];
          await vscode.commands.executeCommand(command, { account, jid });
        },
        answerRequest: async ({ account, jid, answer }) => {
          const s = this.accounts.get(account);
          if (!s) throw new Error(vscode.l10n.t('Unknown account.'));
          await s.answerRequest(jid, answer);
        },
        roomAction: async ({ account, jid, action }) => {
          const s = this.accounts.get(account);
          if (!s || !this.rooms) throw new Error(vscode.l10n.t('Unknown account.'));
          if (action === 'open') return this.rooms.open(s, jid ?? '');
          const command = { join: 'padlock.joinRoom', create: 'padlock.createRoom', leave: 'padlock.leaveRoom', invite: 'padlock.inviteToRoom' }[action];
          await vscode.commands.executeCommand(command, { account, jid });
        },
      },
      (m) => this.log.warn(`[contacts] ${m}`),
      new Set(['state']),
    );
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'contacts', vscode.l10n.t('Padlock Contacts'));
    view.onDidDispose(() => {
      this.rpc?.dispose();
      this.rpc = undefined;
      this.view = undefined;
    });
    this.updateBadge();
  }

  state(): ContactsState {
    return {
      accounts: this.accounts.list().map((s) => ({
        id: s.id,
        jid: s.jid,
        state: s.state,
        error: s.error?.message,
        presence: s.presence.show,
        status: s.presence.status,
        contacts: [...s.roster.contactViews((jid) => this.chats.unreadFor(s.id, jid)), ...this.strangers(s)].map((c) =>
          this.otr?.view(s, c.jid).smp?.waitingForUs ? { ...c, verifyRequest: true } : c,
        ),
        requests: s.roster.requestViews(),
        queued: s.queue.size,
        rooms: this.rooms?.roomViews(s.id) ?? [],
      })),
    };
  }

  /**
   * People not in the roster who wrote to us and whose messages are unread: listed so that
   * nothing they sent is lost once the notification is gone. "Re-request" adds them.
   */
  private strangers(s: AccountSession): ContactView[] {
    return this.chats
      .unreadContacts(s.id)
      .filter((jid) => !s.roster.items.has(jid))
      .map((jid) => ({
        account: s.id,
        jid,
        name: s.roster.displayName(jid),
        groups: [vscode.l10n.t('Not in your contacts')],
        presence: 'offline',
        subscription: 'none',
        pendingOut: false,
        denied: false,
        unread: this.chats.unreadFor(s.id, jid),
      }));
  }

  /** Coalesces bursts (a roster of 2,000 sending presence at sign-in) into one update per frame. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.rpc?.notify('state', this.state());
      this.updateBadge();
    }, 16);
  }

  private updateBadge(): void {
    if (!this.view) return;
    const n = this.chats.totalUnread() + (this.rooms?.totalUnread() ?? 0);
    // Not `undefined` when all is read: VS Code's webview view pane (1.100) never clears the
    // activity-bar badge for undefined (fixed upstream by microsoft/vscode#331019); a badge of
    // 0 is hidden by the activity bar and works in every version.
    this.view.badge = n ? { value: n, tooltip: vscode.l10n.t('{0} unread messages', n) } : { value: 0, tooltip: '' };
  }

  dispose(): void {
    this.rpc?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

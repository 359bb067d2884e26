/**
 * Context keys for `when` clauses in package.json (command palette, menus, walkthrough steps):
 * the palette only offers a command when it can do something, e.g. "Sign Out" only while an
 * account is signed in, "End Private Conversation" only while one is up.
 *
 *   padlock.hasAccounts            at least one account is configured
 *   padlock.signedIn               at least one account is online
 *   padlock.canSignIn              at least one account is not online (signed out, error, …)
 *   padlock.canSignOut             at least one account is not signed out
 *   padlock.hasContacts            at least one account has a roster entry
 *   padlock.hasKey                 at least one account has an OTR private key
 *   padlock.hasPrivateConversation at least one OTR session is encrypted (or finished: the
 *                                  OTR v3 spec's FINISHED state still needs an explicit end)
 *   padlock.hasVerifiedContact     at least one known fingerprint is verified (walkthrough)
 *   padlock.inRoom                 at least one group chat is joined
 *
 * Values are recomputed on the events that change them and only sent to VS Code when they
 * change (setContext is a round trip to the renderer).
 */
import * as vscode from 'vscode';
import { isPrivate, type OtrState } from '../core/otr/policy';
import type { AccountManager } from './accounts';
import type { OtrService } from './otr';
import { isRemote } from './remoteSession';
import type { RoomsManager } from './rooms';

export const CONTEXT_KEYS = [
  'padlock.hasAccounts',
  'padlock.signedIn',
  'padlock.canSignIn',
  'padlock.canSignOut',
  'padlock.hasContacts',
  'padlock.hasKey',
  'padlock.hasPrivateConversation',
  'padlock.hasVerifiedContact',
  'padlock.inRoom',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** "End Private Conversation" can act: encrypted, or FINISHED (the contact ended it, we have not). */
function endable(state: OtrState | undefined): boolean {
  return !!state && (isPrivate(state) || state === 'finished');
}

export class ContextKeys implements vscode.Disposable {
  private readonly values = new Map<ContextKey, boolean>();
  /** account \0 contact of OTR sessions that are private now. */
  private readonly privateSessions = new Set<string>();
  private readonly subs: vscode.Disposable[] = [];
  /** Follower windows (issue 7): the owner's OTR changes arrive per remote session. */
  private readonly watchedRemotes = new Set<string>();
  private rooms?: RoomsManager;
  private scheduled = false;
  private verified = false;
  private readonly changed = new vscode.EventEmitter<ContextKey>();
  /** Fires after a key's value changed (tests wait on it). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly accounts: AccountManager,
    private readonly otr: OtrService,
  ) {
    this.subs.push(
      this.changed,
      accounts.onDidChange(() => {
        this.watchRemotes();
        this.schedule();
      }),
      otr.onDidChange(({ account, contact }) => {
        if (account && contact) this.track(account, contact);
        void this.refreshVerified();
        this.schedule();
      }),
    );
    this.watchRemotes();
    void this.refreshVerified();
    this.update();
  }

  attachRooms(rooms: RoomsManager): void {
    this.rooms = rooms;
    this.subs.push(rooms.onDidChange(() => this.schedule()));
    this.schedule();
  }

  /** The current value of a key (for tests). */
  get(key: ContextKey): boolean {
    return this.values.get(key) ?? false;
  }

  /** OTR state of a conversation, from this window's OTR layer or the owner window's. */
  private stateOf(account: string, contact: string): OtrState | undefined {
    const local = this.otr.layer(account);
    if (local) return local.state(contact);
    const s = this.accounts.get(account);
    return isRemote(s) ? s.cachedOtrView(contact)?.state : undefined;
  }

  private track(account: string, contact: string): void {
    const k = `${account}\u0000${contact}`;
    if (endable(this.stateOf(account, contact))) this.privateSessions.add(k);
    else this.privateSessions.delete(k);
  }

  private watchRemotes(): void {
    for (const s of this.accounts.list()) {
      if (!isRemote(s) || this.watchedRemotes.has(s.id)) continue;
      this.watchedRemotes.add(s.id);
      this.subs.push(
        s.onOtrChange((contact) => {
          if (contact) this.track(s.id, contact);
          this.schedule();
        }),
      );
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Coalesces a roster of thousands sending presence at sign-in into one recomputation.
    setTimeout(() => {
      this.scheduled = false;
      this.update();
    }, 16);
  }

  private async refreshVerified(): Promise<void> {
    let any = false;
    for (const s of this.accounts.list()) {
      const all = await this.otr.trust.all(s.id);
      if (Object.values(all).some((fps) => fps.some((f) => f.verified))) any = true;
    }
    if (any !== this.verified) {
      this.verified = any;
      this.schedule();
    }
  }

  private update(): void {
    const list = this.accounts.list();
    // A session can also end without an OTR event (account removed): drop stale entries.
    for (const k of [...this.privateSessions]) {
      const [account, contact] = k.split('\u0000');
      if (!endable(this.stateOf(account, contact))) this.privateSessions.delete(k);
    }
    this.set('padlock.hasAccounts', list.length > 0);
    this.set('padlock.signedIn', list.some((s) => s.state === 'online'));
    this.set('padlock.canSignIn', list.some((s) => s.state !== 'online'));
    this.set('padlock.canSignOut', list.some((s) => s.state !== 'signedOut'));
    this.set('padlock.hasContacts', list.some((s) => s.roster.items.size > 0));
    this.set('padlock.hasKey', list.some((s) => this.otr.layer(s.id)?.hasKey() ?? false));
    this.set('padlock.hasPrivateConversation', this.privateSessions.size > 0);
    this.set('padlock.hasVerifiedContact', this.verified);
    this.set('padlock.inRoom', !!this.rooms && list.some((s) => this.rooms!.roomViews(s.id).some((r) => r.status === 'joined')));
  }

  private set(key: ContextKey, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
    this.changed.fire(key);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

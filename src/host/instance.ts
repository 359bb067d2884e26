/**
 * Several VS Code windows, one client (issue 7). Each window runs its own extension host; at
 * activation each tries to take the instance lock (src/core/instance) in the extension's global
 * storage. The window that gets it is the owner: it runs the AccountSessions (the only XMPP
 * connections, the only outgoing queue, the only OTR instances) and serves the local channel.
 * The others are followers: full views of the owner's session through the channel (contact
 * tree, chats, history, sending, account/contact/OTR commands), with RemoteSessions in place
 * of AccountSessions. When the owner's window closes, reloads or crashes, one follower takes
 * the lock and signs in with the passwords in SecretStorage (shared by the user's windows).
 *
 * Channel methods (follower -> owner): hello, focus, history, send, chatState, signIn,
 * signOut, setPresence, contact, otr, otrView, otrPolicy, addAccount, removeAccount.
 * Events (owner -> followers): accounts, message, messageStatus, chatState, otr.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as vscode from 'vscode';
import type { AccountConfig, AccountSession } from '../core/account';
import { Instance, type Role } from '../core/instance';
import { bareJid } from '../core/jid';
import type { Logger } from '../core/log';
import type { OtrPolicy } from '../core/otr/policy';
import type { ChatState, PresenceShow } from '../shared/protocol';
import type { AccountManager } from './accounts';
import type { ChatManager } from './chats';
import type { OtrService } from './otr';
import { isRemote, snapshotOf, type AccountSnapshot } from './remoteSession';

/**
 * A request from another window that this one cannot read: a bug or a version mismatch, but it
 * reaches the user of the asking window as the error of their command, so it is localised.
 */
function protocolError(detail: string): Error {
  return new Error(vscode.l10n.t('Another Padlock window sent a request this one cannot read ({0}).', detail));
}

/** Bumped when the channel's methods or events change: windows running two versions of
 * Padlock (one updated and not yet reloaded) must not misunderstand each other. */
const PROTOCOL = 1;
/** How long a follower's request waits for the next owner during a handover. */
const HANDOVER_WAIT_MS = 15_000;

interface Hello {
  accounts: AccountSnapshot[];
  configs: AccountConfig[];
}

type P = Record<string, unknown>;
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !v || v.length > 3071) throw protocolError(`bad ${what}`);
  return v;
};
const CONTACT_OPS = new Set(['addContact', 'requestAuthorization', 'renameContact', 'moveContact', 'removeContact', 'answerRequest']);

export class InstanceWiring implements vscode.Disposable {
  private readonly instance: Instance;
  /** This window's id on the channel (for "which window notifies"). */
  readonly windowId = randomUUID();
  /** Followers that report their window has focus (owner only). */
  private readonly focused = new Set<string>();
  private readonly subs: vscode.Disposable[] = [];
  private scheduled = false;
  /** When this window last became the owner after following (for the log and tests). */
  lastHandoverMs?: number;

  constructor(
    ctx: vscode.ExtensionContext,
    private readonly accounts: AccountManager,
    private readonly chats: ChatManager,
    private readonly otr: OtrService,
    private readonly log: Logger,
  ) {
    this.instance = new Instance({
      dir: path.join(ctx.globalStorageUri.fsPath, 'instance'),
      onRequest: (method, params, peer) => this.answer(method, (params ?? {}) as P, peer.meta),
    });
    this.instance.on('event', ({ event, data }) => this.onOwnerEvent(event, data as P));
    this.instance.on('ownerLost', () => {
      this.isSettled = false;
      this.log.info('instance: the window that owned the connections went away');
      this.accounts.ownerLost();
    });
    this.instance.on('peers', (n) => this.log.info(`instance: ${n} other window(s) follow this one`));
    // Owner: a follower's window focus decides where notifications show.
    this.chats.notifyHere = (s, ev) => (isRemote(s) ? ev.notifyWindow === this.windowId : this.notifyTarget() === undefined);
    this.subs.push(
      // Unread counts are one per user, not per window: a chat read anywhere is read everywhere.
      this.chats.onDidRead(({ account, jid }) => {
        if (this.instance.role === 'owner') this.instance.broadcast('read', { account, jid });
        else if (this.instance.role === 'follower') void this.instance.request('read', { account, jid }).catch(() => undefined);
      }),
      vscode.window.onDidChangeWindowState((st) => {
        if (this.instance.role === 'follower') void this.instance.request('focus', { window: this.windowId, focused: st.focused }).catch(() => undefined);
      }),
    );
  }

  get role(): Role | undefined {
    return this.instance.role;
  }

  /** Takes the lock and starts as owner (signs in) or follower (mirrors the owner). */
  async start(): Promise<Role> {
    let first = true;
    const started = Date.now();
    let lost = 0;
    this.instance.on('ownerLost', () => (lost = Date.now()));
    return new Promise<Role>((resolve, reject) => {
      this.instance.on('role', (role) => {
        void this.onRole(role, first).then(
          () => {
            if (!first && role === 'owner') {
              this.lastHandoverMs = Date.now() - (lost || started);
              this.log.info(`instance: this window took over the connections (${this.lastHandoverMs} ms after the owner left)`);
            }
            if (first) resolve(role);
            first = false;
          },
          (e) => {
            this.log.error(`instance: ${String((e as Error)?.message ?? e)}`);
            if (first) reject(e);
            first = false;
          },
        );
      });
      this.instance.start().catch((e) => {
        // The lock or channel is unusable (e.g. files of another OS user): this window still
        // works on its own rather than not at all, and says why in the log.
        this.log.error(`instance: ${String((e as Error)?.message ?? e)}; this window connects on its own`);
        if (first) {
          first = false;
          void this.accounts.init().then(() => resolve('owner'), reject);
        }
      });
    });
  }

  /**
   * A follower's request to the owner. While the owner is being replaced (its window just
   * closed) the request waits for the next owner, which may be this very window, and goes
   * there. Only a request that was never written is redirected: one that reached the old owner
   * may have been carried out (a message put into its queue, which the next owner loads from
   * disk), so repeating it could send it twice; it fails instead, as it would have anyway.
   */
  private readonly callOwner = async <T>(method: string, params: Record<string, unknown>): Promise<T> => {
    if (this.instance.role === 'follower' && this.instance.peer && !this.instance.peer.isClosed) return this.instance.request<T>(method, params);
    await this.settled(HANDOVER_WAIT_MS);
    if (this.instance.role === 'owner') return (await this.answer(method, params, {})) as T;
    return this.instance.request<T>(method, params);
  };

  private settledWaiters: (() => void)[] = [];
  private isSettled = false;

  /** Resolves once the current role has been fully taken (accounts created or mirrored). */
  private settled(timeoutMs: number): Promise<void> {
    if (this.isSettled && (this.instance.role === 'owner' || (this.instance.peer && !this.instance.peer.isClosed))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(vscode.l10n.t('No VS Code window is connected to your accounts right now. Try again in a moment.'))), timeoutMs);
      this.settledWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async onRole(role: Role, first: boolean): Promise<void> {
    this.isSettled = false;
    try {
      await this.takeRole(role, first);
    } finally {
      this.isSettled = true;
      for (const w of this.settledWaiters.splice(0)) w();
    }
  }

  private async takeRole(role: Role, first: boolean): Promise<void> {
    if (role === 'owner') {
      this.log.info('instance: this window owns the connections');
      this.serveOwner();
      if (first) await this.accounts.init();
      else await this.accounts.becomeOwner();
      this.broadcastAccounts();
      return;
    }
    this.log.info('instance: another window owns the connections; this one is a view of them');
    let hello: Hello | undefined;
    for (let attempt = 1; !hello; attempt++) {
      try {
        hello = await this.instance.request<Hello>('hello', { protocol: PROTOCOL, window: this.windowId, focused: vscode.window.state.focused });
      } catch (e) {
        if (/different version/.test(String((e as Error)?.message))) {
          void vscode.window.showWarningMessage(String((e as Error).message));
          throw e;
        }
        if (attempt >= 3) throw e;
        this.log.warn(`instance: hello failed (${String((e as Error)?.message ?? e)}); asking again`);
      }
    }
    this.accounts.syncFromOwner(hello.accounts, hello.configs, this.callOwner);
  }

  // -- owner ---------------------------------------------------------------------------------------

  private serving = false;

  private serveOwner(): void {
    if (this.serving) return;
    this.serving = true;
    const watch = (s: AccountSession) => {
      if (isRemote(s)) return;
      s.on('message', ({ contact, message, incoming }) =>
        this.instance.broadcast('message', { account: s.id, contact, message, incoming, notifyWindow: incoming ? this.notifyTarget() : undefined }),
      );
      s.on('messageStatus', (d) => this.instance.broadcast('messageStatus', { account: s.id, ...d }));
      s.on('chatState', (d) => this.instance.broadcast('chatState', { account: s.id, ...d }));
    };
    for (const s of this.accounts.list()) watch(s);
    this.subs.push(
      this.accounts.onDidCreateSession(watch),
      this.accounts.onDidChange(() => this.scheduleAccounts()),
      this.otr.onDidChange(({ account, contact }) => {
        const s = this.accounts.get(account);
        const view = s && contact && !isRemote(s) ? this.otr.view(s, contact) : undefined;
        this.instance.broadcast('otr', { account, contact, view });
      }),
    );
    this.instance.on('peers', () => {
      const live = new Set([...(this.instance.server?.peers ?? [])].map((p) => p.meta.window));
      for (const w of [...this.focused]) if (!live.has(w)) this.focused.delete(w);
    });
  }

  /** The follower window that shows the notification, or undefined for this (owner) window. */
  private notifyTarget(): string | undefined {
    if (vscode.window.state.focused) return undefined;
    return [...this.focused][0];
  }

  private scheduleAccounts(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A roster of thousands sending presence at sign-in: a whole snapshot at most every 50 ms
    // (the contact tree itself redraws at most once a frame).
    setTimeout(() => {
      this.scheduled = false;
      this.broadcastAccounts();
    }, 50);
  }

  private hello(): Hello {
    return { accounts: this.accounts.list().filter((s) => !isRemote(s)).map(snapshotOf), configs: this.accounts.configs() };
  }

  private broadcastAccounts(): void {
    this.instance.broadcast('accounts', this.hello());
  }

  private session(p: P): AccountSession {
    const s = this.accounts.get(str(p.account, 'account'));
    if (!s || isRemote(s)) throw new Error(vscode.l10n.t('Unknown account {0}.', String(p.account)));
    return s;
  }

  /** Answers a follower. Everything is validated: the peer is trusted as the same user, not as correct. */
  private async answer(method: string, p: P, meta: Record<string, unknown>): Promise<unknown> {
    // A follower may connect between this window's lock write and its role change.
    if (this.instance.role !== 'owner') await this.instance.waitFor('role', (r) => r === 'owner', 5000);
    switch (method) {
      case 'hello':
        if (p.protocol !== PROTOCOL) throw new Error(vscode.l10n.t('Another window runs a different version of Padlock Chat. Reload all VS Code windows to use this one.'));
        meta.window = str(p.window, 'window');
        if (p.focused === true) this.focused.add(meta.window as string);
        return this.hello();
      case 'focus': {
        const w = str(p.window, 'window');
        if (p.focused === true) this.focused.add(w);
        else this.focused.delete(w);
        return null;
      }
      case 'read': {
        const account = str(p.account, 'account');
        const jid = bareJid(str(p.jid, 'jid'));
        this.chats.clearUnread(account, jid);
        this.instance.broadcast('read', { account, jid });
        return null;
      }
      case 'history':
        return this.session(p).history(bareJid(str(p.jid, 'jid')), typeof p.limit === 'number' ? p.limit : undefined);
      case 'send': {
        const opts = (p.opts ?? {}) as { persist?: unknown; requirePrivate?: unknown };
        return this.session(p).sendMessage(str(p.jid, 'jid'), typeof p.text === 'string' ? p.text : '', {
          ...(typeof opts.persist === 'boolean' ? { persist: opts.persist } : {}),
          ...(opts.requirePrivate === true ? { requirePrivate: true } : {}),
        });
      }
      case 'chatState':
        return this.session(p).sendChatState(str(p.jid, 'jid'), str(p.state, 'state') as ChatState);
      case 'signIn':
        return this.accounts.signIn(this.session(p).id);
      case 'signOut':
        return this.accounts.signOut(this.session(p).id);
      case 'setPresence': {
        const s = this.session(p);
        const show = str(p.show, 'show') as PresenceShow;
        if (show !== 'offline' && s.state === 'signedOut') {
          await s.setPresence(show, typeof p.status === 'string' ? p.status : undefined);
          return this.accounts.signIn(s.id);
        }
        return s.setPresence(show, typeof p.status === 'string' ? p.status : undefined);
      }
      case 'contact': {
        const op = str(p.op, 'op');
        if (!CONTACT_OPS.has(op) || !Array.isArray(p.args)) throw protocolError('bad contact operation');
        const s = this.session(p) as unknown as Record<string, (...a: unknown[]) => Promise<void>>;
        return s[op](...p.args.map((a) => (typeof a === 'string' || a === undefined || a === null ? a ?? undefined : String(a))));
      }
      case 'otr': {
        const s = this.session(p);
        const layer = this.otr.layer(s.id);
        if (!layer) throw new Error(vscode.l10n.t('Private conversations are not available for {0}.', s.jid));
        if (s.state !== 'online') throw new Error(vscode.l10n.t('{0} is not signed in.', s.jid));
        const jid = bareJid(str(p.jid, 'jid'));
        const action = str(p.action, 'action');
        if (action === 'startPrivate') return layer.start(jid);
        if (action === 'refreshPrivate') return layer.refresh(jid);
        if (action === 'endPrivate') return layer.end(jid);
        if (action === 'resendPrivate') return layer.resendUnread(jid).then(() => undefined);
        throw protocolError('bad OTR action');
      }
      case 'otrView':
        return this.otr.view(this.session(p), bareJid(str(p.jid, 'jid')));
      case 'otrPolicy': {
        const policy = str(p.policy, 'policy');
        if (!['default', 'manual', 'opportunistic', 'required'].includes(policy)) throw protocolError('bad policy');
        return this.otr.setContactPolicy(this.session(p), bareJid(str(p.jid, 'jid')), policy === 'default' ? undefined : (policy as OtrPolicy));
      }
      case 'addAccount': {
        const a = p as { jid?: unknown; password?: unknown; host?: unknown; port?: unknown };
        await this.accounts.addAccount(
          {
            jid: str(a.jid, 'jid'),
            password: str(a.password, 'password'),
            host: typeof a.host === 'string' ? a.host : undefined,
            port: typeof a.port === 'number' ? a.port : undefined,
          },
          false,
        );
        return null;
      }
      case 'removeAccount':
        return this.accounts.removeAccount(this.session(p).id);
      default:
        throw protocolError(`unknown method ${method}`);
    }
  }

  // -- follower ------------------------------------------------------------------------------------

  private onOwnerEvent(event: string, data: P): void {
    if (event === 'accounts') {
      const h = data as unknown as Hello;
      if (Array.isArray(h.accounts) && Array.isArray(h.configs)) this.accounts.syncFromOwner(h.accounts, h.configs, this.callOwner);
      return;
    }
    if (event === 'read') {
      if (typeof data?.account === 'string' && typeof data.jid === 'string') this.chats.clearUnread(data.account, data.jid);
      return;
    }
    const s = typeof data?.account === 'string' ? this.accounts.get(data.account) : undefined;
    if (isRemote(s)) s.onOwnerEvent(event, data);
  }

  dispose(): void {
    for (const d of this.subs) d.dispose();
    void this.instance.dispose();
  }
}

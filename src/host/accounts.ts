/**
 * Accounts in VS Code: their settings in globalState (no secrets), passwords in SecretStorage
 * and nowhere else, one AccountSession each, and the sign-in experience (clear messages for
 * wrong passwords, unreachable servers and refused certificates; pinning one certificate for
 * one account after the user has seen its SHA-256 fingerprint).
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { AccountSession, type AccountConfig } from '../core/account';
import { ConnectError } from '../core/errors';
import { HistoryStore } from '../core/history';
import { bareJid, isValidBareUserJid } from '../core/jid';
import type { Logger } from '../core/log';
import { fileQueueStore } from '../core/queue';
import { isRemote, RemoteSession, type AccountSnapshot, type OwnerCall } from './remoteSession';

const ACCOUNTS_KEY = 'padlock.accounts';
const secretKey = (id: string) => `padlock.password/${id}`;

/** The provisioning file read at activation when PADLOCK_PROVISION_FILE is set (demo, tests). */
interface ProvisionFile {
  accounts: { jid: string; password: string; host?: string; port?: number; caFile?: string }[];
}

export class AccountManager implements vscode.Disposable {
  readonly sessions = new Map<string, AccountSession>();
  readonly history: HistoryStore;
  private readonly changed = new vscode.EventEmitter<AccountSession | undefined>();
  /** Fires when an account is added/removed or its state, roster or presence changes. */
  readonly onDidChange = this.changed.event;
  private readonly created = new vscode.EventEmitter<AccountSession>();
  /** Fires once per session object, so other parts can subscribe to its events. */
  readonly onDidCreateSession = this.created.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.created];
  /**
   * Set while this window is a follower (issue 7): the sessions are RemoteSessions and every
   * account action is a request to the window that owns the connections.
   */
  private owner?: OwnerCall;
  /** The owner's account configurations (no secrets), for taking over after it is gone. */
  private ownerConfigs: AccountConfig[] = [];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    private readonly log: Logger,
  ) {
    this.history = new HistoryStore(path.join(ctx.globalStorageUri.fsPath, 'history'));
  }

  /** Loads accounts, applies a provisioning file, and signs in those that should be. */
  async init(signedOut: ReadonlySet<string> = new Set()): Promise<void> {
    for (const cfg of this.configs()) this.createSession(cfg);
    await this.applyProvisioning();
    const auto = vscode.workspace.getConfiguration('padlock').get<boolean>('signInOnStartup', true);
    if (auto) for (const s of this.sessions.values()) if (!signedOut.has(s.id)) void this.signIn(s.id, false);
  }

  // -- several windows (issue 7) ----------------------------------------------------------------

  get isFollower(): boolean {
    return !!this.owner;
  }

  /** Becomes (or stays) a view of the owner window's sessions: mirrors its account list. */
  syncFromOwner(snaps: AccountSnapshot[], configs: AccountConfig[], call: OwnerCall): void {
    this.owner = call;
    this.ownerConfigs = configs;
    const ids = new Set(snaps.map((x) => x.id));
    for (const [id, s] of this.sessions) {
      if (ids.has(id)) continue;
      if (isRemote(s)) s.dispose();
      this.sessions.delete(id);
      this.changed.fire(undefined);
    }
    for (const snap of snaps) {
      const s = this.sessions.get(snap.id);
      if (isRemote(s)) {
        s.apply(snap);
        continue;
      }
      const r = new RemoteSession(snap, call);
      // The host uses RemoteSession through SessionSurface, the part of AccountSession it
      // checks against; OTR and group chat never attach to a remote session (they skip it).
      const session = r as unknown as AccountSession;
      this.sessions.set(snap.id, session);
      this.watch(session);
      this.created.fire(session);
      this.changed.fire(session);
    }
  }

  /** The owner is gone; until the next owner answers, remote accounts show "connecting". */
  ownerLost(): void {
    for (const s of this.sessions.values()) if (isRemote(s)) s.detached();
  }

  /**
   * This window now owns the connections: real sessions replace the remote ones (same ids, so
   * chat panels rebind to them), and sign in with the passwords in SecretStorage, which every
   * window of this user shares: no password is asked.
   */
  async becomeOwner(): Promise<void> {
    this.owner = undefined;
    const known = new Map(this.configs().map((c) => [c.id, c]));
    for (const c of this.ownerConfigs) if (!known.has(c.id)) known.set(c.id, c);
    if (known.size !== this.configs().length) await this.saveConfigs([...known.values()]);
    // Accounts the user had signed out in the old owner stay signed out.
    const signedOut = new Set<string>();
    for (const [id, s] of [...this.sessions]) {
      if (!isRemote(s)) continue;
      if (s.lastOwnerState === 'signedOut') signedOut.add(id);
      s.dispose();
      this.sessions.delete(id);
    }
    await this.init(signedOut);
  }

  list(): AccountSession[] {
    return [...this.sessions.values()];
  }

  get(id: string): AccountSession | undefined {
    return this.sessions.get(id);
  }

  configs(): AccountConfig[] {
    const raw = this.ctx.globalState.get<AccountConfig[]>(ACCOUNTS_KEY, []);
    return Array.isArray(raw) ? raw.filter((c) => c && typeof c.id === 'string' && typeof c.jid === 'string') : [];
  }

  private async saveConfigs(configs: AccountConfig[]): Promise<void> {
    await this.ctx.globalState.update(ACCOUNTS_KEY, configs);
  }

  private async upsertConfig(cfg: AccountConfig): Promise<void> {
    const all = this.configs().filter((c) => c.id !== cfg.id);
    all.push(cfg);
    await this.saveConfigs(all);
  }

  private createSession(cfg: AccountConfig): AccountSession {
    const queueFile = path.join(this.ctx.globalStorageUri.fsPath, 'queue', `${encodeURIComponent(cfg.id)}.json`);
    const s = new AccountSession(cfg, {
      logger: this.log,
      history: this.history,
      queueStore: fileQueueStore(queueFile, this.log),
      // Issue 3 item 7: private conversations are not logged unless the user wants it.
      logPrivate: () => vscode.workspace.getConfiguration('padlock.otr').get<boolean>('logPrivateConversations', false),
    });
    this.sessions.set(cfg.id, s);
    this.watch(s);
    this.created.fire(s);
    this.changed.fire(s);
    return s;
  }

  private watch(s: AccountSession): void {
    s.on('state', () => this.changed.fire(s));
    s.on('roster', () => this.changed.fire(s));
    s.on('queue', () => this.changed.fire(s));
    s.on('ownPresence', () => this.changed.fire(s));
  }

  // -- adding and removing ------------------------------------------------------------------

  /** "Padlock: Add Account…": address, password, optional server; then signs in. */
  async addAccountInteractive(): Promise<AccountSession | undefined> {
    const jid = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Account (1/3)'),
      prompt: vscode.l10n.t('Your XMPP address'),
      placeHolder: 'name@example.org',
      ignoreFocusOut: true,
      validateInput: (v) =>
        isValidBareUserJid(v.trim())
          ? this.sessions.has(bareJid(v.trim()))
            ? vscode.l10n.t('This account is already added.')
            : undefined
          : vscode.l10n.t('Enter an address like name@example.org.'),
    });
    if (!jid) return undefined;
    const password = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Account (2/3)'),
      prompt: vscode.l10n.t('Password for {0} (kept in VS Code\'s secret storage)', jid.trim()),
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v ? undefined : vscode.l10n.t('The password is required.')),
    });
    if (!password) return undefined;
    const server = await vscode.window.showInputBox({
      title: vscode.l10n.t('Add Account (3/3)'),
      prompt: vscode.l10n.t('Server host and port, only if your domain has no DNS SRV records. Leave empty to look it up.'),
      placeHolder: 'xmpp.example.org:5222',
      ignoreFocusOut: true,
      validateInput: (v) => (!v.trim() || parseHostPort(v.trim()) ? undefined : vscode.l10n.t('Enter host or host:port.')),
    });
    if (server === undefined) return undefined;
    const hp = server.trim() ? parseHostPort(server.trim()) : undefined;
    return this.addAccount({ jid: jid.trim(), password, host: hp?.host, port: hp?.port }, true);
  }

  async addAccount(a: { jid: string; password: string; host?: string; port?: number; caPem?: string[] }, interactive: boolean): Promise<AccountSession> {
    if (!isValidBareUserJid(a.jid)) throw new Error(vscode.l10n.t('"{0}" is not a valid address.', a.jid));
    const id = bareJid(a.jid);
    if (this.owner) {
      // The owner window adds it (over the private local channel) and signs it in; its
      // snapshot then brings the account here.
      await this.owner('addAccount', { ...a });
      const s = this.sessions.get(id);
      if (s) return s;
      return new Promise((resolve) => {
        const d = this.onDidCreateSession((x) => {
          if (x.id !== id) return;
          d.dispose();
          resolve(x);
        });
      });
    }
    const cfg: AccountConfig = { id, jid: id, host: a.host, port: a.port, caPem: a.caPem };
    await this.ctx.secrets.store(secretKey(id), a.password);
    await this.upsertConfig(cfg);
    const s = this.sessions.get(id) ?? this.createSession(cfg);
    void this.signIn(id, interactive);
    return s;
  }

  async removeAccount(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    if (isRemote(s)) return this.owner?.('removeAccount', { account: id });
    await s.dispose();
    this.sessions.delete(id);
    await this.ctx.secrets.delete(secretKey(id));
    await this.saveConfigs(this.configs().filter((c) => c.id !== id));
    this.changed.fire(undefined);
  }

  // -- signing in ---------------------------------------------------------------------------

  async signIn(id: string, interactive = true): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    if (isRemote(s)) return s.signIn();
    if (s.state === 'reconnecting') return s.retryNow();
    if (s.state === 'online' || s.state === 'connecting') return;
    let password = await this.ctx.secrets.get(secretKey(id));
    if (!password) {
      if (!interactive) return;
      password = await this.askPassword(s.jid);
      if (!password) return;
    }
    try {
      await s.start(password);
    } catch (err) {
      await this.onSignInError(s, err, interactive);
    }
  }

  async signOut(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (isRemote(s)) return s.signOut();
    await s?.stop();
  }

  private async askPassword(jid: string): Promise<string | undefined> {
    const pw = await vscode.window.showInputBox({
      title: vscode.l10n.t('Sign in to {0}', jid),
      prompt: vscode.l10n.t('Password (kept in VS Code\'s secret storage)'),
      password: true,
      ignoreFocusOut: true,
    });
    if (pw) await this.ctx.secrets.store(secretKey(bareJid(jid)), pw);
    return pw || undefined;
  }

  private async onSignInError(s: AccountSession, err: unknown, interactive: boolean): Promise<void> {
    const e = err instanceof ConnectError ? err : new ConnectError('other', String((err as Error)?.message ?? err));
    const who = s.jid;
    if (e.kind === 'auth') {
      const again = vscode.l10n.t('Enter Password');
      const pick = await vscode.window.showErrorMessage(vscode.l10n.t('{0}: {1}', who, e.message), again);
      if (pick === again) {
        const pw = await this.askPassword(who);
        if (pw) {
          await s.reconfigure(s.config);
          await this.signIn(s.id, true);
        }
      }
    } else if (e.kind === 'certificate') {
      await this.offerPin(s, e, interactive);
    } else if (e.kind === 'network') {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0}: {1} Padlock keeps trying in the background.', who, e.message));
    } else {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0}: {1}', who, e.message));
    }
  }

  /**
   * A certificate that failed verification is refused. The user may pin that one certificate
   * for this one account, after seeing its SHA-256 fingerprint.
   */
  private async offerPin(s: AccountSession, e: ConnectError, interactive: boolean): Promise<void> {
    const fp = e.fingerprint256;
    const pem = (e as ConnectError & { pem?: string }).pem;
    const show = vscode.l10n.t('Review Certificate…');
    if (!fp || !pem) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0}: {1}', s.jid, e.message));
      return;
    }
    if (!interactive) {
      const pick = await vscode.window.showErrorMessage(vscode.l10n.t('{0}: {1}', s.jid, e.message), show);
      if (pick !== show) return;
    }
    const trust = vscode.l10n.t('Trust This Certificate for {0}', s.jid);
    // The safe answer comes first, so it is the primary button Enter presses; trusting takes a
    // deliberate click (or Tab to it).
    const dontTrust = vscode.l10n.t("Don't Trust");
    const pick = await vscode.window.showWarningMessage(
      vscode.l10n.t('The certificate of the server for {0} could not be verified', s.jid),
      {
        modal: true,
        detail: vscode.l10n.t(
          '{0}\n\nSHA-256 fingerprint:\n{1}\n\nCompare it with the fingerprint your server\'s administrator gives you, over another channel. Trust it only if they match: this pins this one certificate for this one account.',
          e.message,
          fp,
        ),
      },
      dontTrust,
      trust,
    );
    if (pick !== trust) return;
    const cfg: AccountConfig = { ...s.config, pinnedFingerprint256: fp, pinnedPem: pem };
    await this.upsertConfig(cfg);
    await s.reconfigure(cfg);
    this.log.info(`[${s.jid}] pinned certificate ${fp}`);
    await this.signIn(s.id, true);
  }

  // -- provisioning (demo and tests) ---------------------------------------------------------

  private async applyProvisioning(): Promise<void> {
    const file = process.env.PADLOCK_PROVISION_FILE;
    if (!file) return;
    let data: ProvisionFile;
    try {
      data = JSON.parse(await fs.readFile(file, 'utf8')) as ProvisionFile;
    } catch (err) {
      this.log.warn(`provisioning file unreadable: ${String((err as Error).message)}`);
      return;
    }
    for (const a of data.accounts ?? []) {
      if (!a || !isValidBareUserJid(a.jid) || typeof a.password !== 'string') continue;
      const id = bareJid(a.jid);
      const caPem = a.caFile ? [readFileSync(a.caFile, 'utf8')] : undefined;
      const cfg: AccountConfig = { id, jid: id, host: a.host, port: a.port, caPem };
      await this.ctx.secrets.store(secretKey(id), a.password);
      await this.upsertConfig(cfg);
      const existing = this.sessions.get(id);
      if (existing) await existing.reconfigure(cfg);
      else this.createSession(cfg);
      this.log.info(`provisioned account ${id}`);
    }
  }

  dispose(): void {
    for (const s of this.sessions.values()) {
      if (isRemote(s)) s.dispose();
      else void s.stop();
    }
    for (const d of this.disposables) d.dispose();
  }
}

function parseHostPort(v: string): { host: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/**
 * Private conversations in VS Code: one OtrLayer (src/core/otr) per account, its stores backed
 * by VS Code (private keys in SecretStorage and nowhere else; known fingerprints, instance
 * tags and per-contact policies in globalState, none of them secret), key export and import,
 * and the import of keys and fingerprints from Pidgin / libotr files.
 */
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import type { Logger } from '../core/log';
import { decryptKeyFile, encryptKeyFile, libotrFingerprintsFor, libotrPrivateKeyFor } from '../core/otr/keyfiles';
import { OtrLayer, type SmpEvent } from '../core/otr/layer';
import { isPrivate, type OtrPolicy, type OtrState } from '../core/otr/policy';
import type { KeyStore, KnownFingerprint, TagStore, TrustStore } from '../core/otr/stores';
import type { OtrView } from '../shared/protocol';
import type { AccountManager } from './accounts';
import { isRemote } from './remoteSession';

const TRUST_KEY = 'padlock.otr.fingerprints';
const TAGS_KEY = 'padlock.otr.instanceTags';
const POLICIES_KEY = 'padlock.otr.policies';
const keySecret = (account: string) => `padlock.otrKey/${account}`;

type Nested<T> = Record<string, Record<string, T>>;

class SecretKeyStore implements KeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  load(account: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(keySecret(account)));
  }
  async save(account: string, packed: string): Promise<void> {
    await this.secrets.store(keySecret(account), packed);
  }
}

class MementoTrustStore implements TrustStore {
  constructor(private readonly memento: vscode.Memento) {}
  private all0(): Nested<KnownFingerprint[]> {
    return this.memento.get<Nested<KnownFingerprint[]>>(TRUST_KEY, {});
  }
  async load(account: string, contact: string): Promise<KnownFingerprint[]> {
    return (this.all0()[account]?.[contact] ?? []).map((f) => ({ ...f }));
  }
  async save(account: string, contact: string, fingerprints: KnownFingerprint[]): Promise<void> {
    const all = this.all0();
    const acc = { ...(all[account] ?? {}) };
    if (fingerprints.length) acc[contact] = fingerprints.map((f) => ({ fingerprint: f.fingerprint, verified: !!f.verified }));
    else delete acc[contact];
    await this.memento.update(TRUST_KEY, { ...all, [account]: acc });
  }
  async all(account: string): Promise<Record<string, KnownFingerprint[]>> {
    return { ...(this.all0()[account] ?? {}) };
  }
}

class MementoTagStore implements TagStore {
  constructor(private readonly memento: vscode.Memento) {}
  async load(account: string): Promise<number | undefined> {
    return this.memento.get<Record<string, number>>(TAGS_KEY, {})[account];
  }
  async save(account: string, tag: number): Promise<void> {
    await this.memento.update(TAGS_KEY, { ...this.memento.get<Record<string, number>>(TAGS_KEY, {}), [account]: tag });
  }
}

export interface OtrChange {
  account: string;
  contact?: string;
  smp?: SmpEvent;
}

export class OtrService implements vscode.Disposable {
  private readonly layers = new Map<string, OtrLayer>();
  private readonly keys: SecretKeyStore;
  readonly trust: MementoTrustStore;
  private readonly tags: MementoTagStore;
  private readonly changed = new vscode.EventEmitter<OtrChange>();
  /** Any OTR state, key, fingerprint or SMP change. */
  readonly onDidChange = this.changed.event;
  private readonly generating = new Set<string>();
  /** The last SMP event per account and contact, for the Authenticate dialog. */
  readonly lastSmp = new Map<string, SmpEvent>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    accounts: AccountManager,
    private readonly log: Logger,
  ) {
    this.keys = new SecretKeyStore(ctx.secrets);
    this.trust = new MementoTrustStore(ctx.globalState);
    this.tags = new MementoTagStore(ctx.globalState);
    for (const s of accounts.list()) this.attach(s);
    this.disposables.push(
      accounts.onDidCreateSession((s) => this.attach(s)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('padlock.otr.policy')) for (const l of this.layers.values()) l.setDefaultPolicy(this.defaultPolicy());
        if (e.affectsConfiguration('padlock.otr')) this.changed.fire({ account: '' });
      }),
    );
  }

  defaultPolicy(): OtrPolicy {
    const p = vscode.workspace.getConfiguration('padlock.otr').get<string>('policy', 'opportunistic');
    return p === 'manual' || p === 'required' ? p : 'opportunistic';
  }

  logging(): boolean {
    return vscode.workspace.getConfiguration('padlock.otr').get<boolean>('logPrivateConversations', false);
  }

  layer(account: string): OtrLayer | undefined {
    return this.layers.get(account);
  }

  isGenerating(account: string): boolean {
    return this.generating.has(account);
  }

  private attach(s: AccountSession): void {
    // A follower window's view of an account (issue 7): its OTR instance lives in the owner.
    if (isRemote(s)) return;
    const layer = new OtrLayer({
      account: s,
      keys: this.keys,
      trust: this.trust,
      tags: this.tags,
      policy: this.defaultPolicy(),
      logger: this.log,
      displayName: (c) => s.roster.displayName(c),
    });
    const policies = this.ctx.globalState.get<Nested<OtrPolicy>>(POLICIES_KEY, {})[s.id] ?? {};
    for (const [contact, p] of Object.entries(policies)) layer.setPolicy(contact, p);
    s.layer = layer;
    this.layers.set(s.id, layer);
    layer.on('state', ({ contact }) => this.changed.fire({ account: s.id, contact }));
    layer.on('fingerprint', ({ contact }) => this.changed.fire({ account: s.id, contact }));
    layer.on('smp', (e) => {
      this.lastSmp.set(`${s.id}\u0000${e.contact}`, e);
      this.changed.fire({ account: s.id, contact: e.contact, smp: e });
    });
    layer.on('key', ({ state }) => {
      if (state === 'generating') this.generating.add(s.id);
      else this.generating.delete(s.id);
      this.changed.fire({ account: s.id });
    });
  }

  view(s: AccountSession, contact: string): OtrView {
    const layer = this.layers.get(s.id);
    const defaultPolicy = this.defaultPolicy();
    if (!layer) return { available: false, state: 'plaintext', policy: defaultPolicy, defaultPolicy, logging: this.logging() };
    const policyOverride = this.ctx.globalState.get<Nested<OtrPolicy>>(POLICIES_KEY, {})[s.id]?.[contact];
    const fp = layer.theirFingerprint(contact);
    const smp = this.lastSmp.get(`${s.id}\u0000${contact}`);
    const running = smp && (smp.kind === 'asked' || smp.kind === 'inProgress');
    return {
      available: true,
      state: layer.state(contact) as OtrState,
      policy: layer.policyFor(contact),
      defaultPolicy,
      ...(policyOverride ? { policyOverride } : {}),
      theirFingerprint: fp,
      logging: this.logging(),
      ...(running && isPrivate(layer.state(contact)) ? { smp: { initiatedBy: smp.initiatedBy, question: smp.question, waitingForUs: smp.kind === 'asked' } } : {}),
    };
  }

  async setContactPolicy(s: AccountSession, contact: string, policy: OtrPolicy | undefined): Promise<void> {
    const all = this.ctx.globalState.get<Nested<OtrPolicy>>(POLICIES_KEY, {});
    const acc = { ...(all[s.id] ?? {}) };
    if (policy) acc[contact] = policy;
    else delete acc[contact];
    await this.ctx.globalState.update(POLICIES_KEY, { ...all, [s.id]: acc });
    this.layers.get(s.id)?.setPolicy(contact, policy);
    this.changed.fire({ account: s.id, contact });
  }

  /** "Padlock: Generate Private Key", with a progress notification; regenerating asks first. */
  async generateKey(s: AccountSession): Promise<string | undefined> {
    const layer = this.need(s);
    await layer.whenReady();
    if (layer.hasKey()) {
      // The safe answer is the default: VS Code focuses a modal's first button, so Enter (and
      // Escape, Cancel) keep the key; a new key needs a deliberate choice (test/browser/ui-keygen).
      const keep = vscode.l10n.t('Keep Current Key');
      const regenerate = vscode.l10n.t('Generate a New Key');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} already has a private key.', s.jid),
        {
          modal: true,
          detail: vscode.l10n.t(
            'A new key has a new fingerprint: every contact who verified you will see "unrecognised computer" and must authenticate you again, and your private conversations end now. Current fingerprint:\n{0}',
            layer.ownFingerprint() ?? '',
          ),
        },
        keep,
        regenerate,
      );
      if (pick !== regenerate) return undefined;
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Generating a private key for {0}…', s.jid) },
      async () => {
        const fp = layer.hasKey() ? await layer.regenerateKey() : await layer.ensureKey();
        void vscode.window.showInformationMessage(vscode.l10n.t('Your fingerprint for {0}: {1}', s.jid, fp));
        return fp;
      },
    );
  }

  /** Export to a passphrase-protected file (scrypt + AES-256-GCM). */
  async exportKey(s: AccountSession): Promise<void> {
    const layer = this.need(s);
    await layer.whenReady();
    const packed = await this.keys.load(s.id);
    if (!packed) throw new Error(vscode.l10n.t('{0} has no private key yet. Generate one first.', s.jid));
    const pass = await askPassphrase(vscode.l10n.t('Passphrase to protect the exported key'), true);
    if (!pass) return;
    const uri = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Export the private key of {0}', s.jid),
      defaultUri: vscode.Uri.file(`${s.jid.replace(/[^A-Za-z0-9@._-]/g, '_')}.padlock-key`),
      filters: { [vscode.l10n.t('Padlock key')]: ['padlock-key'] },
    });
    if (!uri) return;
    const file = await encryptKeyFile(packed, pass, { account: s.jid, fingerprint: layer.ownFingerprint() ?? '' });
    await fs.writeFile(uri.fsPath, file, { mode: 0o600 });
    void vscode.window.showInformationMessage(vscode.l10n.t('Key exported to {0}. Keep the file and its passphrase safe.', uri.fsPath));
  }

  async importKey(s: AccountSession): Promise<void> {
    const layer = this.need(s);
    const [uri] =
      (await vscode.window.showOpenDialog({ title: vscode.l10n.t('Import a private key for {0}', s.jid), filters: { [vscode.l10n.t('Padlock key')]: ['padlock-key'] } })) ?? [];
    if (!uri) return;
    const text = await fs.readFile(uri.fsPath, 'utf8');
    const pass = await askPassphrase(vscode.l10n.t('Passphrase of the key file'), false);
    if (!pass) return;
    const packed = await decryptKeyFile(text, pass);
    if (!(await this.confirmReplace(s, layer))) return;
    const fp = await layer.importKey(packed);
    void vscode.window.showInformationMessage(vscode.l10n.t('Key imported. Your fingerprint for {0}: {1}', s.jid, fp));
  }

  /** Pidgin (libotr) files: otr.private_key (s-expressions) and otr.fingerprints (tab-separated). */
  async importPidgin(s: AccountSession): Promise<void> {
    const layer = this.need(s);
    const picks = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Select otr.private_key and/or otr.fingerprints (Pidgin: ~/.purple)'),
      canSelectMany: true,
    });
    if (!picks?.length) return;
    let keyFp: string | undefined;
    let imported = 0;
    for (const uri of picks) {
      const text = await fs.readFile(uri.fsPath, 'utf8');
      if (/\(privkeys/.test(text)) {
        const packed = libotrPrivateKeyFor(text, s.jid);
        if (!packed) throw new Error(vscode.l10n.t('{0} has no key for {1}.', uri.fsPath, s.jid));
        if (!(await this.confirmReplace(s, layer))) return;
        keyFp = await layer.importKey(packed);
      } else {
        for (const f of libotrFingerprintsFor(text, s.jid)) {
          const known = await this.trust.load(s.id, f.contact);
          const existing = known.find((k) => k.fingerprint === f.fingerprint);
          if (existing) existing.verified ||= f.verified;
          else known.push({ fingerprint: f.fingerprint, verified: f.verified });
          await this.trust.save(s.id, f.contact, known);
          imported++;
        }
      }
    }
    this.changed.fire({ account: s.id });
    void vscode.window.showInformationMessage(
      [keyFp ? vscode.l10n.t('Key imported (fingerprint {0}).', keyFp) : '', imported ? vscode.l10n.t('{0} known fingerprints imported.', imported) : '']
        .filter(Boolean)
        .join(' ') || vscode.l10n.t('Nothing to import for {0}.', s.jid),
    );
  }

  private async confirmReplace(s: AccountSession, layer: OtrLayer): Promise<boolean> {
    await layer.whenReady();
    if (!layer.hasKey()) return true;
    // The safe answer first, as in generateKey: Enter (and Escape) keep the current key.
    const keep = vscode.l10n.t('Keep Current Key');
    const replace = vscode.l10n.t('Replace Key');
    const pick = await vscode.window.showWarningMessage(
      vscode.l10n.t('Replace the private key of {0}?', s.jid),
      { modal: true, detail: vscode.l10n.t('Contacts who verified your current fingerprint will have to authenticate you again. Current fingerprint:\n{0}', layer.ownFingerprint() ?? '') },
      keep,
      replace,
    );
    return pick === replace;
  }

  private need(s: AccountSession): OtrLayer {
    const l = this.layers.get(s.id);
    if (!l) throw new Error(vscode.l10n.t('Private conversations are not available for {0}.', s.jid));
    return l;
  }

  dispose(): void {
    for (const l of this.layers.values()) l.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

async function askPassphrase(title: string, confirm: boolean): Promise<string | undefined> {
  const pass = await vscode.window.showInputBox({
    title,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.length >= 8 ? undefined : vscode.l10n.t('At least 8 characters.')),
  });
  if (!pass || !confirm) return pass;
  const again = await vscode.window.showInputBox({ title: vscode.l10n.t('Repeat the passphrase'), password: true, ignoreFocusOut: true });
  if (again !== pass) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The passphrases differ. Nothing was exported.'));
    return undefined;
  }
  return pass;
}


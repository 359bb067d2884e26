/**
 * "Padlock: Security": Jitsi's Options > Security > Chat, as one editor webview. Each
 * account's OTR fingerprint (generate, copy, export, import, import from Pidgin), the default
 * policy and private-history setting, and every known fingerprint of every contact (verify,
 * unverify, forget).
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import { formatFingerprint, normalizeFingerprint } from '../core/otr/fingerprint';
import { type SecurityNotifications, type SecurityRequests, type SecurityState, securityValidators } from '../shared/protocol';
import type { AccountManager } from './accounts';
import { localRoots, webviewHtml } from './html';
import type { OtrService } from './otr';
import { WebviewRpc } from './rpc';

export class SecurityPage implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private rpc?: WebviewRpc<SecurityRequests, SecurityNotifications>;
  private readonly disposables: vscode.Disposable[] = [];
  private scheduled = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly accounts: AccountManager,
    private readonly otr: OtrService,
    private readonly log: Logger,
  ) {
    this.disposables.push(otr.onDidChange(() => this.schedule()), accounts.onDidChange(() => this.schedule()));
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel('padlock.security', vscode.l10n.t('Padlock: Security'), vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: localRoots(this.extensionUri),
      retainContextWhenHidden: true,
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'padlock.svg');
    this.panel = panel;
    const session = (id: string) => {
      const s = this.accounts.get(id);
      if (!s) throw new Error(vscode.l10n.t('Unknown account {0}.', id));
      return s;
    };
    const layer = (id: string) => {
      const l = this.otr.layer(id);
      if (!l) throw new Error(vscode.l10n.t('Private conversations are not available for {0}.', id));
      return l;
    };
    this.rpc = new WebviewRpc<SecurityRequests, SecurityNotifications>(
      panel.webview,
      securityValidators,
      {
        ready: () => this.state(),
        generate: async ({ account }) => void (await this.otr.generateKey(session(account))),
        exportKey: ({ account }) => this.otr.exportKey(session(account)),
        importKey: ({ account }) => this.otr.importKey(session(account)),
        importPidgin: ({ account }) => this.otr.importPidgin(session(account)),
        copy: async ({ text }) => {
          await vscode.env.clipboard.writeText(text);
          void vscode.window.setStatusBarMessage(vscode.l10n.t('Fingerprint copied'), 2000);
        },
        setVerified: async ({ account, contact, fingerprint, verified }) => {
          await layer(account).setVerified(contact, normalizeFingerprint(fingerprint)!, verified);
          this.schedule();
        },
        forget: async ({ account, contact, fingerprint }) => {
          // The safe answer first, so Enter keeps the fingerprint (main.ts, Remove Contact).
          const keep = vscode.l10n.t('Keep Fingerprint');
          const forget = vscode.l10n.t('Forget');
          const ok = await vscode.window.showWarningMessage(
            vscode.l10n.t('Forget this fingerprint of {0}?', contact),
            { modal: true, detail: vscode.l10n.t('{0}\n\nIf they use this key again you will see it as new and unverified.', formatFingerprint(fingerprint)) },
            keep,
            forget,
          );
          if (ok !== forget) return;
          await layer(account).forgetFingerprint(contact, normalizeFingerprint(fingerprint)!);
          this.schedule();
        },
        setPolicy: async ({ policy }) => {
          await vscode.workspace.getConfiguration('padlock.otr').update('policy', policy, vscode.ConfigurationTarget.Global);
        },
        setLogging: async ({ logging }) => {
          await vscode.workspace.getConfiguration('padlock.otr').update('logPrivateConversations', logging, vscode.ConfigurationTarget.Global);
        },
      },
      (m) => this.log.warn(`[security] ${m}`),
      new Set(['state']),
    );
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'security', vscode.l10n.t('Padlock: Security'));
    panel.onDidDispose(() => {
      this.rpc?.dispose();
      this.rpc = undefined;
      this.panel = undefined;
    });
  }

  async state(): Promise<SecurityState> {
    const accounts: SecurityState['accounts'] = [];
    const known: SecurityState['known'] = [];
    for (const s of this.accounts.list()) {
      const l = this.otr.layer(s.id);
      if (l) await l.whenReady();
      accounts.push({ id: s.id, jid: s.jid, fingerprint: l?.ownFingerprint(), generating: this.otr.isGenerating(s.id) });
      const all = await this.otr.trust.all(s.id);
      for (const [contact, list] of Object.entries(all)) {
        const current = l?.theirFingerprint(contact);
        const currentHex = current ? normalizeFingerprint(current) : undefined;
        for (const f of list) {
          known.push({
            account: s.id,
            contact,
            name: s.roster.displayName(contact),
            fingerprint: formatFingerprint(f.fingerprint),
            verified: f.verified,
            current: f.fingerprint === currentHex,
          });
        }
      }
    }
    return { accounts, known, policy: this.otr.defaultPolicy(), logging: this.otr.logging() };
  }

  private schedule(): void {
    if (!this.rpc || this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.state().then((st) => this.rpc?.notify('state', st));
    }, 16);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

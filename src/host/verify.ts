/**
 * The Authenticate dialog (Jitsi's "Authenticate Buddy"): one editor webview per contact,
 * offering question and answer or a shared secret (both the Socialist Millionaires' Protocol,
 * OTR v3 "The SMP") and manual fingerprint comparison. An incoming SMP request opens it on the
 * answering side with their question. Secrets pass through the host to the OTR layer and are
 * never stored.
 */
import * as vscode from 'vscode';
import type { AccountSession } from '../core/account';
import type { Logger } from '../core/log';
import { formatFingerprint, normalizeFingerprint } from '../core/otr/fingerprint';
import type { SmpEvent } from '../core/otr/layer';
import { type VerifyNotifications, type VerifyRequests, type VerifyState, verifyValidators } from '../shared/protocol';
import { localRoots, webviewHtml } from './html';
import type { OtrService } from './otr';
import { WebviewRpc } from './rpc';

const key = (account: string, jid: string) => `${account}\u0000${jid}`;

class VerifyPanel {
  readonly rpc: WebviewRpc<VerifyRequests, VerifyNotifications>;
  /** Their pending SMP request, until answered or ended. */
  incoming?: { question?: string };
  result?: VerifyState['result'];

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly account: AccountSession,
    readonly jid: string,
    private readonly otr: OtrService,
    extensionUri: vscode.Uri,
    log: Logger,
  ) {
    const layer = () => {
      const l = otr.layer(account.id);
      if (!l) throw new Error(vscode.l10n.t('Private conversations are not available for this account.'));
      return l;
    };
    this.rpc = new WebviewRpc<VerifyRequests, VerifyNotifications>(
      panel.webview,
      verifyValidators,
      {
        ready: () => this.state(),
        askQuestion: async ({ question, answer }) => {
          this.result = undefined;
          await layer().smpQuestion(jid, question.trim(), answer);
        },
        sharedSecret: async ({ secret }) => {
          this.result = undefined;
          await layer().smpSecret(jid, secret);
        },
        respond: async ({ answer }) => {
          await layer().smpRespond(jid, answer);
          this.incoming = undefined;
          this.push();
        },
        abort: async () => {
          await layer().smpAbort(jid);
          this.incoming = undefined;
          this.push();
        },
        setVerified: async ({ verified }) => {
          const fp = layer().theirFingerprint(jid);
          const hex = fp ? normalizeFingerprint(fp) : undefined;
          if (!hex) throw new Error(vscode.l10n.t('There is no fingerprint to verify: start a private conversation first.'));
          await layer().setVerified(jid, hex, verified);
          this.push();
        },
        close: () => panel.dispose(),
        startPrivate: async () => {
          await layer().start(jid);
        },
      },
      (m) => log.warn(`[verify ${jid}] ${m}`),
      new Set(['state']),
    );
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'verify', panel.title);
  }

  async state(): Promise<VerifyState> {
    const l = this.otr.layer(this.account.id);
    const their = l?.theirFingerprint(this.jid);
    const hex = their ? normalizeFingerprint(their) : undefined;
    const known = hex && l ? await l.knownFingerprints(this.jid) : [];
    return {
      account: this.account.id,
      accountJid: this.account.jid,
      jid: this.jid,
      name: this.account.roster.displayName(this.jid),
      ownFingerprint: l?.ownFingerprint(),
      theirFingerprint: their ? formatFingerprint(their) : undefined,
      verified: !!known.find((k) => k.fingerprint === hex)?.verified,
      otr: l ? l.state(this.jid) : 'plaintext',
      ...(this.incoming ? { incoming: this.incoming } : {}),
      ...(this.result ? { result: this.result } : {}),
    };
  }

  onSmp(e: SmpEvent): void {
    if (e.kind === 'asked') {
      this.incoming = { question: e.question };
      this.result = undefined;
    } else {
      if (e.kind !== 'inProgress') this.incoming = undefined;
      this.result = { kind: e.kind, initiatedBy: e.initiatedBy, ...(e.abortedBy ? { by: e.abortedBy } : {}), ...(e.question ? { question: true } : {}) };
    }
    this.push();
  }

  push(): void {
    void this.state().then((s) => this.rpc.notify('state', s));
  }
}

export class VerifyPanels implements vscode.Disposable {
  private readonly panels = new Map<string, VerifyPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly otr: OtrService,
    private readonly log: Logger,
    private readonly accountFor: (id: string) => AccountSession | undefined,
  ) {
    this.disposables.push(
      otr.onDidChange(({ account, contact, smp }) => {
        if (smp && account && contact) {
          const s = this.accountFor(account);
          // Their request opens the dialog on the answering side (issue 3 item 5).
          if (smp.kind === 'asked' && s) this.open(s, contact, true);
          this.panels.get(key(account, contact))?.onSmp(smp);
          return;
        }
        for (const p of this.panels.values()) if ((!account || p.account.id === account) && (!contact || p.jid === contact)) p.push();
      }),
    );
  }

  open(account: AccountSession, jid: string, preserveFocus = false): void {
    const k = key(account.id, jid);
    const existing = this.panels.get(k);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return;
    }
    const name = account.roster.displayName(jid);
    const panel = vscode.window.createWebviewPanel(
      'padlock.verify',
      vscode.l10n.t('Authenticate {0}', name),
      { viewColumn: vscode.ViewColumn.Active, preserveFocus },
      { enableScripts: true, localResourceRoots: localRoots(this.extensionUri), retainContextWhenHidden: true },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'padlock.svg');
    const vp = new VerifyPanel(panel, account, jid, this.otr, this.extensionUri, this.log);
    // A request that arrived before the dialog existed.
    const last = this.otr.lastSmp.get(k);
    if (last?.kind === 'asked') vp.incoming = { question: last.question };
    this.panels.set(k, vp);
    panel.onDidDispose(() => {
      vp.rpc.dispose();
      if (this.panels.get(k) === vp) this.panels.delete(k);
    });
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

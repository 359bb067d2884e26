/**
 * One status bar item: the accounts' connection state at a glance, the unread count, and a
 * click to set one's status (available / away / busy / offline).
 */
import * as vscode from 'vscode';
import type { AccountManager } from './accounts';
import type { ChatManager } from './chats';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('padlock.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly accounts: AccountManager,
    private readonly chats: ChatManager,
  ) {
    this.item.name = 'Padlock Chat';
    this.item.command = 'padlock.setStatus';
    this.subs = [accounts.onDidChange(() => this.update()), chats.onDidChangeUnread(() => this.update())];
    this.update();
  }

  update(): void {
    const list = this.accounts.list();
    if (!list.length) {
      this.item.text = '$(comment-discussion) Padlock';
      this.item.tooltip = vscode.l10n.t('Padlock Chat: add an account');
      this.item.command = 'padlock.addAccount';
      this.item.show();
      return;
    }
    this.item.command = 'padlock.setStatus';
    const states = list.map((s) => s.state);
    const icon = states.includes('error')
      ? 'error'
      : states.some((s) => s === 'connecting' || s === 'reconnecting')
        ? 'sync~spin'
        : states.includes('online')
          ? presenceIcon(list.find((s) => s.state === 'online')!.presence.show)
          : 'circle-outline';
    const unread = this.chats.totalUnread();
    this.item.text = `$(${icon}) Padlock${unread ? ` $(mail) ${unread}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.appendMarkdown(`**${vscode.l10n.t('Padlock Chat')}**\n\n`);
    for (const s of list) {
      const detail = s.error && s.state !== 'online' ? vscode.l10n.t('{0} ({1})', describe(s.state), s.error.message) : describe(s.state);
      md.appendText(`${s.jid}: ${s.queue.size ? vscode.l10n.t('{0}, {1} queued', detail, s.queue.size) : detail}\n`);
      md.appendMarkdown('\n');
    }
    if (unread) md.appendText(vscode.l10n.t('{0} unread', unread));
    this.item.tooltip = md;
    this.item.backgroundColor = states.includes('error') ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const s of this.subs) s.dispose();
  }
}

function presenceIcon(show: string): string {
  return show === 'away' || show === 'xa' ? 'clock' : show === 'dnd' ? 'circle-slash' : 'pass-filled';
}

function describe(state: string): string {
  switch (state) {
    case 'online':
      return vscode.l10n.t('online');
    case 'connecting':
      return vscode.l10n.t('connecting…');
    case 'reconnecting':
      return vscode.l10n.t('offline, will send when connected');
    case 'error':
      return vscode.l10n.t('not signed in');
    default:
      return vscode.l10n.t('signed out');
  }
}

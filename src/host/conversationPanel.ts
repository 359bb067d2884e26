/**
 * What the two conversation panels have in common, the 1:1 chat (chats.ts, webview/chat) and
 * the group chat (rooms.ts, webview/room): one editor-area webview per account and peer, run
 * the same way; each adds its own requests (a WebviewRpc) and state.
 */
import * as vscode from 'vscode';
import type { WebviewName } from '../shared/webviewShell';
import { localRoots, webviewHtml } from './html';

/** A new conversation panel in the active editor group. */
export function createConversationPanel(viewType: string, title: string, preserveFocus: boolean, extensionUri: vscode.Uri): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(
    viewType,
    title,
    { viewColumn: vscode.ViewColumn.Active, preserveFocus },
    // Keeps scroll position and draft while the tab is in the background; the conversation
    // itself is re-read from the host on reload, never from webview state.
    { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: localRoots(extensionUri) },
  );
}

export abstract class ConversationPanel implements vscode.Disposable {
  /** The panel's requests and notifications (made by the subclass, before load()). */
  abstract readonly rpc: vscode.Disposable;
  protected readonly subs: vscode.Disposable[] = [];

  /** `panel` is new (createConversationPanel) or one VS Code restored after a reload: set it up either way. */
  constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly extensionUri: vscode.Uri,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri) };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'padlock.svg');
  }

  /**
   * Loads the page, once the rpc listens (the page asks `ready` as soon as it runs), and calls
   * `onFocus` whenever the panel is shown.
   */
  protected load(name: WebviewName, title: string, onFocus: () => void): void {
    this.panel.webview.html = webviewHtml(this.panel.webview, this.extensionUri, name, title);
    this.subs.push(
      this.panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) onFocus();
      }),
    );
  }

  dispose(): void {
    this.rpc.dispose();
    for (const s of this.subs) s.dispose();
  }
}

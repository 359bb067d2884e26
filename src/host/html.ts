/**
 * The HTML of every Padlock webview: src/shared/webviewShell.ts (strict CSP with a nonce,
 * nothing remote), with the webview's own resource URIs.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { type WebviewName, webviewShell } from '../shared/webviewShell';

export function localRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'out'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: WebviewName, title: string): string {
  return webviewShell({
    name,
    title,
    nonce: randomBytes(18).toString('base64'),
    cspSource: webview.cspSource,
    uri: (...p) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString(),
    language: vscode.env.language,
    // undefined when VS Code runs in English (no bundle for that language): the page then has {}.
    l10n: vscode.l10n.bundle,
    // The stylesheets inlined (see ShellOptions.css): a few KB read per panel, never cached so
    // a development reload picks up edits. Not a file: URI (a virtual workspace): <link>s.
    css: (...p) => {
      if (extensionUri.scheme !== 'file') return undefined;
      try {
        return readFileSync(vscode.Uri.joinPath(extensionUri, ...p).fsPath, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

/**
 * The HTML shell of every Padlock webview. Strict Content Security Policy: nothing remote,
 * no inline script; scripts only with this page's nonce, styles and fonts only from the
 * extension's own files (VS Code's webview CSP guidance).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function localRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'out'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, name: 'contacts' | 'chat' | 'verify' | 'security' | 'room', title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...p)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    // The toolkit's web components use constructable stylesheets (adoptedStyleSheets),
    // which CSP does not restrict; our own CSS comes from files.
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${esc(vscode.env.language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('out', 'codicons', 'codicon.css')}" nonce="${nonce}">
<link rel="stylesheet" href="${uri('media', 'common.css')}" nonce="${nonce}">
<link rel="stylesheet" href="${uri('media', `${name}.css`)}" nonce="${nonce}">
<title>${esc(title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${uri('out', 'webview', `${name}.js`)}"></script>
</body>
</html>`;
}

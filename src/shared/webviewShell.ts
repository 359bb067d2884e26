/**
 * The HTML shell of every Padlock webview, without `vscode` (src/host/html.ts adapts it), so
 * tests and benchmarks can load a webview's real page, with its real Content Security Policy,
 * in Chromium. Strict CSP: nothing remote, no inline script; scripts only with this page's
 * nonce, styles and fonts only from the extension's own files (VS Code's webview CSP guidance).
 */
export type WebviewName = 'contacts' | 'chat' | 'verify' | 'security' | 'room';

export interface ShellOptions {
  name: WebviewName;
  title: string;
  /** A fresh random nonce per page load. */
  nonce: string;
  /** The webview's `cspSource` (where its local resources come from). */
  cspSource: string;
  /** Maps a path under the extension folder (e.g. ['out', 'webview', 'chat.js']) to a URL. */
  uri: (...path: string[]) => string;
  language?: string;
  /**
   * The translations of the display language (`vscode.l10n.bundle`; absent or `{}` in English).
   * Webviews cannot call vscode.l10n, so the page carries the bundle in `data-l10n` and
   * webview/shared/l10n.ts hands it to @vscode/l10n (`l10n.config({ contents })`) before the
   * first string is rendered: VS Code's "l10n for webviews" pattern, without a round trip.
   */
  l10n?: Record<string, string | { message: string; comment: string[] }>;
}

export function webviewShell({ name, title, nonce, cspSource, uri, language, l10n }: ShellOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    // The toolkit's web components use constructable stylesheets (adoptedStyleSheets),
    // which CSP does not restrict; our own CSS comes from files.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="${esc(language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('out', 'codicons', 'codicon.css')}" nonce="${nonce}">
<link rel="stylesheet" href="${uri('media', 'common.css')}" nonce="${nonce}">
<link rel="stylesheet" href="${uri('media', `${name}.css`)}" nonce="${nonce}">
<title>${esc(title)}</title>
</head>
<body data-l10n="${esc(JSON.stringify(l10n ?? {}))}">
<div id="app"></div>
<script nonce="${nonce}" src="${uri('out', 'webview', `${name}.js`)}"></script>
</body>
</html>`;
}

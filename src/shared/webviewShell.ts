/**
 * The HTML shell of every Padlock webview, without `vscode` (src/host/html.ts adapts it), so
 * tests and benchmarks can load a webview's real page, with its real Content Security Policy,
 * in Chromium. Strict CSP: nothing remote, no inline script; scripts only with this page's
 * nonce, styles only from the extension's own files or inlined from them with the nonce, fonts
 * only from the extension's own files (VS Code's webview CSP guidance).
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
  /**
   * Reads a file under the extension folder (undefined if it cannot). When given, the page's
   * stylesheets are inlined as `<style nonce>` instead of three `<link>`s: the first script
   * then waits for no stylesheet request (~50 ms of a contact tree's first paint went to the
   * HTML and its three stylesheets, docs/benchmarks.md). The CSP stays the same: styles only
   * from the extension's files or with this page's nonce.
   */
  css?: (...path: string[]) => string | undefined;
}

const SHEETS = (name: WebviewName): string[][] => [['out', 'codicons', 'codicon.css'], ['media', 'common.css'], ['media', `${name}.css`]];

/**
 * A stylesheet's text for a `<style>` element: `@import url(x)` of a sibling is inlined (room.css
 * imports chat.css), relative `url()`s (codicon.css's font) become the webview URIs the
 * `<link>` would have resolved them to. Undefined if a file cannot be read.
 */
function inlineSheet(path: string[], read: NonNullable<ShellOptions['css']>, uri: ShellOptions['uri'], depth = 0): string | undefined {
  const text = read(...path);
  if (text === undefined) return undefined;
  const dir = path.slice(0, -1);
  let failed = false;
  const out = text
    .replace(/@import\s+url\((['"]?)([^'"():]+)\1\)\s*;/g, (_m, _q, file: string) => {
      const inner = depth < 3 ? inlineSheet([...dir, ...file.replace(/^\.\//, '').split('/')], read, uri, depth + 1) : undefined;
      if (inner === undefined) failed = true;
      return inner ?? '';
    })
    .replace(/url\((['"]?)([^'"():]+)\1\)/g, (_m, q: string, ref: string) => {
      const [file, suffix] = /^([^?#]*)(.*)$/.exec(ref.replace(/^\.\//, ''))!.slice(1) as [string, string];
      return `url(${q}${uri(...dir, ...file.split('/'))}${suffix}${q})`;
    });
  // Our own files; still, nothing in them may close the element early.
  return failed ? undefined : out.replace(/<\/style/gi, '<\\/style');
}

export function webviewShell({ name, title, nonce, cspSource, uri, language, l10n, css }: ShellOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    // The toolkit's web components use constructable stylesheets (adoptedStyleSheets),
    // which CSP does not restrict; our own CSS comes from files, inlined with the nonce.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
    "form-action 'none'",
    "frame-src 'none'",
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const inlined = css ? SHEETS(name).map((p) => inlineSheet(p, css, uri)) : [];
  // The codicon font, fetched while the page parses: without this Chromium asks for it only when
  // the first rows' style is computed, so the first paint draws their icons blank (the face is
  // `font-display: block`) and a second style and layout of the page follows when it arrives.
  // Same URL and CORS mode (`crossorigin`: fonts are fetched anonymous-CORS) as the @font-face,
  // so the face reuses this response; font-src allows it as before.
  const font = inlined[0] && /url\("([^"]+\.ttf(?:\?[^"]*)?)"\)/.exec(inlined[0])?.[1];
  const preload = font ? `<link rel="preload" href="${esc(font)}" as="font" type="font/ttf" crossorigin>\n` : '';
  const styles =
    css && inlined.every((t) => t !== undefined)
      ? preload + inlined.map((t) => `<style nonce="${nonce}">${t}</style>`).join('\n')
      : SHEETS(name)
          .map((p) => `<link rel="stylesheet" href="${uri(...p)}" nonce="${nonce}">`)
          .join('\n');
  return `<!DOCTYPE html>
<html lang="${esc(language || 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${esc(title)}</title>
</head>
<body data-l10n="${esc(JSON.stringify(l10n ?? {}))}">
<div id="app"></div>
<script nonce="${nonce}" src="${uri('out', 'webview', `${name}.js`)}"></script>
</body>
</html>`;
}

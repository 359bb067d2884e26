/**
 * Loads out/webview/toolkit.js (webview/toolkit/main.ts) after the page's first paint, so the
 * toolkit's evaluation is not on the way to it (the contact tree: docs/benchmarks.md).
 *
 * CSP: the page allows scripts only with its nonce (`script-src 'nonce-…'`, no host source,
 * no 'strict-dynamic'). The script element made here carries that same nonce, read from the
 * bundle's own <script> while it runs (`document.currentScript.nonce`; browsers hide only the
 * attribute), and its URL is the bundle's own, with the file name swapped: a file of the
 * extension's out/webview/ folder, inside the webview's localResourceRoots. Nothing is loosened:
 * the CSP is the same, and the nonce only goes to this element, for our own file; content from
 * contacts is only ever text (webview/shared/dom.ts) and cannot reach it.
 *
 * Until the toolkit is there (tens of ms after the first paint), a `<vscode-button>` is an
 * unknown element styled to look the same (media/common.css) and not yet focusable.
 */
const self = document.currentScript as HTMLScriptElement | null;
const nonce = self?.nonce;
const src = self?.src ? new URL('toolkit.js', self.src).href : undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the toolkit once (later calls get the same promise). Settles when its components are
 * defined, or when the script could not load: that is said on the console and the buttons stay
 * the look-alike placeholders, clickable but not focusable (never an error for the page).
 */
export function loadToolkit(): Promise<void> {
  if (loading) return loading;
  loading = new Promise<void>((resolve, reject) => {
    if (!nonce || !src) return reject(new Error('toolkit: no nonce or script URL'));
    const script = document.createElement('script');
    script.nonce = nonce;
    script.src = src;
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => reject(new Error(`toolkit: ${src} did not load`)));
    document.head.appendChild(script);
  }).catch((e: Error) => console.warn(e.message));
  return loading;
}

/** Loads the toolkit right after the next painted frame (a task after its requestAnimationFrame); settles as loadToolkit's. */
export function loadToolkitAfterPaint(): Promise<void> {
  if (loading) return loading;
  return new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(() => void loadToolkit().then(resolve), 0)));
}

/**
 * Import this module before @vscode/webview-ui-toolkit.
 *
 * FAST (under the toolkit) feature-detects `:focus-visible` at import time by inserting an empty
 * `<style>` element. The webview CSP has no 'unsafe-inline' for styles, so that element is
 * blocked (a CSP violation in the console) and FAST falls back to `:focus`, drawing focus rings
 * on mouse clicks. FAST gives that element the nonce from `<meta property="csp-nonce">`; the
 * host's HTML does not carry one, so it is added here from our own script's nonce (readable as
 * a property; browsers hide only the attribute). No style from outside our bundle can use it.
 */
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce;
if (nonce && !document.querySelector('meta[property="csp-nonce"]')) {
  const meta = document.createElement('meta');
  meta.setAttribute('property', 'csp-nonce');
  meta.setAttribute('content', nonce);
  document.head.appendChild(meta);
}

export {};

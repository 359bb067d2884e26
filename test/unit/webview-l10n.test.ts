// Webview localisation without a browser: the page shell carries the host's bundle safely
// (HTML-escaped in <body data-l10n>, so a hostile translation file cannot inject markup), and
// webview/shared/l10n.ts configures @vscode/l10n from it on the first l10n.t.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webviewShell } from '../../src/shared/webviewShell';

const shell = (l10n?: Record<string, string>) =>
  webviewShell({ name: 'chat', title: 'Ada', nonce: 'n0nce', cspSource: 'https://x', uri: (...p) => `https://x/${p.join('/')}`, l10n });

/** The data-l10n attribute's value, entities decoded as the browser would. */
function dataL10n(html: string): string {
  const m = /<body data-l10n="([^"]*)">/.exec(html);
  assert.ok(m, 'the body carries data-l10n');
  return m[1].replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

test('English (no bundle): the page carries an empty bundle', () => {
  assert.equal(dataL10n(shell()), '{}');
});

test('the bundle round-trips through the attribute, and hostile text stays inside it', () => {
  const bundle = { Send: 'Senden', 'Message {0}': '"><script>alert(1)</script><b x=\'' };
  const html = shell(bundle);
  assert.deepEqual(JSON.parse(dataL10n(html)), bundle);
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'only the page\'s own script tag');
  assert.ok(!html.includes('<b x='));
});

test('l10n.t looks strings up in the page bundle and fills arguments; unknown strings stay English', async () => {
  // A minimal document: webview/shared/l10n.ts reads document.body.dataset.l10n on first use.
  (globalThis as { document?: unknown }).document = { body: { dataset: { l10n: JSON.stringify({ Send: 'Senden', 'Message {0}': 'Nachricht an {0}' }) } } };
  try {
    const { l10n } = await import('../../webview/shared/l10n');
    assert.equal(l10n.t('Send'), 'Senden');
    assert.equal(l10n.t('Message {0}', 'Ada'), 'Nachricht an Ada');
    assert.equal(l10n.t('Retry'), 'Retry');
    assert.equal(l10n.t('{0} of {1}', 2, 3), '2 of 3');
  } finally {
    delete (globalThis as { document?: unknown }).document;
  }
});

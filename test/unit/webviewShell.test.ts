// The webview page (src/shared/webviewShell.ts): stylesheets inlined with the nonce, CSP unchanged.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { webviewShell } from '../../src/shared/webviewShell';

const root = join(__dirname, '..', '..', '..');
const files: Record<string, string> = {
  'out/codicons/codicon.css': '@font-face { font-family: "codicon"; src: url("./codicon.ttf?abc") format("truetype"); }',
  'media/common.css': 'body { color: var(--vscode-foreground); } .x { background: url(data:image/png;base64,AAAA); }',
  'media/chat.css': '.msg { margin: 0; }',
  'media/room.css': "@import url('chat.css');\n.room { padding: 0; }",
  'media/contacts.css': '.tree { display: block; }',
};
const base = { title: 'T', nonce: 'N0nce', cspSource: 'https://res.example', uri: (...p: string[]) => `https://res.example/ext/${p.join('/')}` };
const read = (...p: string[]) => files[p.join('/')];

describe('webviewShell: inlined stylesheets', () => {
  it('inlines the three stylesheets as <style nonce>, in order, with no <link> but the font preload', () => {
    const html = webviewShell({ ...base, name: 'contacts', css: read });
    assert.doesNotMatch(html, /<link (?!rel="preload")/);
    const styles = [...html.matchAll(/<style nonce="N0nce">([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    assert.equal(styles.length, 3);
    assert.match(styles[0], /url\("https:\/\/res\.example\/ext\/out\/codicons\/codicon\.ttf\?abc"\)/, 'font URL resolved like the <link> did');
    assert.match(styles[1], /url\(data:image\/png;base64,AAAA\)/, 'data: URLs untouched');
    assert.equal(styles[2], files['media/contacts.css']);
  });

  it('keeps the CSP strict: no unsafe-inline, styles only from the extension or with the nonce', () => {
    const html = webviewShell({ ...base, name: 'chat', css: read });
    const csp = /content="([^"]+)"/.exec(html)![1];
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.match(csp, /style-src https:\/\/res\.example 'nonce-N0nce'/);
    assert.match(csp, /script-src 'nonce-N0nce'/);
  });

  it("inlines room.css's @import of chat.css", () => {
    const html = webviewShell({ ...base, name: 'room', css: read });
    assert.doesNotMatch(html, /@import/);
    assert.match(html, /\.msg \{ margin: 0; \}\n\.room/);
  });

  it('falls back to <link>s when a stylesheet cannot be read, and without a reader', () => {
    for (const css of [undefined, (...p: string[]) => (p.includes('codicon.css') ? undefined : read(...p))]) {
      const html = webviewShell({ ...base, name: 'chat', css });
      assert.doesNotMatch(html, /<style/);
      assert.equal((html.match(/<link rel="stylesheet" href="https:\/\/res\.example\/ext\/[^"]+" nonce="N0nce">/g) ?? []).length, 3);
    }
  });

  it('preloads the codicon font from the same URL as its @font-face, as a CORS font fetch (so the face reuses it)', () => {
    const html = webviewShell({ ...base, name: 'contacts', css: read });
    const links = [...html.matchAll(/<link [^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(links, ['<link rel="preload" href="https://res.example/ext/out/codicons/codicon.ttf?abc" as="font" type="font/ttf" crossorigin>']);
    const face = /url\("([^"]+)"\)/.exec(html)![1];
    assert.equal(/href="([^"]+)"/.exec(links[0]!)![1], face);
    assert.ok(html.indexOf('rel="preload"') < html.indexOf('<style'), 'before the stylesheets, in <head>');
    // The preload is checked against font-src like the face: the CSP allows the extension's files only.
    assert.match(/content="([^"]+)"/.exec(html)![1]!, /font-src https:\/\/res\.example;/);
  });

  it('nothing in a stylesheet can close the <style> element early', () => {
    const html = webviewShell({ ...base, name: 'contacts', css: (...p) => (p.includes('contacts.css') ? '.a{} </style><script>x()</script>' : read(...p)) });
    assert.equal(html.match(/<\/style>/g)?.length, 3, 'only the three real ends');
    assert.ok(html.indexOf('<script>x') < html.lastIndexOf('</style>'), 'the text stays inside the <style> (raw text)');
  });

  it("the repository's real stylesheets all inline (every url() resolved, no @import left)", () => {
    const real = (...p: string[]) => (existsSync(join(root, ...p)) ? readFileSync(join(root, ...p), 'utf8') : undefined);
    assert.ok(existsSync(join(root, 'out', 'codicons', 'codicon.css')), 'built by the test runner (node esbuild.mjs)');
    for (const name of ['contacts', 'chat', 'verify', 'security', 'room'] as const) {
      const html = webviewShell({ ...base, name, css: real });
      assert.doesNotMatch(html, /<link (?!rel="preload" href="https:\/\/res\.example\/ext\/out\/codicons\/codicon\.ttf\?[0-9a-f]{32}" as="font")/, name);
      assert.match(html, /<link rel="preload"/, name);
      assert.doesNotMatch(html, /@import/, name);
      for (const m of html.matchAll(/url\((['"]?)([^'")]+)\1\)/g)) assert.match(m[2], /^(https:\/\/res\.example\/ext\/|data:)/, `${name}: ${m[2]}`);
    }
  });
});

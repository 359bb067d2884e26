// Localisation of the host layer and the webviews: every user-visible string in src/host goes
// through vscode.l10n.t, every one in webview/ through l10n.t (@vscode/l10n, webview/shared/l10n.ts),
// with a literal (so it can be extracted), and l10n/bundle.l10n.json, the file translators start
// from, holds exactly those strings (scripts/l10n.mjs writes it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../support/root';


const root = projectRoot();

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}
const hostSources = (): string[] => tsFiles(join(root, 'src', 'host'));
const webviewSources = (): string[] => tsFiles(join(root, 'webview'));

/**
 * UI text in webview code that skips l10n.t: a string literal (or a template) starting with a
 * letter assigned to textContent/title/placeholder/ariaLabel, given as a title/aria-label/
 * placeholder attribute, or as the text child of h('tag', {…}, 'Text'). Remote content never is a
 * literal, so it cannot trip this; a literal that really is not UI text (a CSS class, a key name)
 * does not start with a capital or sits elsewhere.
 */
const BARE_WEBVIEW = [
  /\.(?:textContent|title|placeholder|ariaLabel)\s*=\s*(?:[^;=]*\?\s*)?(['"`])[A-Za-z]/g,
  /(?:\btitle|'aria-label'|\bplaceholder)\s*:\s*(?:[^,}]*\?\s*)?(['"`])[A-Za-z]/g,
  /\bh\(\s*'[\w-]+'\s*,\s*(?:null|\{[^{}]*\})\s*,\s*(?:[^,)]*\?\s*)?(['"`])[A-Z]/g,
  /setAttribute\(\s*'(?:aria-label|title|placeholder)'\s*,\s*(?:[^,)]*\?\s*)?(['"`])[A-Za-z]/g,
  /\b(?:announce|systemLine)\(\s*(?:[^,)]*\?\s*)?(['"`])[A-Za-z]/g,
];

/** First-argument literals of l10n.t calls, evaluated as JS strings (independent of the script). */
function literals(src: string): string[] {
  return [...src.matchAll(/\bl10n\.t\(\s*('(?:\\[\s\S]|[^'\\])*'|"(?:\\[\s\S]|[^"\\])*")/g)].map((m) => {
    const lit = m[1];
    // A single-quoted literal as a JSON string: swap the quotes, keep escapes.
    const json = lit[0] === "'" ? `"${lit.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : lit;
    return JSON.parse(json) as string;
  });
}

describe('l10n', () => {
  const bundle = JSON.parse(readFileSync(join(root, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;

  test('every l10n.t string in src/host and webview/ is in l10n/bundle.l10n.json', () => {
    let n = 0;
    let web = 0;
    for (const f of [...hostSources(), ...webviewSources()]) {
      if (f.includes('/webview/')) web += literals(readFileSync(f, 'utf8')).length;
      for (const s of literals(readFileSync(f, 'utf8'))) {
        n++;
        assert.ok(s in bundle, `${f}: "${s}" is not in l10n/bundle.l10n.json (run npm run l10n)`);
        assert.equal(bundle[s], s);
      }
    }
    assert.ok(n > 150, `only ${n} l10n.t strings found: the scanner is broken`);
    assert.ok(web > 150, `only ${web} l10n.t strings found in webview/: the scanner is broken`);
  });

  test('every l10n.t call has a literal first argument (else it cannot be translated)', () => {
    for (const f of [...hostSources(), ...webviewSources()]) {
      const src = readFileSync(f, 'utf8');
      const calls = [...src.matchAll(/\bl10n\.t\(\s*(.)/g)];
      for (const m of calls) assert.ok(m[1] === "'" || m[1] === '"', `${f}: l10n.t(${m[1]}… is not a plain string literal`);
    }
  });

  test('the bundle is exactly what scripts/l10n.mjs extracts (no stale strings)', () => {
    // Throws (exit 1) when the file differs.
    execFileSync(process.execPath, [join(root, 'scripts', 'l10n.mjs'), '--check'], { stdio: 'pipe' });
  });

  test('messages shown in src/host are not bare English literals', () => {
    // show*Message / Error messages with a literal string that skips l10n.t.
    const bare = /(?:show(?:Information|Warning|Error)Message|new Error)\(\s*(['"`])[A-Za-z]/g;
    for (const f of hostSources()) {
      const hits = [...readFileSync(f, 'utf8').matchAll(bare)].map((m) => m[0]);
      assert.deepEqual(hits, [], `${f}: user-visible text without vscode.l10n.t`);
    }
  });

  test('webview UI text is not a bare English literal (textContent, title, aria-label, placeholder, h() text)', () => {
    for (const f of webviewSources()) {
      const src = readFileSync(f, 'utf8');
      const hits = BARE_WEBVIEW.flatMap((re) => [...src.matchAll(re)].map((m) => m[0]));
      assert.deepEqual(hits, [], `${f}: user-visible text without l10n.t`);
    }
  });

  test('the bare-literal check can fail (it catches the shapes it is meant to)', () => {
    const bad = [
      "el.textContent = 'Loading…';",
      "btn.title = busy ? 'Leave' : x;",
      "h('input', { 'aria-label': 'Topic' })",
      "h('span', null, 'Verified')",
      "h('button', { class: 'x' }, `Show all ${n}`)",
      "textarea.placeholder = `Message ${name}`;",
      "el.setAttribute('aria-label', `Rooms, ${n}`);",
      "announce('A message could not be sent.');",
    ];
    for (const b of bad) assert.ok(BARE_WEBVIEW.some((re) => [...b.matchAll(re)].length > 0), b);
    const good = ["el.textContent = l10n.t('Loading…');", "h('span', null, nick)", "h('span', { class: 'x' }, l10n.t('Verified'))", "el.title = label;", "announce(l10n.t('Copied.'))", "el.setAttribute('aria-label', label)"];
    for (const g of good) assert.ok(!BARE_WEBVIEW.some((re) => [...g.matchAll(re)].length > 0), g);
  });
});

// The webviews render untrusted text (names, statuses, message bodies). They must never turn
// text into markup or code, so the APIs that can are banned from webview/ outright. The check
// runs on the sources (comments included: there is no legitimate reason to name them there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../support/root';


function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx|js|mjs)$/.test(name) ? [p] : [];
  });
}

const BANNED: Array<[RegExp, string]> = [
  [/\binnerHTML\b/, 'innerHTML'],
  [/\bouterHTML\b/, 'outerHTML'],
  [/\binsertAdjacentHTML\b/, 'insertAdjacentHTML'],
  [/\bdocument\s*\.\s*write(ln)?\b/, 'document.write'],
  [/\beval\s*\(/, 'eval('],
  [/\bnew\s+Function\b/, 'new Function'],
  [/\bcreateContextualFragment\b/, 'createContextualFragment'],
  [/\bDOMParser\b/, 'DOMParser'],
  [/\bsrcdoc\b/, 'srcdoc'],
  [/setAttribute\(\s*['"`](on|style)/i, 'setAttribute of an event handler or style attribute'],
  [/\bset(Timeout|Interval)\(\s*['"`]/, 'string passed to setTimeout/setInterval'],
];

test('webview sources never use HTML-parsing or code-evaluating APIs', () => {
  const root = projectRoot();
  const files = sources(join(root, 'webview'));
  assert.ok(files.length >= 3, 'expected the webview sources');
  const found: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const [re, what] of BANNED) if (re.test(line)) found.push(`${relative(root, f)}:${i + 1}: ${what}`);
      });
  }
  assert.deepEqual(found, []);
});

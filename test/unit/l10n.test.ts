// Localisation of the host layer: every user-visible string in src/host goes through
// vscode.l10n.t with a literal (so it can be extracted), and l10n/bundle.l10n.json, the file
// translators start from, holds exactly those strings (scripts/l10n.mjs writes it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../support/root';


const root = projectRoot();

function hostSources(dir = join(root, 'src', 'host')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? hostSources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

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

  test('every l10n.t string in src/host is in l10n/bundle.l10n.json', () => {
    let n = 0;
    for (const f of hostSources()) {
      for (const s of literals(readFileSync(f, 'utf8'))) {
        n++;
        assert.ok(s in bundle, `${f}: "${s}" is not in l10n/bundle.l10n.json (run npm run l10n)`);
        assert.equal(bundle[s], s);
      }
    }
    assert.ok(n > 150, `only ${n} l10n.t strings found: the scanner is broken`);
  });

  test('every l10n.t call has a literal first argument (else it cannot be translated)', () => {
    for (const f of hostSources()) {
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
});

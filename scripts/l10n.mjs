#!/usr/bin/env node
// Extracts every `vscode.l10n.t('…')` string of the host layer (src/host/**/*.ts) and every
// `l10n.t('…')` string of the webviews (webview/**/*.ts, @vscode/l10n via webview/shared/l10n.ts)
// into one l10n/bundle.l10n.json, the file translators start from (VS Code loads
// l10n/bundle.l10n.<locale>.json next to it; package.json's "l10n" field points there).
// The host hands its loaded bundle (vscode.l10n.bundle) to each webview, so one file serves both.
// It does what `npx @vscode/l10n-dev export src/host webview` does for our code, without a dependency:
// the strings are plain literals (the first argument of l10n.t), so a small scanner suffices.
//
//   node scripts/l10n.mjs          write l10n/bundle.l10n.json
//   node scripts/l10n.mjs --check  exit 1 if the file is not up to date (test/unit/l10n.test.ts)
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE = join(root, 'l10n', 'bundle.l10n.json');

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The value of a JS string literal body (quotes removed). */
function unescape(body) {
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_, e) => {
    if (e[0] === 'u') return String.fromCodePoint(parseInt(e[1] === '{' ? e.slice(2, -1) : e.slice(1), 16));
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0', '\n': '' }[e] ?? e;
  });
}

/** Every string literal passed as the first argument of l10n.t in `source`. */
export function extract(source) {
  const out = [];
  const re = /\bl10n\.t\(\s*(['"`])((?:\\[\s\S]|(?!\1)[^\\])*)\1/g;
  for (const m of source.matchAll(re)) {
    if (m[1] === '`' && m[2].includes('${')) throw new Error(`l10n.t with a template expression cannot be translated: ${m[0]}`);
    out.push(unescape(m[2]));
  }
  return out;
}

/** Counts l10n.t( calls whose first argument is not a literal (they cannot be extracted). */
export function nonLiteralCalls(source) {
  return [...source.matchAll(/\bl10n\.t\(\s*(?!['"`])/g)].length;
}

/** The folders whose l10n.t strings go into the bundle. */
export const SOURCE_DIRS = [join(root, 'src', 'host'), join(root, 'webview')];

export function bundle() {
  const strings = new Set();
  for (const f of SOURCE_DIRS.flatMap((d) => tsFiles(d)).sort()) {
    for (const s of extract(readFileSync(f, 'utf8'))) strings.add(s);
  }
  const obj = Object.fromEntries([...strings].sort().map((s) => [s, s]));
  return `${JSON.stringify(obj, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = bundle();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(BUNDLE, 'utf8');
    } catch {
      /* missing */
    }
    if (current !== text) {
      console.error('l10n/bundle.l10n.json is out of date: run `npm run l10n`');
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(BUNDLE), { recursive: true });
    writeFileSync(BUNDLE, text);
    console.log(`${BUNDLE}: ${Object.keys(JSON.parse(text)).length} strings`);
  }
}

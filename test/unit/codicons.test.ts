// The webviews' codicon stylesheet is a subset made at build time (scripts/codicons.mjs, run by
// esbuild.mjs): only the glyph classes the code names. A glyph used in webview code but left out
// of it would be drawn as nothing, so every icon the webviews ask for is checked against the
// generated out/codicons/codicon.css here, found by how webview code asks for icons (icon('x'),
// { icon: 'x' }, the *_ICON maps, `codicon-x` classes), not by the generator's own rule.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { PRESENCE_ICON } from '../../src/shared/presence';
import { CONNECTION_ICON } from '../../webview/shared/render';
import { ACTION_ICON } from '../../webview/chat/otr';
import { projectRoot } from '../support/root';

const root = projectRoot();
const glyphs = (css: string) => new Set([...css.matchAll(/\.codicon-([a-z0-9-]+):before/g)].map((m) => m[1]!));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : name.endsWith('.ts') ? [p] : [];
  });
}

/** Every codicon webview code asks for, with where. */
function iconsInWebviewCode(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (name: string, where: string) => found.has(name) || found.set(name, where);
  for (const f of sources(join(root, 'webview'))) {
    const text = readFileSync(f, 'utf8');
    const at = (i: number) => `${relative(root, f)}:${text.slice(0, i).split('\n').length}`;
    // icon(FIRST_ARGUMENT, …): a literal name, or the results of a ternary (`a === 'x' ? 'name' : 'other'`).
    for (const m of text.matchAll(/\bicon\(([^,)]*)/g)) for (const l of m[1]!.matchAll(/(?:^|[?:])\s*'([a-z0-9-]+)'/g)) add(l[1]!, at(m.index!));
    // Menu items and looks: { icon: 'name' }.
    for (const m of text.matchAll(/\bicon: '([a-z0-9-]+)'/g)) add(m[1]!, at(m.index!));
    // Classes written out: codicon-name (not the modifiers, not `codicon-${…}`).
    for (const m of text.matchAll(/codicon-([a-z0-9-]+)/g)) if (!m[1]!.startsWith('modifier-')) add(m[1]!, at(m.index!));
  }
  for (const [map, maps] of [
    ['PRESENCE_ICON', PRESENCE_ICON],
    ['CONNECTION_ICON', CONNECTION_ICON],
    ['ACTION_ICON', ACTION_ICON],
  ] as const)
    for (const name of Object.values(maps)) add(name, map);
  return found;
}

describe('codicon stylesheet subset (out/codicons/codicon.css)', () => {
  const built = join(root, 'out', 'codicons', 'codicon.css');
  const full = glyphs(readFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.css'), 'utf8'));

  it('has a class for every codicon the webview code uses, and each is a real codicon', () => {
    assert.ok(existsSync(built), 'built by the test runner (node esbuild.mjs)');
    const subset = glyphs(readFileSync(built, 'utf8'));
    const used = iconsInWebviewCode();
    assert.ok(used.size > 30, `found only ${used.size} icons in webview/: the patterns above no longer match the code`);
    const missing = [...used].filter(([name]) => !subset.has(name)).map(([name, where]) => `${name} (${where})${full.has(name) ? '' : ': not a codicon at all'}`);
    assert.deepEqual(missing, []);
  });

  it('is a subset: the font face, the base rule and the modifiers stay, unused glyphs go', () => {
    const css = readFileSync(built, 'utf8');
    const subset = glyphs(css);
    assert.match(css, /@font-face\s*\{[^}]*font-family: "codicon"/);
    assert.match(css, /\.codicon\[class\*='codicon-'\]/);
    assert.match(css, /\.codicon-loading\.codicon-modifier-spin/);
    assert.ok(subset.size < full.size / 4, `${subset.size} of ${full.size} glyphs kept`);
    assert.ok(!subset.has('github-alt') && !subset.has('rocket'), 'glyphs no code names are left out');
  });
});

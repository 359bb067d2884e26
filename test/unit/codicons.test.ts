// The webviews' codicon stylesheet is a subset made at build time (scripts/codicons.mjs, run by
// esbuild.mjs): only the glyph classes the code names. A glyph used in webview code but left out
// of it would be drawn as nothing, so every icon the webviews ask for is checked against the
// generated out/codicons/codicon.css here, found by how webview code asks for icons (icon('x'),
// { icon: 'x' }, the *_ICON maps, `codicon-x` classes), not by the generator's own rule. The
// font is a subset too (out/codicons/codicon.ttf, only the stylesheet's glyphs): a code point
// missing from it would also draw nothing, so its cmap is read here for each of those icons.
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
/** Glyph name → code point, from a codicon.css (`.codicon-add:before { content: "\ea60" }`). */
const codepoints = (css: string) => new Map([...css.matchAll(/\.codicon-([a-z0-9-]+):before\s*\{\s*content:\s*"\\([0-9a-fA-F]+)"/g)].map((m) => [m[1]!, parseInt(m[2]!, 16)]));

/**
 * Code point → glyph id of a TrueType font's cmap (OpenType spec, 'cmap': the Unicode subtables
 * of format 4, BMP, and 12, full range); glyph 0 (.notdef) is left out, it draws nothing.
 */
function cmapOf(font: Buffer): Map<number, number> {
  const tables = font.readUInt16BE(4);
  let cmap = -1;
  for (let i = 0; i < tables; i++) if (font.toString('latin1', 12 + i * 16, 16 + i * 16) === 'cmap') cmap = font.readUInt32BE(12 + i * 16 + 8);
  assert.ok(cmap >= 0, 'the font has a cmap table');
  const map = new Map<number, number>();
  const subtables = font.readUInt16BE(cmap + 2);
  for (let i = 0; i < subtables; i++) {
    const platform = font.readUInt16BE(cmap + 4 + i * 8);
    const encoding = font.readUInt16BE(cmap + 6 + i * 8);
    if (!(platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10)))) continue;
    const at = cmap + font.readUInt32BE(cmap + 8 + i * 8);
    const format = font.readUInt16BE(at);
    if (format === 4) {
      const segs = font.readUInt16BE(at + 6) / 2;
      const ends = at + 14, starts = ends + segs * 2 + 2, deltas = starts + segs * 2, offsets = deltas + segs * 2;
      for (let s = 0; s < segs; s++) {
        const start = font.readUInt16BE(starts + s * 2), end = font.readUInt16BE(ends + s * 2);
        const delta = font.readInt16BE(deltas + s * 2), offset = font.readUInt16BE(offsets + s * 2);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let g = 0;
          if (offset === 0) g = (c + delta) & 0xffff;
          else {
            const raw = font.readUInt16BE(offsets + s * 2 + offset + (c - start) * 2);
            g = raw === 0 ? 0 : (raw + delta) & 0xffff;
          }
          if (g !== 0) map.set(c, g);
        }
      }
    } else if (format === 12) {
      const groups = font.readUInt32BE(at + 12);
      for (let k = 0; k < groups; k++) {
        const start = font.readUInt32BE(at + 16 + k * 12), end = font.readUInt32BE(at + 20 + k * 12), glyph = font.readUInt32BE(at + 24 + k * 12);
        for (let c = start; c <= end; c++) if (glyph + c - start !== 0) map.set(c, glyph + c - start);
      }
    }
  }
  return map;
}

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

  it('its font (out/codicons/codicon.ttf) has a glyph for every codicon the webview code uses, and only the subset', () => {
    const fullCss = readFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.css'), 'utf8');
    const points = codepoints(fullCss);
    const fullFont = readFileSync(join(root, 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.ttf'));
    // The parser is checked on the package's own font first: every codicon has a glyph there.
    const fullCmap = cmapOf(fullFont);
    assert.deepEqual([...points].filter(([, c]) => !fullCmap.has(c)).map(([n]) => n), []);
    const font = readFileSync(join(root, 'out', 'codicons', 'codicon.ttf'));
    const cmap = cmapOf(font);
    const missing = [...iconsInWebviewCode()].filter(([name]) => !cmap.has(points.get(name) ?? -1)).map(([name, where]) => `${name} U+${(points.get(name) ?? 0).toString(16)} (${where})`);
    assert.deepEqual(missing, []);
    // And every glyph rule of the generated stylesheet (the generator's own list) has one.
    const css = readFileSync(built, 'utf8');
    const unmapped = [...glyphs(css)].filter((name) => !cmap.has(points.get(name) ?? -1));
    assert.deepEqual(unmapped, []);
    // The stylesheet loads this file, not the package's (its cache key is the subset's).
    assert.match(css, /src: url\("\.\/codicon\.ttf\?[0-9a-f]{32}"\) format\("truetype"\)/);
    assert.ok(cmap.size < fullCmap.size / 4, `${cmap.size} of ${fullCmap.size} code points kept`);
    assert.ok(font.length < fullFont.length / 4, `${font.length} of ${fullFont.length} bytes`);
  });
});

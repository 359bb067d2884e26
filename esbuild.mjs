// Build for Padlock Chat: one Node CJS bundle for the extension host, one browser bundle per
// webview, and the test bundles. One shared base config, one context per target (the shape of
// microsoft/vscode-extension-samples' esbuild-sample).
//
//   node esbuild.mjs               development build of everything (with sourcemaps)
//   node esbuild.mjs --production  minified host + webviews, no sourcemaps, no tests
//   node esbuild.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codiconsFor } from './scripts/codicons.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const base = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: production ? 'none' : 'inline',
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
};

const nodeBase = {
  ...base,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // `vscode` is provided by the extension host. `webworker-threads` is an optional require
  // inside `otr` that is never taken in Node (see ../shared/RECIPES.md).
  external: ['vscode', 'webworker-threads'],
  mainFields: ['module', 'main'],
};

const targets = [
  {
    ...nodeBase,
    // Two bundles: a tiny entry (activation) and the host layer it loads right after.
    entryPoints: { extension: join(root, 'src/host/extension.ts'), main: join(root, 'src/host/main.ts') },
    outdir: join(root, 'out'),
  },
  {
    ...base,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    entryPoints: {
      contacts: join(root, 'webview/contacts/main.ts'),
      chat: join(root, 'webview/chat/main.ts'),
      verify: join(root, 'webview/verify/main.ts'),
      security: join(root, 'webview/security/main.ts'),
      room: join(root, 'webview/room/main.ts'),
      // The toolkit's components for the contact tree and the chat, loaded after their first
      // paint (webview/shared/lateToolkit.ts).
      toolkit: join(root, 'webview/toolkit/main.ts'),
    },
    outdir: join(root, 'out/webview'),
  },
];

function testEntries(dir) {
  const abs = join(root, 'test', dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((f) => f.endsWith('.test.ts') || (dir === 'host' && f === 'index.ts'))
    .map((f) => join(abs, f));
}

if (!production) {
  const entryPoints = ['unit', 'integration', 'host', 'browser'].flatMap(testEntries);
  if (entryPoints.length) {
    targets.push({
      ...nodeBase,
      entryPoints,
      outbase: join(root, 'test'),
      outdir: join(root, 'out/test'),
      // Test tooling stays outside the bundles: loaded from node_modules at run time.
      external: [...nodeBase.external, 'mocha', 'playwright-core'],
    });
  }
}

async function copyStatic() {
  // Codicons for the webviews; served from out/ through localResourceRoots. The stylesheet only
  // has the glyph classes our code names, the font only their glyphs (scripts/codicons.mjs):
  // each page inlines the stylesheet and fetches the font when it first draws a glyph.
  const dst = join(root, 'out/codicons');
  mkdirSync(dst, { recursive: true });
  const { css, ttf } = await codiconsFor(root);
  writeFileSync(join(dst, 'codicon.ttf'), ttf);
  writeFileSync(join(dst, 'codicon.css'), css);
}

if (!watch) rmSync(join(root, 'out'), { recursive: true, force: true });
await copyStatic();
const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('[esbuild] watching…');
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

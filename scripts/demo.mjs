#!/usr/bin/env node
// `npm run demo`: Padlock Chat running for real, on this machine only.
//
//  1. installs what is missing (Debian packages as root, npm packages, code-server);
//  2. builds the extension for production and packages it as a .vsix (what a user installs);
//  3. runs scripts/demo-run.ts: a throwaway Prosody on 127.0.0.1 with demo accounts, a demo
//     contact that accepts authorisation and answers messages, and code-server with the .vsix
//     installed and your account already signed in (no password to type). Ctrl+C stops it all.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, setup } from './setup.mjs';

const t0 = Date.now();
try {
  setup();
} catch (e) {
  console.error(`[demo] setup failed: ${e?.message ?? e}`);
  process.exit(1);
}
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const work = join(root, '.tmp', 'demo');
mkdirSync(work, { recursive: true });
const vsix = join(work, 'padlock-chat.vsix');
console.log('[demo] building and packaging the extension…');
run(process.execPath, ['esbuild.mjs', '--production']);
run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix]);
const runner = join(work, 'demo-run.js');
// Imported only now: on a fresh clone, setup() has just installed it.
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'scripts/demo-run.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: runner,
  // Optional require inside `otr`, never taken in Node (as in esbuild.mjs).
  external: ['webworker-threads'],
  logLevel: 'warning',
});
// Ctrl+C reaches both processes; this one waits for the runner to stop what it started.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
const r = spawnSync(process.execPath, [runner, vsix, String(t0)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 0);

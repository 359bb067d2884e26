#!/usr/bin/env node
// Bundles bench/otr.ts with esbuild (into a temp dir: `node esbuild.mjs` wipes out/) and runs it.
//   node bench/run.mjs            [node flags after --, e.g. -- --cpu-prof]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'padlock-bench-'));
const outfile = join(dir, 'otr.js');
await esbuild.build({
  entryPoints: [join(root, 'bench/otr.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['webworker-threads'],
  logLevel: 'warning',
});
const sep = process.argv.indexOf('--');
const flags = sep >= 0 ? process.argv.slice(sep + 1) : [];
const r = spawnSync(process.execPath, [...flags, outfile], { stdio: 'inherit', cwd: root });
rmSync(dir, { recursive: true, force: true });
process.exitCode = r.status ?? 1;

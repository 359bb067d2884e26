#!/usr/bin/env node
// `npm test`: setup, build, typecheck and every test suite; ends with exactly one line
// "N passed, N failed" and exits non-zero if anything failed.
//
//   node scripts/test.mjs                      everything
//   node scripts/test.mjs --unit               only unit tests (also --integration, --browser;
//                                              combine them to run several groups)
//   node scripts/test.mjs --grep PATTERN       only tests whose name matches (node:test
//                                              --test-name-pattern, and mocha grep in the host)
//   node scripts/test.mjs --file ui-share      only test files whose name contains this (repeatable)
//   node scripts/test.mjs --no-typecheck       skip `tsc --noEmit`
//
// Groups (bundled by esbuild from test/<group>/*.test.ts to out/test/<group>/*.test.js):
//   unit         pure logic, no processes; files run in parallel
//   integration  real Prosody servers and script clients; one file at a time by default
//   browser      code-server + Chromium (includes the in-host suite, test/host/); one at a time
// The typecheck counts as one test. Counts are leaf tests (scripts/count-reporter.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root, setup } from './setup.mjs';

const { values: args } = parseArgs({
  options: {
    unit: { type: 'boolean', default: false },
    integration: { type: 'boolean', default: false },
    browser: { type: 'boolean', default: false },
    grep: { type: 'string' },
    file: { type: 'string', multiple: true },
    'no-typecheck': { type: 'boolean', default: false },
  },
  strict: true,
});

const anyGroup = args.unit || args.integration || args.browser;
const groups = [
  // Unit files are independent and fast: run them side by side.
  // No --test-force-exit for unit and integration (see below): their runs end by themselves
  // (~7 s, ~30 s); `killAfterMs` stops a runner that does not (a handle left open) by its PID.
  { name: 'unit', concurrency: 2, timeoutMs: 60_000, forceExit: false, killAfterMs: 300_000, selected: !anyGroup || args.unit },
  // Each integration file starts its own servers; on 2 cores running them one at a time keeps
  // timing-sensitive tests (OTR/SMP crypto blocks for seconds) honest.
  { name: 'integration', concurrency: Number(process.env.PADLOCK_INTEGRATION_CONCURRENCY ?? 1), timeoutMs: 120_000, forceExit: false, killAfterMs: 300_000, selected: !anyGroup || args.integration },
  // One VS Code + Chromium at a time is all 2 cores can carry.
  { name: 'browser', concurrency: 1, timeoutMs: 300_000, forceExit: true, selected: !anyGroup || args.browser },
].filter((g) => g.selected);
const typecheck = !args['no-typecheck'] && !anyGroup && !args.grep && !args.file;

const total = { passed: 0, failed: 0, skipped: 0, failures: [] };
const started = Date.now();
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function heading(text) {
  console.log(`\n━━ ${text}`);
}

/** Runs a command; resolves with its exit code (output inherited, or captured if `capture`). */
function exec(cmd, argv, { capture = false, env, killAfterMs } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'], env: env ?? process.env });
    let killed = false;
    const timer = killAfterMs
      ? setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, killAfterMs)
      : undefined;
    child.on('close', () => clearTimeout(timer));
    let output = '';
    if (capture) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('error', (e) => resolve({ code: 127, output: String(e) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output, killed }));
  });
}

function fail(name) {
  total.failed++;
  total.failures.push(name);
}

async function main() {
  heading('setup');
  try {
    // code-server is only needed by the browser group.
    setup({ codeServer: groups.some((g) => g.name === 'browser') });
  } catch (e) {
    console.error(`[setup] ERROR: ${e?.message ?? e}`);
    fail('setup');
    return;
  }

  heading('build (node esbuild.mjs)');
  const t0 = Date.now();
  const build = await exec(process.execPath, ['esbuild.mjs']);
  if (build.code !== 0) {
    // Keep going: bundles that did build still run, and the failure is counted.
    console.log(`build FAILED (${secs(t0)})`);
    fail('build');
  } else {
    console.log(`build ok (${secs(t0)})`);
  }

  // The typecheck (~10 s of one core) runs in the background next to the unit tests, and is
  // finished before the integration and browser groups start: those have real timing (server
  // restarts, a real VS Code) that should not compete with tsc for 2 cores.
  let tsc = typecheck
    ? exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit'], { capture: true })
    : undefined;
  const tscStarted = Date.now();
  const reportTypecheck = async () => {
    if (!tsc) return;
    const r = await tsc;
    tsc = undefined;
    heading('typecheck (tsc -p . --noEmit)');
    if (r.code === 0) {
      total.passed++;
      console.log(`typecheck ok (${secs(tscStarted)})`);
    } else {
      process.stdout.write(r.output);
      console.log('typecheck FAILED');
      fail('typecheck');
    }
  };

  const countsDir = mkdtempSync(join(tmpdir(), 'padlock-test-counts-'));
  try {
    for (const g of groups) {
      if (g.name !== 'unit') await reportTypecheck();
      const dir = join(root, 'out', 'test', g.name);
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js') && (!args.file || args.file.some((p) => f.includes(p)))).sort().map((f) => join(dir, f)) : [];
      heading(`${g.name} tests (${files.length} file${files.length === 1 ? '' : 's'})`);
      if (files.length === 0) continue;
      const countsFile = join(countsDir, `${g.name}.json`);
      const argv = [
        '--test',
        `--test-concurrency=${g.concurrency}`,
        `--test-timeout=${g.timeoutMs}`,
        // A test that leaves a socket or timer open must not hang CI; servers started by the
        // support code are killed by PID on exit (test/support/cleanup.ts). (This is why the
        // count reporter saves its counts after every result.) Forced, the runner can exit
        // before the reporters have read the last results: the unit group, which needs no
        // forcing, once counted 482 of its 484 passes this way. The browser group (code-server,
        // Chromium) stays forced.
        ...(g.forceExit ? ['--test-force-exit'] : []),
        '--enable-source-maps',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(root, 'scripts', 'count-reporter.mjs')}`,
        '--test-reporter-destination=/dev/null', // it writes $PADLOCK_COUNT_FILE itself
        ...(args.grep ? [`--test-name-pattern=${args.grep}`] : []),
        ...files,
      ];
      const env = { ...process.env, PADLOCK_COUNT_FILE: countsFile, ...(args.grep ? { PADLOCK_TEST_GREP: args.grep } : {}) };
      const g0 = Date.now();
      const r = await exec(process.execPath, argv, { env, killAfterMs: g.killAfterMs });
      if (r.killed) fail(`${g.name} (the test runner did not exit within ${g.killAfterMs / 1000} s: a handle left open; stopped)`);
      let counts;
      try {
        counts = JSON.parse(readFileSync(countsFile, 'utf8'));
      } catch {
        counts = undefined;
      }
      if (!counts) {
        console.log(`${g.name}: the test runner produced no results (exit ${r.code})`);
        fail(`${g.name} (runner crashed)`);
        continue;
      }
      total.passed += counts.passed;
      total.failed += counts.failed;
      total.skipped += counts.skipped;
      total.failures.push(...counts.failures.map((n) => `${g.name}: ${n}`));
      if (r.code !== 0 && counts.failed === 0 && !r.killed) fail(`${g.name} (runner exited ${r.code})`);
      console.log(`${g.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${secs(g0)})`);
    }
  } finally {
    rmSync(countsDir, { recursive: true, force: true });
  }

  await reportTypecheck();
}

await main();
heading(`done in ${secs(started)}`);
if (total.skipped) console.log(`${total.skipped} skipped`);
if (total.failures.length) console.log(`failed:\n${total.failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exitCode = total.failed > 0 ? 1 : 0;

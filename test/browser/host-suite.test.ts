/**
 * Runs the in-host test suite (test/host/, bundled to out/test/host/index.js) inside a real
 * VS Code: code-server + headless Chromium, with a real Prosody for the extension to sign in to.
 *
 * How results travel: the workbench loads the page with an `extensionTestsPath` payload; the
 * Node extension host calls the suite's run(); test/host/index.ts prints one
 * `PADLOCK_TEST {json}` line per test via console.log; VS Code forwards extension-host console
 * output to the page's log, which it hands to `window.codeAutomationLog(level, args)` (exposed
 * here); the exit code arrives through `window.codeAutomationExit(code)`. Each in-host result
 * becomes one node:test test below, so every host test counts in the totals.
 *
 * Environment for the extension host (code-server passes its environment through):
 *   PADLOCK_PROVISION_FILE  accounts to sign in to at activation (test/support/provision.ts)
 *   PADLOCK_TEST_SERVER     JSON { host, port, domain, caFile } of the Prosody under test
 *   PADLOCK_TEST_GREP       optional mocha grep (set by scripts/test.mjs --grep)
 *
 * Keyboard for in-host tests: the extension host has no keyboard, so a host test that wants to
 * answer a quick pick "by keyboard" logs `PADLOCK_KEYS {"title": T, "keys": [...]}` (see
 * test/host/keys.ts); this runner waits until the workbench shows a quick input titled T and
 * presses the keys in Chromium (a key name for page.keyboard.press, or {"type": text}).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { hostTestUrl, repoRoot, startCodeServer } from '../support/codeServer';
import { startProsody } from '../support/prosody';
import { accountsFor, writeProvisionFile } from '../support/provision';
// Type-only: the result format and line prefixes shared with the in-host reporter.
import type { HostTestResult } from '../host/index';

const RESULT_PREFIX = 'PADLOCK_TEST ';
const DONE_PREFIX = 'PADLOCK_TEST_DONE ';
const KEYS_PREFIX = 'PADLOCK_KEYS ';
const SUITE_TIMEOUT_MS = Number(process.env.PADLOCK_HOST_SUITE_TIMEOUT ?? 180_000);

interface HostRun {
  exitCode: number;
  results: HostTestResult[];
  done: boolean;
  log: string[];
}

async function runHostSuite(): Promise<HostRun> {
  const users = { alice: 'alice-secret-pw', bob: 'bob-secret-pw' };
  const server = await startProsody({ users });
  const work = mkdtempSync(join(tmpdir(), 'padlock-host-suite-'));
  const folder = join(work, 'workspace');
  mkdirSync(folder);
  writeFileSync(join(folder, 'README.md'), '# Padlock Chat host tests\n');
  // Both accounts: host tests sign in as alice and use bob's entry as a second account.
  const provisionFile = writeProvisionFile(work, accountsFor(server, users));
  const env: Record<string, string> = {
    PADLOCK_PROVISION_FILE: provisionFile,
    PADLOCK_TEST_SERVER: JSON.stringify({ host: server.host, port: server.port, domain: server.domain, caFile: server.caFile }),
  };
  if (process.env.PADLOCK_TEST_GREP) env.PADLOCK_TEST_GREP = process.env.PADLOCK_TEST_GREP;

  let codeServer: Awaited<ReturnType<typeof startCodeServer>> | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  const run: HostRun = { exitCode: -1, results: [], done: false, log: [] };
  try {
    [codeServer, browser] = await Promise.all([startCodeServer({ env, folder }), launchBrowser()]);
    const { page } = browser;
    let keys: Promise<void> = Promise.resolve();
    let onDone: () => void = () => {};
    const doneSeen = new Promise<void>((r) => (onDone = r));
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (level: string, args: unknown[]) => {
      const line = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      if (line.startsWith(RESULT_PREFIX)) {
        run.results.push(JSON.parse(line.slice(RESULT_PREFIX.length)) as HostTestResult);
      } else if (line.startsWith(KEYS_PREFIX)) {
        const req = JSON.parse(line.slice(KEYS_PREFIX.length)) as KeysRequest;
        // One request at a time, in order: each waits for its own quick input.
        keys = keys.then(() => pressKeys(page, req)).catch((e: Error) => void run.log.push(`[keys] ${req.title}: ${e.message}`));
      } else if (line.startsWith(DONE_PREFIX)) {
        run.done = true;
        onDone();
      } else {
        run.log.push(`[${level}] ${line}`);
      }
    });
    // PADLOCK_HOST_EXTENSION_PATH: run the suite against another build of the extension
    // (used to check this harness with a stub extension).
    const extPath = process.env.PADLOCK_HOST_EXTENSION_PATH ?? repoRoot;
    const url = hostTestUrl(codeServer.base, extPath, join(repoRoot, 'out', 'test', 'host', 'index'), folder);
    await page.goto(url);
    let timer: NodeJS.Timeout | undefined;
    run.exitCode = await Promise.race([
      exited,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`host suite did not finish in ${SUITE_TIMEOUT_MS} ms`)), SUITE_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    // The summary line is logged before run() settles and travels the same channel as the exit
    // code; allow it a moment in case the two are delivered out of order.
    if (!run.done) await Promise.race([doneSeen, new Promise((r) => setTimeout(r, 2000))]);
    return run;
  } catch (e) {
    const detail = [
      codeServer ? `code-server log:\n${codeServer.logTail(30)}` : '',
      `workbench log:\n${run.log.slice(-30).join('\n')}`,
      `prosody log:\n${server.logTail(20)}`,
    ].join('\n\n');
    throw new Error(`${(e as Error).message}\n\n${detail}`);
  } finally {
    await browser?.close();
    await codeServer?.stop();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

interface KeysRequest {
  /** The quick input's title (exact text) to wait for before pressing. */
  title: string;
  keys: (string | { type: string })[];
}

/** Waits for the quick input titled `title`, then presses the keys in the workbench page. */
async function pressKeys(page: Page, req: KeysRequest): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const title = widget.locator('.quick-input-title', { hasText: req.title });
  // A request whose picker never shows (the host test gave up on that try) expires.
  await title.waitFor({ state: 'visible', timeout: 10_000 });
  // The input has focus once the widget is up; the keys go there, as a user's would.
  await widget.locator('input.input').focus();
  for (const k of req.keys) {
    if (typeof k === 'string') await page.keyboard.press(k);
    else {
      await page.keyboard.type(k.type);
      // A quick pick filters as one types: wait until a row matches before the next key.
      if (await widget.locator('.quick-input-list').isVisible()) {
        await widget.locator('.quick-input-list .monaco-list-row', { hasText: k.type }).first().waitFor({ state: 'visible', timeout: 10_000 });
      }
    }
  }
}

// An async describe body: node:test collects the `it`s registered after the suite has run,
// so each in-host result is reported (and counted) as its own test.
describe('in-host tests (code-server)', { timeout: SUITE_TIMEOUT_MS + 60_000 }, async () => {
  const run = await runHostSuite();
  // Keyboard retries and expired key requests (see test/host/palette.test.ts), for the record.
  for (const line of run.log) if (/\[(keys|palette)\]/.test(line)) console.log(line);

  for (const r of run.results) {
    it(r.name, { skip: r.state === 'skipped' }, () => {
      if (r.state === 'failed') {
        const err = new Error(r.error?.message ?? 'failed in the extension host');
        if (r.error?.stack) err.stack = r.error.stack;
        throw err;
      }
    });
  }

  it('the host suite ran and exited cleanly', () => {
    const failed = run.results.filter((r) => r.state === 'failed').length;
    const context = `exit code ${run.exitCode}; last workbench log lines:\n${run.log.slice(-20).join('\n')}`;
    assert.ok(run.results.length > 0, `no host test reported a result; ${context}`);
    assert.ok(run.done, `the host suite did not report its end; ${context}`);
    // A non-zero exit without failed tests means run() itself failed (e.g. a load error).
    if (failed === 0) assert.equal(run.exitCode, 0, context);
  });
});

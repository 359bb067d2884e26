/**
 * "Padlock: Generate Private Key" in a real VS Code (code-server + Chromium), issue 3 point 1:
 * a progress notification while the key is made; for an account that has a key, a modal
 * confirmation that explains the consequence and shows the current fingerprint, whose default
 * answer (Enter) and Escape both keep the key. (A host test cannot do this: VS Code refuses
 * modal dialogs in extension test mode, "DialogService: refused to show … in tests".)
 *
 * The fingerprint is read from what the user sees: the "Your fingerprint for …" notification
 * after generating, and the "Current fingerprint" line of the confirmation.
 *
 * Screenshot: docs/screenshots/otr-regenerate-key.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { recordToasts, runCommand, toastsSoFar } from '../support/browser';
import { repoRoot } from '../support/codeServer';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { openWorkbench, type Workbench } from '../support/workbench';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-keygen-pw' };
const COMMAND = 'Padlock: Generate Private Key';
const FP = /([0-9A-F]{8}(?: [0-9A-F]{8}){4})/;

let server: ProsodyServer;
let wb: Workbench | undefined;
let page: Page;

/** Toast texts seen since the observer was installed (a progress notification may last only ms). */
const toasts = (): Promise<string[]> => toastsSoFar(page);

async function waitToast(re: RegExp, from = 0, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await toasts()).slice(from).find((t) => re.test(t));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no notification matching ${re}; seen: ${JSON.stringify(await toasts())}`);
    await page.waitForFunction((n) => (window as unknown as { __toasts: string[] }).__toasts.length > n, (await toasts()).length, { timeout: Math.max(1, deadline - Date.now()) }).catch(() => {});
  }
}

/** Runs the command on an account with a key: resolves with the confirmation dialog. */
async function confirmation() {
  await runCommand(page, COMMAND);
  const box = page.locator('.monaco-dialog-box', { hasText: 'already has a private key' });
  await box.waitFor({ state: 'visible', timeout: 20_000 });
  return box;
}

async function currentFingerprint(): Promise<string> {
  const box = await confirmation();
  const fp = FP.exec(await box.innerText())?.[1];
  await page.keyboard.press('Escape');
  await box.waitFor({ state: 'hidden' });
  assert.ok(fp, 'the dialog shows the current fingerprint');
  return fp;
}

describe('Generate Private Key (code-server UI)', { timeout: 180_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    wb = await openWorkbench({ name: 'keygen', server, accounts: { alice: USERS.alice } });
    ({ page } = wb);
    await recordToasts(page);
  });

  after(async () => {
    await wb?.close();
    await server?.kill();
  });

  let first = '';

  it('the first key: a progress notification while it is made, then the fingerprint', async () => {
    await runCommand(page, COMMAND);
    await waitToast(/Generating a private key for alice@/);
    first = FP.exec(await waitToast(/Your fingerprint for alice@/))![1]!;
  });

  it('again: a modal confirmation explains the consequence and shows the current fingerprint; Escape keeps the key', async () => {
    const box = await confirmation();
    const text = await box.innerText();
    assert.match(text, /new fingerprint/);
    assert.match(text, /unrecognised computer/);
    assert.match(text, /private conversations end/);
    assert.equal(FP.exec(text)?.[1], first);
    await page.screenshot({ path: join(SHOTS, 'otr-regenerate-key.png') });
    await page.keyboard.press('Escape');
    await box.waitFor({ state: 'hidden' });
    assert.equal(await currentFingerprint(), first);
  });

  it('the default answer (Enter) keeps the key', async () => {
    const box = await confirmation();
    const focused = box.locator('.monaco-button:focus');
    await focused.waitFor({ state: 'visible' });
    assert.equal((await focused.innerText()).trim(), 'Keep Current Key', 'the focused (default) button');
    await page.keyboard.press('Enter');
    await box.waitFor({ state: 'hidden' });
    assert.equal(await currentFingerprint(), first, 'Enter on the confirmation made a new key');
  });

  it('confirming makes a new key, with the progress notification again', async () => {
    const before = (await toasts()).length;
    const box = await confirmation();
    await box.locator('.monaco-button', { hasText: 'Generate a New Key' }).first().click();
    const second = FP.exec(await waitToast(/Your fingerprint for alice@/, before))![1]!;
    const fresh = (await toasts()).slice(before);
    assert.ok(fresh.some((t) => /Generating a private key for alice@/.test(t)), `no progress notification: ${JSON.stringify(fresh)}`);
    assert.notEqual(second, first);
    assert.equal(await currentFingerprint(), second);
  });
});

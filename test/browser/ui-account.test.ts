/**
 * Adding an account through the palette, keyboard only, in a real VS Code (code-server 4.100.3
 * + Debian Chromium) against a real Prosody whose certificate the extension does NOT trust (no
 * provisioning, no CA): the certificate modal shows the server's SHA-256 fingerprint, the user
 * trusts (pins) it, and the account comes online. A wrong password gets a clear error.
 *
 * Screenshot: docs/screenshots/certificate.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { openPalette } from '../support/browser';
import { openWorkbench, type Workbench } from '../support/workbench';
import { repoRoot } from '../support/codeServer';
import { startProsody, type ProsodyServer } from '../support/prosody';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-account-pw', bob: 'bob-account-pw' };

let server: ProsodyServer;
let wb: Workbench | undefined;
let page: Page;
let tree: FrameLocator;

/** Waits until the quick input shows `title`, then types `text` and presses Enter. */
async function answer(title: string, text: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** "Padlock: Add Account…" from the palette and its three questions, keyboard only. */
async function addAccountByKeyboard(jid: string, password: string): Promise<void> {
  await openPalette(page);
  await page.keyboard.type('Padlock: Add Account');
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Padlock: Add Account…' }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await answer('Add Account (1/3)', jid);
  await answer('Add Account (2/3)', password);
  await answer('Add Account (3/3)', `127.0.0.1:${server.port}`);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

const dialog = () => page.locator('.monaco-dialog-box');

describe('add account with an untrusted certificate (code-server UI)', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    // No PADLOCK_PROVISION_FILE: no account, no CA. The server's certificate is signed by a test
    // CA the extension has never heard of.
    wb = await openWorkbench({ name: 'account', treeHas: '.welcome' });
    ({ page, tree } = wb);
    // :defined: the toolkit, loaded after the tree's first paint (webview/shared/lateToolkit.ts),
    // upgraded the button inside VS Code's webview (its resource URL, the page's nonce).
    await tree.locator('.welcome vscode-button:defined', { hasText: 'Add account' }).waitFor({ state: 'visible' });
  });

  after(async () => {
    await wb?.close();
    await server?.kill();
  });

  it('shows the certificate fingerprint, and after "Trust" the account comes online', async () => {
    await addAccountByKeyboard('alice@localhost', USERS.alice);

    await dialog().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(
      (await dialog().locator('.dialog-message-text').textContent())?.trim(),
      'The certificate of the server for alice@localhost could not be verified',
    );
    const detail = (await dialog().locator('.dialog-message-detail').textContent()) ?? '';
    const fp = /SHA-256 fingerprint:\s*([0-9A-F]{2}(?::[0-9A-F]{2}){31})/.exec(detail)?.[1];
    assert.equal(fp, server.certFingerprint256, `fingerprint in the dialog: ${detail}`);
    assert.match(detail, /signed by an unknown authority/);
    const trust = dialog().getByRole('button', { name: 'Trust This Certificate for alice@localhost' });
    await trust.waitFor({ state: 'visible' });
    // The primary button (the one Enter presses) is the safe one.
    assert.equal((await dialog().locator('.dialog-buttons a.monaco-button:focus').textContent())?.trim(), "Don't Trust");
    await page.mouse.move(900, 150);
    await page.screenshot({ path: join(SHOTS, 'certificate.png') });

    await trust.click();
    await dialog().waitFor({ state: 'hidden' });
    const account = tree.locator('.row-account[title^="alice@localhost "]');
    await account.locator('.conn-online').waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await account.getAttribute('aria-label'), 'alice@localhost, Online');
    const sessions = await server.sessions();
    assert.ok(sessions.some((j) => j.startsWith('alice@localhost/')), `alice is connected: ${sessions.join(', ')}`);
  });

  it('a wrong password shows a clear error notification', async () => {
    await addAccountByKeyboard('bob@localhost', 'not-bobs-password');
    // The certificate is pinned per account: bob's account asks too.
    await dialog().waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await dialog().locator('.dialog-message-detail').textContent()) ?? '', new RegExp(server.certFingerprint256));
    await dialog().getByRole('button', { name: 'Trust This Certificate for bob@localhost' }).click();
    await dialog().waitFor({ state: 'hidden' });

    const note = page.locator('.notifications-toasts .notification-toast', { hasText: 'bob@localhost' });
    await note.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(
      (await note.locator('.notification-list-item-message').textContent())?.trim(),
      'bob@localhost: Sign-in failed: wrong password or unknown account.',
    );
    assert.equal(await note.locator('.codicon-error').count(), 1, 'shown as an error');
    await note.getByRole('button', { name: 'Enter Password' }).waitFor({ state: 'visible' });
    // The tree says so too, and bob is not connected.
    const account = tree.locator('.row-account[title^="bob@localhost "]');
    await account.locator('.conn-error').waitFor({ state: 'visible' });
    assert.match((await account.getAttribute('aria-label')) ?? '', /^bob@localhost, Error: .*wrong password/);
    assert.ok(!(await server.sessions()).some((j) => j.startsWith('bob@localhost/')));
  });
});

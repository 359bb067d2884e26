/**
 * The Security page's webview alone in Chromium (test/support/webviewPage.ts: its real page and
 * CSP, a fake host): issue 3 items 1 and 6 as the user sees them. Each account's fingerprint as
 * libotr clients show it (5 groups of 8 uppercase hex digits) with a Copy button; Generate for
 * an account without a key, Regenerate / Export / Import / Import from Pidgin for one with a key;
 * the known fingerprints with their verified state, Verify / Unverify and Forget; a hostile
 * contact name shown as text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SecurityState } from '../../src/shared/protocol';
import { openWebview, type WebviewPage } from '../support/webviewPage';

const FP_ME = 'A1B2C3D4 E5F60718 293A4B5C 6D7E8F90 0A1B2C3D';
const FP_ADA = '0123456789abcdef0123456789abcdef01234567';
const FP_EVE = 'FEDCBA98 76543210 FEDCBA98 76543210 FEDCBA98';
const EVIL = '<img src=x onerror="document.title=\'pwned\'">';

const state: SecurityState = {
  accounts: [
    { id: 'me@localhost', jid: 'me@localhost', fingerprint: FP_ME, generating: false },
    { id: 'new@localhost', jid: 'new@localhost', generating: false },
  ],
  known: [
    { account: 'me@localhost', contact: 'ada@localhost', name: 'Ada', fingerprint: FP_ADA, verified: true, current: true },
    { account: 'me@localhost', contact: 'eve@localhost', name: EVIL, fingerprint: FP_EVE, verified: false, current: false },
  ],
  policy: 'opportunistic',
  logging: false,
};

describe('Security page webview (Chromium, fake host)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  before(async () => {
    w = await openWebview('security', state);
    await w.page.locator('.key-card').first().waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  const last = async (method: string) => (await w.requests()).filter((r) => r.method === method).at(-1)?.params;

  it('shows each account\'s fingerprint as libotr does, with Copy; Generate where there is no key', async () => {
    const mine = w.page.locator('.key-card', { hasText: 'me@localhost' });
    assert.deepEqual(await mine.locator('.fp-group').allTextContents(), FP_ME.split(' '));
    await mine.locator('button[title="Copy fingerprint"]').click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'copy'));
    assert.deepEqual(await last('copy'), { text: FP_ME });
    for (const label of ['Regenerate…', 'Export…', 'Import…', 'Import from Pidgin…']) assert.equal(await mine.locator('vscode-button', { hasText: label }).count(), 1, label);

    const fresh = w.page.locator('.key-card', { hasText: 'new@localhost' });
    assert.match((await fresh.textContent()) ?? '', /No key yet/);
    await fresh.locator('vscode-button', { hasText: 'Generate' }).click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'generate'));
    assert.deepEqual(await last('generate'), { account: 'new@localhost' });
  });

  it('lists known fingerprints with their state; Verify and Forget ask the host; a hostile name stays text', async () => {
    const rows = w.page.locator('table tbody tr');
    assert.equal(await rows.count(), 2);
    const ada = rows.filter({ hasText: 'ada@localhost' });
    assert.deepEqual(await ada.locator('.fp-group').allTextContents(), ['01234567', '89ABCDEF', '01234567', '89ABCDEF', '01234567']);
    assert.match((await ada.locator('.state-cell').textContent()) ?? '', /Verified/);
    const eve = rows.filter({ hasText: 'eve@localhost' });
    assert.match((await eve.locator('.state-cell').textContent()) ?? '', /Unverified/);
    assert.equal(await eve.locator('.who-name').textContent(), EVIL);
    assert.equal(await w.page.locator('img').count(), 0, 'no markup from a contact name');
    assert.notEqual(await w.page.title(), 'pwned');

    await eve.locator('vscode-button', { hasText: 'Verify' }).click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'setVerified'));
    assert.deepEqual(await last('setVerified'), { account: 'me@localhost', contact: 'eve@localhost', fingerprint: FP_EVE, verified: true });
    await ada.locator('button[title="Forget this fingerprint…"]').click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'forget'));
    assert.deepEqual(await last('forget'), { account: 'me@localhost', contact: 'ada@localhost', fingerprint: FP_ADA });
    assert.deepEqual(w.strayRequests, []);
  });
});

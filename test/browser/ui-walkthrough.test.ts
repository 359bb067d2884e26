/**
 * The getting-started walkthrough in a real VS Code (code-server + Chromium): opened from the
 * palette by keyboard ("Welcome: Open Walkthrough…", then typing its name), it lists the five
 * steps of issue #4, unchecked until done; a step's button runs its Padlock command, and the
 * step is checked by its completion event.
 *
 * Screenshot: docs/screenshots/walkthrough.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openPalette } from '../support/browser';
import { repoRoot } from '../support/codeServer';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { openWorkbench, type Workbench } from '../support/workbench';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-walk-pw' };
const STEPS = ['Add an XMPP account', 'Generate your private key', 'Add a contact', 'Start a private conversation', 'Verify your contact'];

/** The icon of a checked walkthrough step. */
const CHECKED = '.codicon-getting-started-step-checked';

let server: ProsodyServer;
let wb: Workbench | undefined;
let page: Page;

describe('getting-started walkthrough (code-server UI)', { timeout: 150_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    wb = await openWorkbench({ name: 'walkthrough', server, accounts: { alice: USERS.alice } });
    ({ page } = wb);
    await wb.tree.locator('.account-state, .row-account').filter({ hasText: /Online/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
    await server?.kill();
  });

  it('opens from the palette by keyboard and lists the five steps', async () => {
    await openPalette(page);
    const input = page.locator('.quick-input-widget input.input');
    await input.fill('>Welcome: Open Walkthrough');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Open Walkthrough' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    // The walkthrough picker: filter by typing, Enter.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with Padlock Chat' }).first().waitFor({ state: 'visible' });
    await page.keyboard.type('Padlock');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Get Started with Padlock Chat' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');

    const container = page.locator('.gettingStartedContainer');
    await container.locator('.getting-started-category', { hasText: 'Get Started with Padlock Chat' }).or(container.locator('h2', { hasText: 'Get Started with Padlock Chat' })).first().waitFor({ state: 'visible', timeout: 20_000 });
    for (const title of STEPS) {
      await container.locator('.getting-started-step', { hasText: title }).first().waitFor({ state: 'attached' });
    }
  });

  it('steps whose completion has not happened are unchecked', async () => {
    // (The account step is not asserted: VS Code's walkthrough service records an onContext
    // event that already holds when it registers the walkthrough without checking the step,
    // and here the provisioned account signs in before that. A user who adds an account
    // completes it through onCommand:padlock.addAccount or the context key's change.)
    const step = (title: string) => page.locator('.gettingStartedContainer .getting-started-step', { hasText: title }).first();
    for (const title of STEPS.slice(1)) {
      assert.equal(await step(title).locator(CHECKED).count(), 0, `"${title}" is checked but has not been done`);
    }
  });

  it('a step shows its guide and its button runs the Padlock command', async () => {
    const step = page.locator('.gettingStartedContainer .getting-started-step', { hasText: STEPS[1] }).first();
    await step.click();
    const button = step.locator('.button-link, a.button-link, .monaco-button', { hasText: 'Generate Private Key' }).first();
    await button.waitFor({ state: 'visible' });
    await page.mouse.move(900, 500);
    await page.screenshot({ path: join(SHOTS, 'walkthrough.png') });
    await button.click();
    // One account: no picker; the key is generated with a progress notification, then the
    // fingerprint is shown.
    await page.locator('.notifications-toasts .notification-list-item', { hasText: 'Your fingerprint for alice@localhost' }).waitFor({ state: 'visible', timeout: 30_000 });
    // Its completion events (onCommand:padlock.generateKey, onContext:padlock.hasKey) check it.
    await step.locator(CHECKED).first().waitFor({ state: 'attached', timeout: 20_000 });
  });
});

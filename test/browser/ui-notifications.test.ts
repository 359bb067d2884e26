/**
 * New messages while their chat is not visible, in a real VS Code (code-server + Chromium)
 * against a real Prosody: a notification with Open and Reply, the unread count on the Padlock
 * view's badge (activity bar) and in the status bar, cleared when the chat is opened. Bob is a
 * script client.
 *
 * Screenshot: docs/screenshots/notification.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { stripWhitespaceTags } from '../../src/core/otr/layer';
import { webviewFrame } from '../support/browser';
import { repoRoot } from '../support/codeServer';
import { befriend } from '../support/demoBot';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { contactOnline, openWorkbench, tearDown, type Workbench } from '../support/workbench';
import { connectClient, type ScriptClient } from '../support/xmppClient';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-notify-pw', bob: 'bob-notify-pw' };

let server: ProsodyServer;
let wb: Workbench | undefined;
let bob: ScriptClient | undefined;
let page: Page;

const toast = (text: string) => page.locator('.notifications-toasts .notification-toast', { hasText: text });
/** The badge on Padlock Chat's activity bar entry (the contact view's badge). */
const viewBadge = () => page.locator('.activitybar li.action-item:has(> a[aria-label^="Padlock Chat"]) .badge-content');
const statusItem = () => page.locator('.statusbar-item', { hasText: 'Padlock' }).first();

describe('notifications and unread counts (code-server UI)', { timeout: 150_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriend(server, { user: 'alice', password: USERS.alice }, { user: 'bob', password: USERS.bob, name: 'Bob' });
    bob = await connectClient({ server, user: 'bob', password: USERS.bob, resource: 'script' });
    wb = await openWorkbench({ name: 'notify', server, accounts: { alice: USERS.alice }, treeHas: contactOnline('bob@localhost') });
    ({ page } = wb);
  });

  after(() => tearDown(wb, [bob], server));

  it('a message with no chat open: notification with Open and Reply, unread count on the badge and in the status bar', async () => {
    await bob!.sendMessage('alice@localhost', 'Are you there? The build is red.');
    const note = toast('Bob: Are you there? The build is red.');
    await note.waitFor({ state: 'visible' });
    const buttons = (await note.locator('.notification-list-item-buttons-container .monaco-button').allTextContents()).map((t) => t.trim());
    assert.deepEqual(buttons, ['Open', 'Reply']);
    await viewBadge().filter({ hasText: /^1$/ }).waitFor({ state: 'visible' });
    await statusItem().filter({ hasText: /Padlock\s*1$/ }).waitFor({ state: 'visible' });
    await wb!.tree.locator('.row-contact[title="bob@localhost"] .badge', { hasText: '1' }).waitFor({ state: 'visible' });
    // The toast slides in: take the picture once it is in place.
    await page.locator('.notification-toast.notification-fade-in-done', { hasText: 'Bob: Are you there?' }).waitFor({ state: 'visible' });
    await page.mouse.move(900, 300);
    await page.screenshot({ path: join(SHOTS, 'notification.png') });
  });

  it('Reply answers from the notification without opening the chat', async () => {
    await toast('Bob: Are you there?').locator('.monaco-button', { hasText: 'Reply' }).click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Reply to Bob' }).waitFor({ state: 'visible' });
    await page.keyboard.type('Looking at it now');
    await page.keyboard.press('Enter');
    const heard = await bob!.waitForMessage((m) => m.from.startsWith('alice@localhost/'));
    assert.equal(stripWhitespaceTags(heard.body ?? ''), 'Looking at it now');
    // Still unread: the chat itself has not been seen.
    await statusItem().filter({ hasText: /Padlock\s*1$/ }).waitFor({ state: 'visible' });
  });

  it('Open shows the chat and clears the counts', async () => {
    await bob!.sendMessage('alice@localhost', 'Thanks!');
    await viewBadge().filter({ hasText: /^2$/ }).waitFor({ state: 'visible' });
    await toast('Bob: Thanks!').locator('.monaco-button', { hasText: 'Open' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Bob' }).waitFor({ state: 'visible' });
    const chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await chat.locator('.messages .msg-in .msg-body', { hasText: 'Thanks!' }).waitFor({ state: 'visible' });
    await viewBadge().waitFor({ state: 'hidden' });
    await statusItem().filter({ hasText: /^\s*Padlock$/ }).waitFor({ state: 'visible' });
  });

  it('no notification for a message whose chat is visible', async () => {
    await bob!.sendMessage('alice@localhost', 'One more thing');
    const chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await chat.locator('.messages .msg-in .msg-body', { hasText: 'One more thing' }).waitFor({ state: 'visible' });
    assert.equal(await toast('Bob: One more thing').count(), 0);
    assert.equal(await viewBadge().isVisible(), false, 'the view badge shows an unread count');
  });
});

/**
 * Private conversations (OTR) as a user sees them in a real VS Code (code-server 4.100.3 +
 * Debian Chromium) against a real Prosody: alice (provisioned, signed in) talks to bob, an
 * OTR-speaking contact run in this process by Padlock's own core (test/support/otrPeer.ts).
 *
 * The padlock (start, end, policy), the notices in the chat, the Authenticate dialog
 * (fingerprint comparison, SMP both ways, right and wrong answers) and the Security page.
 *
 * Screenshots: docs/screenshots/otr-unverified.png, verify.png, otr-verified.png, otr-ended.png,
 * security.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import type { OtrEvents } from '../../src/core/otr/layer';
import { launchBrowser, openViewContainer, runCommand, setColorTheme, waitForWorkbench, webviewFrame, type Browser } from '../support/browser';
import { removeOnExit } from '../support/cleanup';
import { repoRoot, startCodeServer, type CodeServer } from '../support/codeServer';
import { befriend } from '../support/demoBot';
import { startOtrPeer, type OtrPeer } from '../support/otrPeer';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { accountsFor, writeProvisionFile } from '../support/provision';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-otr-pw', bob: 'bob-otr-pw' };
const ALICE = 'alice@localhost';
const BOB = 'bob@localhost';
/** libotr's display form: 5 groups of 8 uppercase hex digits. */
const FP_FORMAT = /^[0-9A-F]{8}( [0-9A-F]{8}){4}$/;

let server: ProsodyServer;
let work: string | undefined;
let codeServer: CodeServer | undefined;
let browser: Browser | undefined;
let bob: OtrPeer | undefined;
let page: Page;
let tree: FrameLocator;
/** Headline of alice's Authenticate dialog after she answered bob's question right (SMP test). */
let answeredHeadline = '';

// ---------------------------------------------------------------------------------------------
// Synchronisation on bob's side: his core's events (no polling, no sleeps).

/** Bob's next OTR event of `kind` matching `pred`. Call before the action that causes it. */
function bobOtr<K extends 'state' | 'smp'>(kind: K, pred: (e: OtrEvents[K]) => boolean, timeoutMs = 20_000): Promise<OtrEvents[K]> {
  const seen: string[] = [];
  return bob!.otr
    .waitFor(
      kind,
      (e) => {
        seen.push(JSON.stringify(e));
        return (e as { contact: string }).contact === ALICE && pred(e);
      },
      timeoutMs,
    )
    .catch(() => {
      throw new Error(`bob: no matching ${kind} event (now ${bob!.otr.state(ALICE)}; saw ${seen.join(', ') || 'none'})`);
    });
}

/** Resolves when bob has received a message with exactly `text` (at once if he already has). */
function bobHears(text: string, timeoutMs = 20_000): Promise<{ text: string; private: boolean }> {
  const have = bob!.heard.find((h) => h.text === text);
  if (have) return Promise.resolve(have);
  return bob!.session
    .waitFor('message', ({ contact, message, incoming }) => incoming && contact === ALICE && message.text === text, timeoutMs)
    .then(
      ({ message }) => ({ text: message.text, private: !!message.private }),
      () => {
        throw new Error(`bob never received ${JSON.stringify(text)} (heard: ${JSON.stringify(bob!.heard)}; his state: ${bob!.otr.state(ALICE)})`);
      },
    );
}

// ---------------------------------------------------------------------------------------------
// The chat panel

/** Opens a contact's chat by clicking the contact in the tree; returns the panel's frame. */
async function openChat(title: string, jid: string): Promise<FrameLocator> {
  await tree.locator(`.row-contact[title="${jid}"]`).click();
  await page.locator('.tabs-container .tab.active', { hasText: title }).waitFor({ state: 'visible' });
  const chat = await webviewFrame(page, title, { has: 'body.loaded' });
  await chat.locator('textarea.composer-input').waitFor({ state: 'visible' });
  return chat;
}

/** Brings bob's chat tab to the front; returns its frame. */
async function showChat(): Promise<FrameLocator> {
  await page.locator('.tabs-container .tab', { hasText: /^Bob$/ }).click();
  await page.locator('.tabs-container .tab.active', { hasText: /^Bob$/ }).waitFor();
  return webviewFrame(page, 'Bob', { has: 'body.loaded' });
}

const padlock = (chat: FrameLocator) => chat.locator('#padlock');

/** Waits until the padlock's accessible name is `label` (the state as a screen reader hears it). */
async function padlockSays(chat: FrameLocator, label: string): Promise<void> {
  await chat
    .locator(`#padlock[aria-label="${label}"]`)
    .waitFor({ state: 'attached', timeout: 20_000 })
    .catch(async (e: Error) => {
      throw new Error(`the padlock says "${await padlock(chat).getAttribute('aria-label')}", not "${label}" (${e.message.split('\n')[0]})`);
    });
}

/** Clicks the padlock and picks `item` from its menu. */
async function padlockMenu(chat: FrameLocator, item: string, role: 'menuitem' | 'menuitemradio' = 'menuitem'): Promise<void> {
  await padlock(chat).click();
  const menu = chat.getByRole('menu', { name: 'Private conversation' });
  await menu.waitFor({ state: 'visible' });
  await menu.getByRole(role, { name: item, exact: true }).click();
  await menu.waitFor({ state: 'detached' });
}

/** Types `text` into the composer and presses Enter. */
async function say(chat: FrameLocator, text: string): Promise<void> {
  await chat.locator('textarea.composer-input').click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await chat.locator('textarea.composer-input[aria-label="Message to Bob"]').waitFor();
  assert.equal(await chat.locator('textarea.composer-input').inputValue(), '', 'the composer is cleared after sending');
}

/** A system line (notice) in the chat containing `text`. */
const notice = (chat: FrameLocator, text: string) => chat.locator('.messages .system', { hasText: text });

/** Joined fingerprint groups shown in `el` ("XXXXXXXX XXXXXXXX …"). */
async function shownFingerprint(el: ReturnType<FrameLocator['locator']>): Promise<string> {
  return (await el.locator('.fp-group').allTextContents()).join(' ');
}

/** The Authenticate dialog for bob (an editor webview titled "Authenticate Bob"). */
async function verifyDialog(): Promise<FrameLocator> {
  await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible', timeout: 20_000 });
  return webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
}

async function screenshot(name: string): Promise<void> {
  await page.mouse.move(1100, 700); // an empty spot of the editor: no hover tooltip in the picture
  await page.screenshot({ path: join(SHOTS, name) });
}

describe('private conversations with OTR (code-server UI)', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriend(server, { user: 'alice', password: USERS.alice, name: 'Alice' }, { user: 'bob', password: USERS.bob, name: 'Bob' });
    // Bob answers every private message (and nothing sent in the clear).
    bob = await startOtrPeer(server, { user: 'bob', password: USERS.bob, reply: (text, priv) => (priv ? `Private reply to: ${text}` : undefined) });

    work = mkdtempSync(join(tmpdir(), 'padlock-ui-otr-'));
    removeOnExit(work); // holds provision.json (a password)
    const provisionFile = writeProvisionFile(work, accountsFor(server, { alice: USERS.alice }));
    [codeServer, browser] = await Promise.all([
      startCodeServer({ extensionDevelopmentPath: repoRoot, env: { PADLOCK_PROVISION_FILE: provisionFile } }),
      launchBrowser(),
    ]);
    page = browser.page;
    await page.goto(codeServer.url);
    await waitForWorkbench(page);
    await page.locator('.activitybar li.action-item:has(> a[aria-label^="Padlock Chat"])').waitFor({ state: 'visible', timeout: 30_000 });
    await setColorTheme(page, 'Dark Modern', 'vs-dark');
    await openViewContainer(page, 'Padlock Chat');
    tree = await webviewFrame(page, /Contacts/, { has: '[role="tree"]', timeoutMs: 30_000 });
    await tree.locator(`.row-contact[title="${BOB}"] .presence-available`).waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await codeServer?.stop();
    await bob?.stop();
    await server?.kill();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the padlock starts a private conversation: unverified state, notice, private messages both ways', async () => {
    const chat = await openChat('Bob', BOB);
    await padlockSays(chat, 'Private conversation: Not private');
    assert.equal(await chat.locator('.otr-label').textContent(), 'Not private');
    assert.match((await padlock(chat).getAttribute('title')) ?? '', /^Not private: messages are sent in plaintext/);
    assert.equal(bob!.otr.state(ALICE), 'plaintext');

    const bobPrivate = bobOtr('state', (e) => e.state === 'private-unverified');
    await padlockMenu(chat, 'Start private conversation');
    await padlockSays(chat, 'Private conversation: Private, unverified, history off for private messages');
    await bobPrivate;
    assert.equal(await chat.locator('.otr-label').textContent(), 'Private, unverified');
    assert.equal(await padlock(chat).locator('.padlock-badge.badge-warning').count(), 1, 'the closed padlock carries the warning mark');

    const started = notice(chat, 'Unverified private conversation with Bob started');
    await started.waitFor({ state: 'visible' });
    assert.equal(await started.getByRole('button', { name: 'Authenticate Bob', exact: true }).count(), 1);

    const text = `Just between us ünï ${Date.now()}`;
    await say(chat, text);
    const heard = await bobHears(text);
    assert.deepEqual(heard, { text, private: true });
    assert.deepEqual(bob!.heard, [{ text, private: true }], 'bob got the message once, privately, and nothing else');

    const reply = chat.locator('.messages .msg-in', { hasText: `Private reply to: ${text}` });
    await reply.waitFor({ state: 'visible' });
    assert.equal(await reply.locator('.msg-body').textContent(), `Private reply to: ${text}`);
    assert.equal(await reply.locator('.msg-private').getAttribute('aria-label'), 'Private (encrypted with OTR)');
    const own = chat.locator('.messages .msg-out', { hasText: text });
    assert.equal(await own.locator('.msg-private').count(), 1, 'own message marked private too');
    await screenshot('otr-unverified.png');
  });

  it('Authenticate Bob by fingerprint: the dialog shows both fingerprints, and the padlock becomes verified', async () => {
    let chat = await showChat();
    // The button of the notice, not the notice's own text ("…Authenticate Bob").
    await notice(chat, 'Unverified private conversation with Bob started').getByRole('button', { name: 'Authenticate Bob', exact: true }).click();
    const dialog = await verifyDialog();
    await dialog.locator('h1.title', { hasText: 'Authenticate Bob' }).waitFor();
    assert.equal(await dialog.locator('.state-badge').textContent(), 'Not verified');

    await dialog.getByRole('radio', { name: 'Fingerprint comparison' }).click();
    const panel = dialog.locator('.method[data-method="fingerprint"]');
    await panel.waitFor({ state: 'visible' });

    const bobFp = bob!.otr.ownFingerprint();
    const aliceFp = bob!.otr.theirFingerprint(ALICE);
    assert.match(bobFp ?? '', FP_FORMAT);
    assert.match(aliceFp ?? '', FP_FORMAT);
    assert.equal(await panel.locator('#their-fp-label').textContent(), "Bob's purported fingerprint");
    assert.equal(await shownFingerprint(panel.locator('[aria-labelledby="their-fp-label"]')), bobFp);
    assert.equal(await panel.locator('#own-fp-label').textContent(), 'Your fingerprint');
    assert.equal(await shownFingerprint(panel.locator('[aria-labelledby="own-fp-label"]')), aliceFp);

    // "I have verified that this is in fact the correct fingerprint for Bob."
    const select = panel.locator('vscode-dropdown#fp-verified');
    await select.click();
    await dialog.getByRole('option', { name: 'I have', exact: true }).click();
    await panel.locator('vscode-dropdown#fp-verified[current-value="yes"]').waitFor({ state: 'attached' });
    await panel.locator('vscode-button', { hasText: 'Authenticate' }).click();
    await dialog.locator('.state-badge.is-verified').waitFor();
    assert.equal(await dialog.locator('.state-badge').textContent(), 'Verified');
    await screenshot('verify.png');

    await dialog.locator('.footer vscode-button', { hasText: 'Close' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).waitFor({ state: 'detached' });
    chat = await showChat();
    await padlockSays(chat, 'Private conversation: Private and verified, history off for private messages');
    assert.equal(await chat.locator('.otr-label').textContent(), 'Private and verified');
    assert.equal(await padlock(chat).locator('.padlock-badge').count(), 0, 'no warning mark once verified');
    await screenshot('otr-verified.png');
  });

  it('SMP: bob asks a question, the dialog opens by itself and the right answer succeeds; a wrong answer fails on both sides', async () => {
    const succeeded = bobOtr('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed' || e.kind === 'aborted');
    await bob!.otr.smpQuestion(ALICE, 'Our favourite editor?', 'vscode');
    let dialog = await verifyDialog();
    const answer = dialog.locator('section.answer');
    await answer.waitFor({ state: 'visible' });
    assert.equal(await answer.locator('#answer-heading').textContent(), 'Bob wants to authenticate you');
    assert.equal(await answer.locator('.their-question').textContent(), 'Bob asks: “Our favourite editor?”');
    await answer.locator('vscode-text-field#answer').click();
    await page.keyboard.type('vscode');
    await answer.locator('vscode-button', { hasText: 'Authenticate' }).click();
    assert.equal((await succeeded).kind, 'succeeded', 'bob: the answers matched');
    const ok = dialog.locator('.result.result-ok');
    await ok.waitFor({ state: 'visible' });
    assert.equal(await answer.isVisible(), false);
    answeredHeadline = (await ok.locator('strong').textContent()) ?? '';

    // Alice asks; bob answers wrong.
    const asked = bobOtr('smp', (e) => e.kind === 'asked');
    const bobResult = bobOtr('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed' || e.kind === 'aborted');
    const bobNotice = bob!.session.waitFor('message', ({ contact, message }) => contact === ALICE && message.direction === 'system' && /could not authenticate/.test(message.text), 20_000);
    dialog = await verifyDialog();
    await dialog.getByRole('radio', { name: 'Question and answer' }).click();
    const qa = dialog.locator('.method[data-method="question"]');
    await qa.waitFor({ state: 'visible' });
    await qa.locator('vscode-text-field#question').click();
    await page.keyboard.type('Name of my first cat?');
    await qa.locator('vscode-text-field#qa-answer').click();
    await page.keyboard.type('x');
    await qa.locator('vscode-button', { hasText: 'Authenticate' }).click();
    assert.equal((await asked).question, 'Name of my first cat?');
    await dialog.locator('section.progress').waitFor({ state: 'visible' });
    await bob!.otr.smpRespond(ALICE, 'y');
    assert.equal((await bobResult).kind, 'failed', 'bob: the answers differ');
    assert.equal((await bobNotice).message.text, `${ALICE} could not authenticate you: the answers did not match.`);
    const failed = dialog.locator('.result.result-bad');
    await failed.waitFor({ state: 'visible' });
    assert.equal(await failed.locator('strong').textContent(), 'Authentication failed: the answers did not match');
    await dialog.locator('.footer vscode-button', { hasText: 'Close' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).waitFor({ state: 'detached' });
    const chat = await showChat();
    await notice(chat, 'Authentication of Bob failed: the answer did not match.').waitFor();
  });

  it('after answering their question right, the dialog says Bob authenticated alice (not that Bob is authenticated)', {
    todo:
      'bug: webview/verify/main.ts render() shows "Bob is authenticated … the padlock shows the private conversation with Bob as verified" for every ' +
      'succeeded run, also when Bob asked and alice answered (initiatedBy "them" with a question), where the layer (pidgin-otr rule) does not verify ' +
      'Bob and the chat says "Bob has authenticated you. You may want to authenticate Bob as well…"',
  }, () => {
    assert.ok(answeredHeadline, 'the SMP test recorded the headline');
    assert.match(answeredHeadline, /Bob has authenticated you/);
  });

  it('ending from the padlock returns to not private; when bob ends first, messages wait and are never sent in the clear', async () => {
    let chat = await showChat();
    const bobFinished = bobOtr('state', (e) => e.state === 'finished');
    await padlockMenu(chat, 'End private conversation');
    await padlockSays(chat, 'Private conversation: Not private');
    await bobFinished;
    await notice(chat, 'You have ended the private conversation with Bob.').waitFor();

    // Private again (verified on both sides: alice's fingerprint comparison is remembered, and
    // bob's own question was answered right), then bob ends it.
    const bobPrivate = bobOtr('state', (e) => e.state === 'private-verified');
    await padlockMenu(chat, 'Start private conversation');
    await padlockSays(chat, 'Private conversation: Private and verified, history off for private messages');
    await bobPrivate;
    await bob!.otr.end(ALICE);
    await padlockSays(chat, 'Private conversation: Bob has ended the private conversation');
    await notice(chat, 'Bob has ended the private conversation').first().waitFor();
    const note = chat.locator('.composer-note');
    await note.waitFor({ state: 'visible' });
    assert.equal(
      await note.locator('.composer-note-text').textContent(),
      'Bob has ended the private conversation. Messages you send now wait until you end or refresh yours; nothing is sent in plaintext.',
    );

    const heardBefore = bob!.heard.length;
    const text = `Held while ended ${Date.now()}`;
    await say(chat, text);
    await notice(chat, 'Your message was not sent: Bob has ended the private conversation').waitFor();
    const own = chat.locator('.messages .msg-out', { hasText: text });
    await own.waitFor();
    assert.equal(await own.locator('.msg-status').getAttribute('aria-label'), 'Queued: will be sent when connected');
    await screenshot('otr-ended.png');

    // Refresh from the composer notice: the held message then goes out, encrypted.
    await note.getByRole('button', { name: 'Refresh private conversation' }).click();
    const heard = await bobHears(text);
    assert.equal(heard.private, true);
    assert.deepEqual(bob!.heard.slice(heardBefore), [{ text, private: true }], 'no plaintext copy reached bob');
    chat = await showChat();
    await padlockSays(chat, 'Private conversation: Private and verified, history off for private messages');
  });

  it('Open Security Settings lists alice\'s fingerprint and bob\'s as verified', async () => {
    await runCommand(page, 'Padlock: Open Security Settings');
    const security = await webviewFrame(page, 'Padlock: Security', { has: 'body.loaded' });
    const key = security.locator(`.key-card[aria-label="Key of ${ALICE}"]`);
    await key.waitFor();
    assert.equal(await shownFingerprint(key.locator('.fingerprint')), bob!.otr.theirFingerprint(ALICE));
    assert.equal(await key.getByRole('button', { name: `Copy the fingerprint of ${ALICE}` }).count(), 1);

    const row = security.locator('table.known tbody tr', { has: security.locator('.who-jid', { hasText: BOB }) });
    assert.equal(await row.count(), 1, 'one known fingerprint for bob');
    assert.equal(await row.locator('.who-name').textContent(), 'Bob');
    assert.equal(await shownFingerprint(row.locator('.fingerprint')), bob!.otr.ownFingerprint());
    assert.equal(await row.locator('.pill').textContent(), 'Verified');
    assert.equal(await row.locator('.current').count(), 1);
    // Own key and known fingerprints in one picture: a taller window for this one.
    await page.setViewportSize({ width: 1280, height: 1000 });
    try {
      await row.scrollIntoViewIfNeeded();
      await screenshot('security.png');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    await page.locator('.tabs-container .tab', { hasText: 'Padlock: Security' }).locator('.tab-actions .codicon-close').click();
  });

  it('Required policy: a message typed while not private is held, the private conversation starts, and it arrives encrypted', {
    todo:
      'bug: src/core/otr/layer.ts encode(), case "hold": no OTR query is sent when the session sent one (start/refresh) less than startTimeoutMs (30 s) ago, ' +
      'because queriedAt is never cleared when that AKE succeeds or the conversation ends; the message then waits indefinitely, the padlock stays ' +
      '"Not private" (never "Starting") and no start timer reports it',
  }, async () => {
    let chat = await showChat();
    // Back to not private on both sides.
    const bobFinished = bobOtr('state', (e) => e.state === 'finished');
    await padlockMenu(chat, 'End private conversation');
    await bobFinished;
    await bob!.otr.end(ALICE);
    assert.equal(bob!.otr.state(ALICE), 'plaintext');
    await padlockSays(chat, 'Private conversation: Not private');

    await padlockMenu(chat, 'Policy: Required', 'menuitemradio');
    const note = chat.locator('.composer-note');
    await note.locator('.composer-note-text', { hasText: 'Your policy requires a private conversation with Bob' }).waitFor();
    await padlock(chat).click();
    assert.equal(await chat.getByRole('menuitemradio', { name: 'Policy: Required' }).getAttribute('aria-checked'), 'true');
    await page.keyboard.press('Escape');
    await chat.getByRole('menu').waitFor({ state: 'detached' });

    const heardBefore = bob!.heard.length;
    const text = `Required policy ${Date.now()}`;
    await say(chat, text);
    await notice(chat, 'Your message waits until the private conversation with Bob has started.').waitFor();
    const heard = await bobHears(text, 10_000);
    assert.equal(heard.private, true);
    assert.deepEqual(bob!.heard.slice(heardBefore), [{ text, private: true }], 'never sent in plaintext');
    chat = await showChat();
    await padlockSays(chat, 'Private conversation: Private and verified, history off for private messages');
    await chat.locator('.messages .msg-in', { hasText: `Private reply to: ${text}` }).waitFor();
  });
});

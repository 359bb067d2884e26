/**
 * A private conversation as a user sees it in a real VS Code (code-server 4.100.3 + Debian
 * Chromium) against a real Prosody: alice (provisioned, signed in) and bob, an OTR-speaking
 * peer (Padlock's core in a script, test/support/otrPeer.ts). Alice clicks the padlock and
 * starts a private conversation; the padlock shows it private but unverified; the notice's
 * "Authenticate Bob" opens the Authenticate dialog, where she compares fingerprints ("I have
 * verified …"); the padlock then shows the conversation verified.
 *
 * Screenshots: docs/screenshots/otr-authenticate.png, docs/screenshots/otr-padlock.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { webviewFrame } from '../support/browser';
import { contactOnline, openWorkbench, tearDown, type Workbench } from '../support/workbench';
import { repoRoot } from '../support/codeServer';
import { befriend } from '../support/demoBot';
import { startOtrPeer, type OtrPeer } from '../support/otrPeer';
import { startProsody, type ProsodyServer } from '../support/prosody';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-otr-pw', bob: 'bob-otr-pw' };
const ALICE = 'alice@localhost';

let server: ProsodyServer;
let wb: Workbench | undefined;
let bob: OtrPeer | undefined;
let page: Page;
let chat: FrameLocator;

const label = () => chat.locator('.otr-label').textContent();
async function padlockSays(text: string, timeout = 20_000): Promise<void> {
  await chat.locator('.otr-label', { hasText: text }).waitFor({ state: 'visible', timeout });
}

describe('private conversation (code-server UI)', { timeout: 240_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriend(server, { user: 'alice', password: USERS.alice, name: 'Alice' }, { user: 'bob', password: USERS.bob, name: 'Bob' });
    bob = await startOtrPeer(server, { user: 'bob', password: USERS.bob, policy: 'manual', reply: (t, priv) => (priv ? `Got it privately: ${t}` : undefined) });
    wb = await openWorkbench({ name: 'otr', server, accounts: { alice: USERS.alice }, treeHas: contactOnline('bob@localhost') });
    ({ page } = wb);
  });

  after(() => tearDown(wb, [bob], server));

  it('clicking the padlock starts a private conversation: the padlock goes from open to closed-unverified', async () => {
    await wb!.tree.locator('.row-contact[title="bob@localhost"]').click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Bob' }).waitFor({ state: 'visible' });
    chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await padlockSays('Not private');
    assert.match((await chat.locator('#padlock').getAttribute('class')) ?? '', /otr-plain/);

    await chat.locator('#padlock').click();
    const start = chat.locator('.menu [role="menuitem"]', { hasText: 'Start private conversation' });
    await start.waitFor({ state: 'visible' });
    await start.click();

    await padlockSays('Private, unverified');
    assert.match((await chat.locator('#padlock').getAttribute('class')) ?? '', /otr-warn/);
    assert.equal(await chat.locator('#padlock .padlock-badge.badge-warning').count(), 1, 'the closed padlock carries a warning mark');
    await chat.locator('.messages', { hasText: 'Unverified private conversation with Bob started' }).waitFor({ state: 'visible' });
    assert.match(bob!.otr.state(ALICE), /^private-/);

    // A message both ways inside it.
    await chat.locator('textarea.composer-input').click();
    await page.keyboard.type('hello in private');
    await page.keyboard.press('Enter');
    await chat.locator('.messages .msg-in .msg-body', { hasText: 'Got it privately: hello in private' }).waitFor({ state: 'visible' });
    assert.ok(bob!.heard.some((h) => h.text === 'hello in private' && h.private), 'bob got the message inside the private conversation');
  });

  it('"Authenticate Bob" opens the dialog; comparing fingerprints and "I have verified" makes the padlock verified', async () => {
    await chat.locator('button.system-action', { hasText: 'Authenticate Bob' }).first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible' });
    const dlg = await webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
    assert.equal(await dlg.locator('h1.title').textContent(), 'Authenticate Bob');
    assert.equal(await dlg.locator('.state-badge').textContent(), 'Not verified');

    await dlg.locator('vscode-radio', { hasText: 'Manual fingerprint verification' }).click();
    const fpPanel = dlg.locator('.method[data-method="fingerprint"]');
    await fpPanel.waitFor({ state: 'visible' });
    // Both fingerprints as libotr clients show them, and they are the real ones.
    const groups = async (i: number) => (await fpPanel.locator('.fingerprint').nth(i).locator('.fp-group').allTextContents()).join(' ');
    const bobFp = bob!.otr.ownFingerprint()!;
    assert.equal(await groups(1), bobFp);
    assert.equal(await groups(0), bob!.otr.theirFingerprint(ALICE));
    assert.equal(await fpPanel.locator('#own-fp-label').textContent(), `Fingerprint for you, ${ALICE}`);
    assert.equal(await fpPanel.locator('#their-fp-label').textContent(), 'Purported fingerprint for Bob');

    // "I have" verified that this is in fact the correct fingerprint for Bob.
    await dlg.locator('#fp-verified').click();
    await dlg.locator('#fp-verified vscode-option[value="yes"]').click();
    assert.equal(await dlg.locator('#fp-verified').evaluate((el) => (el as HTMLElement & { value: string }).value), 'yes');
    assert.match((await fpPanel.locator('.fp-verified').textContent()) ?? '', /I have\s*verified that this is in fact the correct fingerprint for Bob\./);
    await page.mouse.move(1270, 790);
    await page.screenshot({ path: join(SHOTS, 'otr-authenticate.png') });
    await fpPanel.locator('vscode-button', { hasText: 'Authenticate' }).click();
    // Exact: hasText matches substrings case-insensitively, and "Not verified" contains it (a
    // CI run on a slow machine read the badge before it changed).
    await dlg.locator('.state-badge', { hasText: /^Verified$/ }).waitFor({ state: 'visible' });
    assert.equal(await dlg.locator('.state-badge').textContent(), 'Verified');
  });

  it('the chat\'s padlock shows the conversation private and verified', async () => {
    await page.locator('.tabs-container .tab', { hasText: /^Bob/ }).first().click();
    chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await padlockSays('Private and verified');
    assert.equal(await label(), 'Private and verified');
    assert.match((await chat.locator('#padlock').getAttribute('class')) ?? '', /otr-ok/);
    assert.equal(await chat.locator('#padlock .padlock-badge').count(), 0, 'no warning mark once verified');
    await page.mouse.move(1270, 790);
    await page.screenshot({ path: join(SHOTS, 'otr-padlock.png') });
  });

  it('Bob asks a question: the dialog opens on Alice\'s side with it; her right answer authenticates her to Bob', async () => {
    // Close the dialog first: the request must open it.
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible' });
    const old = await webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
    await old.locator('footer vscode-button', { hasText: 'Close' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).waitFor({ state: 'detached' });

    const bobDone = bob!.otr.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed', 30_000);
    await bob!.otr.smpQuestion(ALICE, 'Where did we first meet?', 'Lisbon');
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible', timeout: 20_000 });
    const dlg = await webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
    const answer = dlg.locator('section.answer');
    await answer.waitFor({ state: 'visible' });
    assert.equal(await answer.locator('h2').textContent(), 'Bob wants to authenticate you');
    assert.equal(await answer.locator('.their-question').textContent(), 'Bob asks: “Where did we first meet?”');
    await dlg.locator('#answer').click();
    await page.keyboard.type('Lisbon');
    await answer.locator('vscode-button', { hasText: 'Authenticate' }).click();
    assert.equal((await bobDone).kind, 'succeeded', 'Bob authenticated Alice');
    const result = dlg.locator('.result.result-ok');
    await result.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await result.textContent()) ?? '', /Authentication successful: Bob has authenticated you/);
    // The chat says so too.
    await page.locator('.tabs-container .tab', { hasText: /^Bob/ }).first().click();
    chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await chat.locator('.messages', { hasText: 'Bob has authenticated you' }).waitFor({ state: 'visible' });
  });

  it('a wrong answer fails on both sides, and cancelling is shown on both sides', async () => {
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible' });
    const dlg = await webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
    // Alice asks with a shared secret; Bob types another one.
    await dlg.locator('vscode-radio', { hasText: 'Shared secret' }).click();
    const bobAsked = bob!.otr.waitFor('smp', (e) => e.kind === 'asked', 30_000);
    const bobDone = bob!.otr.waitFor('smp', (e) => e.kind === 'succeeded' || e.kind === 'failed', 30_000);
    await dlg.locator('#secret').click();
    await page.keyboard.type('blue whale');
    await dlg.locator('.method[data-method="secret"] vscode-button', { hasText: 'Authenticate' }).click();
    await bobAsked;
    await bob!.otr.smpRespond(ALICE, 'grey whale');
    assert.equal((await bobDone).kind, 'failed', 'failure shown on Bob\'s side');
    const failed = dlg.locator('.result.result-bad');
    await failed.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await failed.textContent()) ?? '', /Authentication failed: the answers did not match/);
    // As libotr: a failed shared secret drops the verified state.
    await dlg.locator('.state-badge', { hasText: 'Not verified' }).waitFor({ state: 'visible' });

    // Bob asks again; Alice cancels in the dialog: Bob is told it was aborted.
    const bobAborted = bob!.otr.waitFor('smp', (e) => e.kind === 'aborted', 30_000);
    await bob!.otr.smpSecret(ALICE, 'anything');
    const answer = dlg.locator('section.answer');
    await answer.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await answer.locator('.their-question').textContent(), 'Enter the secret you agreed on with Bob.');
    await answer.locator('vscode-button', { hasText: 'Cancel' }).click();
    await bobAborted;
    const cancelled = dlg.locator('.result.result-warn');
    await cancelled.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await cancelled.textContent()) ?? '', /You cancelled the authentication/);
  });

  it('the contact tree\'s actions end and start the private conversation', async () => {
    const tree = wb!.tree;
    const more = async (item: string) => {
      const row = tree.locator('.row-contact[title="bob@localhost"]');
      await row.hover();
      await row.locator('[data-action="more"]').click();
      const entry = tree.locator('.menu [role="menuitem"]', { hasText: item });
      await entry.waitFor({ state: 'visible' });
      await entry.click();
    };
    const bobFinished = bob!.otr.waitFor('state', (e) => e.contact === ALICE && e.state === 'finished', 20_000);
    await more('End Private Conversation');
    await bobFinished;
    await page.locator('.tabs-container .tab', { hasText: /^Bob/ }).first().click();
    chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await padlockSays('Not private');

    const bobUp = bob!.otr.waitFor('state', (e) => e.contact === ALICE && /^private-/.test(e.state), 20_000);
    await more('Start Private Conversation');
    await bobUp;
    // The failed shared secret above dropped the verification: a new conversation is unverified.
    await padlockSays('Private, unverified');
    // "Authenticate Bob…" from the tree brings the dialog forward.
    await more('Authenticate Bob…');
    await page.locator('.tabs-container .tab.active', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible' });
    await page.locator('.tabs-container .tab', { hasText: /^Bob/ }).first().click();
    chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
  });

  it('the Authenticate dialog offers to start the private conversation when there is none', async () => {
    // End it from the padlock menu.
    await chat.locator('#padlock').click();
    await chat.locator('.menu [role="menuitem"]', { hasText: 'End private conversation' }).click();
    await padlockSays('Not private');
    await page.locator('.tabs-container .tab', { hasText: 'Authenticate Bob' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Authenticate Bob' }).waitFor({ state: 'visible' });
    const dlg = await webviewFrame(page, 'Authenticate Bob', { has: 'body.loaded' });
    const start = dlg.locator('vscode-button.start-private');
    await start.waitFor({ state: 'visible' });
    const bobUp = bob!.otr.waitFor('state', (e) => e.contact === ALICE && /^private-/.test(e.state), 20_000);
    await start.click();
    await bobUp;
    await start.waitFor({ state: 'detached' });
    assert.equal(await dlg.locator('.method[data-method="secret"] vscode-button').getAttribute('disabled'), null, 'authentication can run now');
  });
});

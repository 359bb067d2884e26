/**
 * The contact tree and authorisation requests, as a user sees them in a real VS Code
 * (code-server 4.100.3 + Debian Chromium) against a real Prosody.
 *
 * alice is provisioned (signed in without typing a password); bob is her mutual contact in the
 * group "Friends" and runs as the demo bot. carol, dave and erin are script clients: carol and
 * dave ask alice for authorisation, erin is added by alice through the palette.
 *
 * Screenshots: docs/screenshots/contacts.png, docs/screenshots/authorisation.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { openPalette } from '../support/browser';
import { openWorkbench, type Workbench } from '../support/workbench';
import { repoRoot } from '../support/codeServer';
import { befriend, startDemoBot, type DemoBot } from '../support/demoBot';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { connectClient, xml, type ScriptClient, type XmlElement } from '../support/xmppClient';

// Rows are found by title / aria-label: their data-key joins parts with U+0000, which no CSS
// selector can match (CSS turns NUL into U+FFFD).
const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-ui-pw', bob: 'bob-ui-pw', carol: 'carol-ui-pw', dave: 'dave-ui-pw', erin: 'erin-ui-pw' };
const BOB_STATUS = 'Demo contact: say hi!';

let server: ProsodyServer;
let wb: Workbench | undefined;
let bot: DemoBot | undefined;
let page: Page;
let tree: FrameLocator;
const clients: ScriptClient[] = [];

const rosterGet = () => xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' }));

/**
 * A script client that has fetched its roster. RFC 6121 §3.1.6: the server delivers
 * `subscribed` only to "interested" resources (those that requested the roster); Prosody does
 * exactly that, so a client that never asked for its roster never sees the answer.
 */
async function rosterClient(user: keyof typeof USERS, opts: { acceptSubscriptions?: boolean; resource?: string } = {}): Promise<ScriptClient> {
  const c = await connectClient({ server, user, password: USERS[user], ...opts });
  await c.iq(rosterGet());
  return c;
}

/** Makes alice and `user` mutual contacts (subscription both), with a name and group in alice's roster. */
async function befriendAlice(user: keyof typeof USERS, name: string, group?: string): Promise<void> {
  await befriend(server, { user: 'alice', password: USERS.alice }, { user, password: USERS[user], name, group });
}

/** Presence stanzas of `type` that `client` received from alice. */
const fromAlice = (type: string) => (el: XmlElement) =>
  el.is('presence') && el.attrs.type === type && el.attrs.from?.split('/')[0] === 'alice@localhost';

/** The toast whose message contains `text`. */
const toast = (text: string) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

/** Waits until the quick input shows `title`, then types `text` and presses Enter. */
async function answerQuickInput(title: string, text: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  const input = page.locator('.quick-input-widget input.input');
  // Playwright auto-waits for the input to be focused-able; typing goes to the focused element.
  await input.waitFor({ state: 'visible' });
  if (text) await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

describe('contact tree and authorisation (code-server UI)', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriendAlice('bob', 'Bob', 'Friends');
    bot = await startDemoBot(server, { user: 'bob', password: USERS.bob, status: BOB_STATUS });

    wb = await openWorkbench({ name: 'contacts', server, accounts: { alice: USERS.alice } });
    ({ page } = wb);
    tree = wb.tree;
  });

  after(async () => {
    await wb?.close();
    await Promise.all(clients.map((c) => c.stop()));
    await bot?.stop();
    await server?.kill();
  });

  it('shows alice online and bob available with his status text', async () => {
    const account = tree.locator('.row-account[title^="alice@localhost "]');
    await account.locator('.conn-online').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await account.getAttribute('aria-label'), 'alice@localhost, Online');
    assert.equal(await account.locator('.secondary').textContent(), 'Online');

    const group = tree.locator('.row-group', { hasText: 'Friends' });
    const bob = tree.locator('.row-contact[title="bob@localhost"]');
    await bob.locator('.presence-available').waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await bob.getAttribute('aria-label'), `Bob, bob@localhost, Available, ${BOB_STATUS}`);
    assert.equal(await bob.locator('.name').textContent(), 'Bob');
    assert.equal(await bob.locator('.status-text').textContent(), BOB_STATUS);
    assert.equal(await bob.getAttribute('aria-level'), '3');
    assert.equal(await group.getAttribute('aria-label'), 'Friends, 1 of 1 online');
    // No "Requests" section while nobody asked.
    assert.equal(await tree.locator('.row-requests').count(), 0);
    await page.mouse.move(800, 300); // no hover tooltip from the activity bar in the picture
    await page.screenshot({ path: join(SHOTS, 'contacts.png') });
  });

  it('a request answered Ignore in the notification stays listed, and Authorize in the tree accepts and asks back', async () => {
    const carol = await rosterClient('carol');
    clients.push(carol);
    await carol.subscribe('alice@localhost');

    const note = toast('carol@localhost wants to add you');
    await note.waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(
      (await note.locator('.notification-list-item-message').textContent())?.trim(),
      'carol@localhost wants to add you (alice@localhost) to their contacts.',
    );
    const buttons = (await note.locator('.notification-list-item-buttons-container .monaco-button').allTextContents()).map((t) => t.trim());
    assert.deepEqual(buttons, ['Authorize', 'Deny', 'Ignore']);

    // Listed in the tree's Requests section at the same time.
    const request = tree.locator('.row-request[title^="carol@localhost "]');
    await request.waitFor({ state: 'visible' });
    assert.equal(await tree.locator('.row-requests').getAttribute('aria-label'), 'Authorisation requests, 1');
    // The toast slides in; photograph it once VS Code marks the animation done.
    await page.locator('.notification-toast.notification-fade-in-done', { hasText: 'carol@localhost wants to add you' }).waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SHOTS, 'authorisation.png') });

    await note.getByRole('button', { name: 'Ignore' }).click();
    await note.waitFor({ state: 'hidden' });
    assert.equal(await request.count(), 1, 'the ignored request is still in the tree');

    // Later: Authorize from the tree.
    await request.locator('button[data-action="authorize"]').click();
    await carol.waitForStanza(fromAlice('subscribed'));
    // Ignore must not have sent anything: the first answer carol got is this "subscribed".
    const answers = carol.received.filter((el) => el.is('presence') && el.attrs.from?.startsWith('alice@localhost') && ['subscribed', 'unsubscribed'].includes(el.attrs.type ?? ''));
    assert.deepEqual(answers.map((el) => el.attrs.type), ['subscribed']);
    // Alice asks back, so both see each other.
    await carol.waitForStanza(fromAlice('subscribe'));
    await request.waitFor({ state: 'detached' });
    assert.equal(await tree.locator('.row-requests').count(), 0);
    // carol is now in alice's contacts, waiting for carol to authorise alice in return.
    const carolRow = tree.locator('.row-contact[title="carol@localhost"]');
    await carolRow.locator('.flag', { hasText: 'Waiting for authorisation' }).waitFor({ state: 'visible' });
  });

  it('a request answered Authorize in the notification itself', async () => {
    const dave = await rosterClient('dave');
    clients.push(dave);
    await dave.subscribe('alice@localhost');
    const note = toast('dave@localhost wants to add you');
    await note.waitFor({ state: 'visible', timeout: 15_000 });
    const request = tree.locator('.row-request[title^="dave@localhost "]');
    await request.waitFor({ state: 'visible' });
    await note.getByRole('button', { name: 'Authorize' }).click();
    await note.waitFor({ state: 'hidden' });
    await dave.waitForStanza(fromAlice('subscribed'));
    await dave.waitForStanza(fromAlice('subscribe'));
    // The request is gone from the tree.
    await request.waitFor({ state: 'detached' });
    assert.ok(!dave.received.some(fromAlice('unsubscribed')));
  });

  it('Add Contact from the palette, keyboard only: the new contact waits for authorisation', async () => {
    const erin = await rosterClient('erin');
    clients.push(erin);

    await openPalette(page);
    await page.keyboard.type('Padlock: Add Contact');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Padlock: Add Contact…' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');

    // One account online: no account question. Groups exist (Friends): pick "New group…".
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Add Contact: group' }).waitFor({ state: 'visible' });
    const picks = (await page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents()).map((t) => t.trim());
    assert.deepEqual(picks, ['No group', 'Friends', 'New group…']);
    await page.keyboard.type('New group');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'New group…' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    await answerQuickInput('New group name', 'Colleagues');
    await answerQuickInput('Add Contact: address', 'erin@localhost');
    await answerQuickInput('Add Contact: display name', 'Erin Example');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });

    const sub = await erin.waitForStanza(fromAlice('subscribe'));
    assert.equal(sub.attrs.to, 'erin@localhost');
    const erinRow = tree.locator('.row-contact[title="erin@localhost"]');
    await erinRow.locator('.flag', { hasText: 'Waiting for authorisation' }).waitFor({ state: 'visible' });
    assert.equal(await erinRow.locator('.name').textContent(), 'Erin Example');
    assert.match((await erinRow.getAttribute('aria-label')) ?? '', /^Erin Example, erin@localhost, Offline, Waiting for authorisation$/);
    // Listed under its new group.
    const group = tree.locator('.row-group', { hasText: 'Colleagues' });
    assert.equal(await group.getAttribute('aria-label'), 'Colleagues, 0 of 1 online');
    const keys = await tree.locator('[role="treeitem"]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.key));
    const gi = keys.indexOf('g\u0000alice@localhost\u0000Colleagues');
    assert.equal(keys[gi + 1], 'c\u0000alice@localhost\u0000Colleagues\u0000erin@localhost');
  });
});

/**
 * 1:1 chat as a user sees it in a real VS Code (code-server 4.100.3 + Debian Chromium) against a
 * real Prosody: alice (provisioned, signed in) chats with bob (the demo bot); mallory, another
 * contact driven by a script client, sends hostile text that must be shown literally.
 *
 * Screenshots: docs/screenshots/chat.png, docs/screenshots/hostile.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page, Request } from 'playwright-core';
import { webviewFrame } from '../support/browser';
import { openWorkbench, type Workbench } from '../support/workbench';
import { repoRoot } from '../support/codeServer';
import { stripWhitespaceTags } from '../../src/core/otr/layer';
import { befriend, startDemoBot, type DemoBot } from '../support/demoBot';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { connectClient, type ScriptClient } from '../support/xmppClient';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-chat-pw', bob: 'bob-chat-pw', mallory: 'mallory-chat-pw' };
const HOSTILE = [
  `<img src=x onerror="document.title='pwned'">`,
  '<script>alert(1)</script>',
  '![x](http://127.0.0.1:9/x.png)',
];

let server: ProsodyServer;
let wb: Workbench | undefined;
let bot: DemoBot | undefined;
let mallory: ScriptClient | undefined;
let page: Page;
let tree: FrameLocator;
const requests: Request[] = [];

/** Makes alice and `user` mutual contacts. */
async function befriendAlice(user: 'bob' | 'mallory', name: string): Promise<void> {
  await befriend(server, { user: 'alice', password: USERS.alice }, { user, password: USERS[user], name });
}

/** Opens a contact's chat by clicking the contact in the tree; returns the panel's frame. */
async function openChat(title: string, jid: string): Promise<FrameLocator> {
  await tree.locator(`.row-contact[title="${jid}"]`).click();
  await page.locator('.tabs-container .tab.active', { hasText: title }).waitFor({ state: 'visible' });
  const chat = await webviewFrame(page, title, { has: 'body.loaded' });
  await chat.locator('textarea.composer-input').waitFor({ state: 'visible' });
  return chat;
}

/** Text of every message body in the list, in order. */
const bodies = (chat: FrameLocator, cls: 'msg-in' | 'msg-out') => chat.locator(`.messages .${cls} .msg-body`).allTextContents();

describe('1:1 chat (code-server UI)', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriendAlice('bob', 'Bob');
    await befriendAlice('mallory', 'Mallory');
    [bot, mallory] = await Promise.all([
      startDemoBot(server, { user: 'bob', password: USERS.bob, reply: (body) => `Got ${body.length} characters: ${body}` }),
      connectClient({ server, user: 'mallory', password: USERS.mallory, resource: 'script' }),
    ]);

    wb = await openWorkbench({ name: 'chat', server, accounts: { alice: USERS.alice }, onBrowser: (b) => b.context.on('request', (r) => requests.push(r)) });
    ({ page } = wb);
    tree = wb.tree;
    await tree.locator('.row-contact[title="bob@localhost"] .presence-available').waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
    await Promise.all([mallory?.stop(), bot?.stop()]);
    await server?.kill();
  });

  it('Enter sends exactly the typed text, the reply appears, and the message is marked delivered', async () => {
    const chat = await openChat('Bob', 'bob@localhost');
    // The toolkit loads after the first paint (webview/shared/lateToolkit.ts); by `loaded` the
    // padlock and Send are real toolkit buttons (focusable), not the look-alike placeholders.
    assert.equal(await chat.locator('vscode-button:not(:defined)').count(), 0, 'every toolkit button is upgraded');
    assert.equal(await chat.locator('vscode-button#padlock:defined').count(), 1);
    const text = `Hello Bob <b>&amp;</b> "quotes" ünïcödé ${Date.now()}`;
    const input = chat.locator('textarea.composer-input');
    await input.click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');

    const heard = await bot!.client.waitForMessage((m) => m.from.startsWith('alice@localhost/'));
    // Exactly the typed text; under the default opportunistic policy followed by nothing but
    // the OTR whitespace tag (OTR v3 "Tagged plaintext messages"), which clients strip.
    assert.equal(stripWhitespaceTags(heard.body ?? ''), text);
    assert.ok(heard.body!.startsWith(text) && /^[ \t]*$/.test(heard.body!.slice(text.length)), 'only an OTR whitespace tag may follow the text');
    assert.equal(await input.inputValue(), '', 'the composer is cleared after sending');

    const reply = chat.locator('.messages .msg-in .msg-body', { hasText: `Got ${text.length} characters` });
    await reply.waitFor({ state: 'visible' });
    assert.equal(await reply.textContent(), `Got ${text.length} characters: ${text}`);
    // Own message: shown as sent by "Me", then marked delivered by bob's receipt (XEP-0184).
    const own = chat.locator('.messages .msg-out').filter({ has: chat.locator('.msg-body', { hasText: text }) });
    await own.locator('.msg-status.status-delivered').waitFor({ state: 'visible' });
    assert.equal(await own.locator('.msg-status').getAttribute('aria-label'), 'Delivered');
    assert.equal(await own.locator('.sender').textContent(), 'Me');
    // The request for a receipt was really in the stanza bob got.
    assert.ok(heard.el.getChild('request', 'urn:xmpp:receipts'), 'the message asked for a receipt');
  });

  it('Shift+Enter makes a new line: a two-line message arrives as such', async () => {
    const chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await chat.locator('textarea.composer-input').click();
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await chat.locator('textarea.composer-input').inputValue(), 'first line\nsecond line', 'Shift+Enter did not send');
    await page.keyboard.press('Enter');
    const heard = await bot!.client.waitForMessage((m) => m.from.startsWith('alice@localhost/'));
    assert.equal(stripWhitespaceTags(heard.body ?? ''), 'first line\nsecond line');
    const reply = chat.locator('.messages .msg-in .msg-body', { hasText: 'Got 22 characters' });
    await reply.waitFor({ state: 'visible' });
    assert.equal(await reply.textContent(), 'Got 22 characters: first line\nsecond line');
    const out = await bodies(chat, 'msg-out');
    assert.equal(out.at(-1), 'first line\nsecond line');
    await chat.locator('.messages .msg-out').last().locator('.msg-status.status-delivered').waitFor({ state: 'visible' });
    await page.mouse.move(900, 200);
    await page.screenshot({ path: join(SHOTS, 'chat.png') });
  });

  it('hostile HTML, script and markdown-image text from a contact is shown literally and runs nothing', async () => {
    const chat = await openChat('Mallory', 'mallory@localhost');
    const before = requests.length;
    for (const payload of HOSTILE) await mallory!.sendMessage('alice@localhost', payload);
    const incoming = chat.locator('.messages .msg-in');
    await incoming.nth(HOSTILE.length - 1).waitFor({ state: 'visible' });
    assert.deepEqual(await bodies(chat, 'msg-in'), HOSTILE);

    // Nothing became markup: no element of these kinds anywhere in the message list.
    assert.equal(await chat.locator('.messages img, .messages script, .messages iframe, .messages object, .messages embed').count(), 0);
    const titles = await chat.locator(':root').evaluate(() => document.title);
    assert.notEqual(titles, 'pwned');
    assert.notEqual(await page.title(), 'pwned');
    // The listener is live (it saw the panel's own resources load) and saw nothing for 127.0.0.1:9.
    assert.ok(requests.some((r) => r.url().includes('/out/webview/chat.js')), 'request listener saw the chat webview load');
    const bad = requests.filter((r) => r.url().includes('127.0.0.1:9/') || /\/x(\.png)?$/.test(new URL(r.url()).pathname));
    assert.deepEqual(bad.map((r) => r.url()), []);
    assert.ok(requests.length >= before);
    await page.mouse.move(900, 200);
    await page.screenshot({ path: join(SHOTS, 'hostile.png') });
  });

  it('closing and reopening the chat shows the history again (from disk)', async () => {
    const bobTab = page.locator('.tabs-container .tab', { hasText: 'Bob' });
    await bobTab.click();
    await page.locator('.tabs-container .tab.active', { hasText: 'Bob' }).waitFor();
    const before = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    const outBefore = await bodies(before, 'msg-out');
    const inBefore = await bodies(before, 'msg-in');
    assert.equal(outBefore.length, 2);
    assert.equal(inBefore.length, 2);

    await bobTab.locator('.tab-actions .codicon-close').click();
    await bobTab.waitFor({ state: 'detached' });
    const chat = await openChat('Bob', 'bob@localhost');
    await chat.locator('.messages .msg-in').nth(1).waitFor({ state: 'visible' });
    assert.deepEqual(await bodies(chat, 'msg-out'), outBefore);
    assert.deepEqual(await bodies(chat, 'msg-in'), inBefore);
    // Delivery marks come back from history too.
    assert.equal(await chat.locator('.messages .msg-out .msg-status.status-delivered').count(), 2);
  });
});

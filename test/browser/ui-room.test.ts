/**
 * Group chat as a user sees it in a real VS Code (code-server + Chromium) against Prosody's MUC
 * component: two script clients (bob, and carol under a hostile nickname) are in a room and
 * talk; alice (provisioned) joins it from the command palette by keyboard, sees both of them
 * and the room history once, sends a message that both receive, and gets mentioned.
 *
 * Screenshot: docs/screenshots/room.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page, Request } from 'playwright-core';
import { openPalette, runCommand, waitForWorkbench, webviewFrame } from '../support/browser';
import { openWorkbench, type Workbench } from '../support/workbench';
import { repoRoot, type CodeServer } from '../support/codeServer';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { connectClient, xml, type ScriptClient } from '../support/xmppClient';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-room-pw', bob: 'bob-room-pw', carol: 'carol-room-pw' };
const ROOM = 'lobby@conference.localhost';
const NS_MUC = 'http://jabber.org/protocol/muc';
const EVIL_NICK = '<img src=x onerror=alert(1)>';
const EVIL_TEXT = '<script>document.title="pwned"</script><b>bold?</b> ![x](http://127.0.0.1:9/x.png)';
const UNAVAILABLE = 'Private conversations (OTR) are for two people only';

let server: ProsodyServer;
let codeServer: CodeServer;
let wb: Workbench | undefined;
let bob: ScriptClient | undefined;
let carol: ScriptClient | undefined;
let page: Page;
let room: FrameLocator;
const requests: Request[] = [];

/** A script client enters the room (raw MUC presence) and waits for its own presence back. */
async function enter(c: ScriptClient, nick: string): Promise<void> {
  const self = c.waitForStanza((el) => el.is('presence') && el.attrs.from === `${ROOM}/${nick}`, 10_000);
  await c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: NS_MUC })));
  const p = await self;
  assert.notEqual(p.attrs.type, 'error', `${nick} could not enter: ${p.toString()}`);
  // Prosody locks a new room until its owner configures it (XEP-0045 §10.1.2): accept the defaults.
  if (p.getChild('x', `${NS_MUC}#user`)?.getChildren('status').some((s) => s.attrs.code === '201')) {
    await c.xmpp.iqCaller.request(xml('iq', { type: 'set', to: ROOM }, xml('query', { xmlns: `${NS_MUC}#owner` }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
  }
}

const say = (c: ScriptClient, text: string) => c.send(xml('message', { to: ROOM, type: 'groupchat' }, xml('body', {}, text)));

/** Waits for a groupchat message with `text` reflected to a script client. */
const hears = (c: ScriptClient, from: string, text: string) =>
  c.waitForMessage((m) => m.type === 'groupchat' && m.from === `${ROOM}/${from}` && m.body === text && !m.el.getChild('delay', 'urn:xmpp:delay'), 15_000);

describe('group chat room (code-server UI)', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    [bob, carol] = await Promise.all([
      connectClient({ server, user: 'bob', password: USERS.bob, resource: 'script' }),
      connectClient({ server, user: 'carol', password: USERS.carol, resource: 'script' }),
    ]);
    await enter(bob, 'bob');
    await enter(carol, EVIL_NICK);
    // Said before alice arrives: she gets it as room history (XEP-0045 §7.2.15).
    // (Each waits for the room's reflection, so the history order is fixed.)
    await say(bob, 'Welcome to the lobby, everyone.');
    await hears(bob, 'bob', 'Welcome to the lobby, everyone.');
    await say(carol, EVIL_TEXT);
    await hears(bob, EVIL_NICK, EVIL_TEXT);

    wb = await openWorkbench({ name: 'room', server, accounts: { alice: USERS.alice }, onBrowser: (b) => b.context.on('request', (r) => requests.push(r)) });
    ({ codeServer, page } = wb);
    const tree = wb.tree;
    await tree.locator('.row-account .conn-online').waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
    await Promise.all([bob?.stop(), carol?.stop()]);
    await server?.kill();
  });

  it('joins a room from the command palette by keyboard and shows its occupants and history', async () => {
    const input = page.locator('.quick-input-widget input.input');
    await openPalette(page);
    await input.fill('>Padlock: Join Room');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Padlock: Join Room' }).first().waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    // Step 1: the room address (typed; the service's room list loads alongside).
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Join Room' }).waitFor({ state: 'visible' });
    await page.keyboard.type(ROOM);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: ROOM }).first().waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    // Step 2: nickname, prefilled with the local part.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Your nickname in the room' }).waitFor({ state: 'visible' });
    assert.equal(await input.inputValue(), 'alice');
    await page.keyboard.press('Enter');
    // Step 3: optional password: none.
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'password (optional)' }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');

    room = await webviewFrame(page, 'lobby', { has: 'body.loaded', timeoutMs: 20_000 });
    // Three people: alice herself, bob, and carol under her hostile nickname (as text).
    await room.locator('.occupant').nth(2).waitFor({ state: 'visible', timeout: 15_000 });
    const nicks = await room.locator('.occupant .occ-nick').allTextContents();
    assert.deepEqual([...nicks].sort(), [EVIL_NICK, 'alice', 'bob'].sort());
    assert.equal(await room.locator('.occupant.self .occ-nick').textContent(), 'alice');
    assert.match((await room.locator('.room-state').textContent()) ?? '', /In the room as alice/);

    // History on join, once each.
    const welcome = room.locator('.messages .msg-in .msg-body', { hasText: 'Welcome to the lobby' });
    await welcome.waitFor({ state: 'visible' });
    assert.equal(await welcome.count(), 1);
    const evil = room.locator('.messages .msg-in').filter({ has: room.locator('.sender', { hasText: EVIL_NICK }) });
    await evil.first().waitFor({ state: 'visible' });
    assert.equal(await evil.count(), 1);
    assert.equal(await evil.locator('.msg-body').textContent(), EVIL_TEXT);
    // Nothing became markup; nothing ran; nothing was fetched.
    assert.equal(await room.locator('.messages img, .messages script, .messages b, .occupants img, .occupants script').count(), 0);
    assert.notEqual(await room.locator(':root').evaluate(() => document.title), 'pwned');
    assert.deepEqual(requests.filter((r) => r.url().includes('127.0.0.1:9/')).map((r) => r.url()), []);

    // The padlock says why there is no private conversation here.
    assert.equal(await room.locator('#padlock').getAttribute('title'), UNAVAILABLE);
    assert.equal(await room.locator('#padlock').getAttribute('aria-disabled'), 'true');
  });

  it('a message typed in the panel reaches both script clients; a mention is highlighted', async () => {
    const text = `Hello room <i>&amp;</i> ${Date.now()}`;
    const gotBob = hears(bob!, 'alice', text);
    const gotCarol = hears(carol!, 'alice', text);
    await room.locator('textarea.composer-input').click();
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await Promise.all([gotBob, gotCarol]);
    const own = room.locator('.messages .msg-out .msg-body', { hasText: text });
    await own.waitFor({ state: 'visible' });
    assert.equal(await own.count(), 1, 'shown once (the room reflects it)');

    await say(bob!, 'alice: good to see you here');
    const mention = room.locator('.messages .msg-mention mark.mention');
    await mention.waitFor({ state: 'visible' });
    assert.equal(await mention.textContent(), 'alice');
    await say(carol!, 'the topic is up to bob');
    await room.locator('.messages .msg-body', { hasText: 'the topic is up to bob' }).waitFor({ state: 'visible' });
    await page.mouse.move(900, 200);
    await page.screenshot({ path: join(SHOTS, 'room.png') });
  });

  it('a flood of 1,000 messages is shown with a capped number of DOM rows and the panel stays usable', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 1000; i++) void bob!.send(xml('message', { to: ROOM, type: 'groupchat', id: `flood${i}` }, xml('body', {}, `flood ${i}`)));
    await room.locator('.messages .msg-body', { hasText: /^flood 999$/ }).waitFor({ state: 'visible', timeout: 30_000 });
    const rows = await room.locator('.messages .msg, .messages .system').count();
    assert.ok(rows <= 400, `at most 400 message rows in the DOM, got ${rows}`);
    // Responsive: a frame comes within a short time right after the flood.
    const frameMs = await room.locator(':root').evaluate(() => new Promise<number>((resolve) => {
      const t = performance.now();
      requestAnimationFrame(() => resolve(performance.now() - t));
    }));
    assert.ok(frameMs < 500, `next frame after ${frameMs} ms`);
    await room.locator('textarea.composer-input').click();
    await page.keyboard.type('still here');
    assert.equal(await room.locator('textarea.composer-input').inputValue(), 'still here');
    console.log(`flood of 1,000 shown in ${Date.now() - t0} ms, ${rows} rows in the DOM`);
  });

  it('Share Selection Securely offers the room only as "not private", asks first (default: no), then sends in the clear', async () => {
    const code = 'const shared = "in the room";';
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.editor-group-container .monaco-editor.focused').waitFor({ state: 'visible' });
    await page.keyboard.type(code);
    await page.keyboard.press('Control+a');
    const input = page.locator('.quick-input-widget input.input');
    const shareByKeyboard = async () => {
      await openPalette(page);
      await input.fill('>Padlock: Share Selection Securely');
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'Share Selection Securely' }).waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      // The room is listed under its own heading, marked as not private.
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'lobby' }).first();
      await row.waitFor({ state: 'visible' });
      assert.match((await row.textContent()) ?? '', /not private/);
      assert.equal(await page.locator('.quick-input-list .quick-input-list-separator', { hasText: 'rooms (not private)' }).count(), 1);
      await input.fill('lobby');
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'lobby' }).waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible' });
      assert.match((await dialog.locator('.dialog-message-text').textContent()) ?? '', /group chat: the code cannot be sent privately/);
      // The button Enter presses is the one that sends nothing.
      assert.equal((await dialog.locator('.dialog-buttons a.monaco-button:focus').textContent())?.trim(), "Don't Send");
      return dialog;
    };
    // Enter takes the default answer: nothing is sent.
    const first = await shareByKeyboard();
    await page.keyboard.press('Enter');
    await first.waitFor({ state: 'hidden' });
    // Then "Send in the Clear", no note: the room gets the snippet as a fenced block.
    const second = await shareByKeyboard();
    await second.locator('.dialog-buttons a.monaco-button', { hasText: 'Send in the Clear' }).click();
    await page.locator('.quick-input-widget .quick-input-title', { hasText: /^Share .* with lobby/ }).waitFor({ state: 'visible' });
    await page.keyboard.press('Enter');
    const got = await bob!.waitForMessage((m) => m.type === 'groupchat' && m.from === `${ROOM}/alice` && (m.body ?? '').includes(code), 15_000);
    // A fenced block any XMPP client shows as code (untitled plain text: no language, no name).
    assert.match(got.body ?? '', /\n```\nconst shared = "in the room";\n```$/);
    // The declined share never went out: exactly one snippet reached the room.
    const fromAlice = bob!.received.filter((el) => el.is('message') && el.attrs.type === 'groupchat' && el.attrs.from === `${ROOM}/alice`);
    assert.equal(fromAlice.filter((el) => (el.getChildText('body') ?? '').includes(code)).length, 1);
  });

  it('a room tab left open is restored after a window reload, and the room joined again', async () => {
    // A reload is a new extension host: the room comes back through the panel serializer.
    // Only presence that arrives from now on counts (earlier ones are still in bob's buffer).
    const since = bob!.received.length;
    const left = bob!.waitForStanza((el) => bob!.received.indexOf(el) >= since && el.is('presence') && el.attrs.from === `${ROOM}/alice` && el.attrs.type === 'unavailable', 60_000);
    const rejoined = bob!.waitForStanza((el) => bob!.received.indexOf(el) >= since && el.is('presence') && el.attrs.from === `${ROOM}/alice` && el.attrs.type !== 'unavailable', 60_000);
    // An orderly reload, as a user's "Developer: Reload Window": the workbench saves its state,
    // the panel's webview state among it, before the page goes. A hard page.reload() could drop
    // what was set since the last periodic save ("room tab not restored: no room in its state").
    const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 30_000 });
    // Nothing left open from the previous step may take the palette's input.
    await page.keyboard.press('Escape');
    await runCommand(page, 'Developer: Reload Window');
    await navigated;
    await waitForWorkbench(page);
    // The untitled editor was the active tab; the room's tab is restored beside it.
    // A restored webview tab is revived (deserializeWebviewPanel) only once it is shown: the
    // click must land after the workbench finished restoring its editors, so click until the
    // tab is the active one.
    const tab = page.locator('.tabs-container .tab', { hasText: /^lobby$/ });
    await tab.click();
    await page.locator('.tabs-container .tab.active', { hasText: /^lobby$/ }).waitFor({ state: 'visible', timeout: 5_000 }).catch(async () => {
      await tab.click();
      await page.locator('.tabs-container .tab.active', { hasText: /^lobby$/ }).waitFor({ state: 'visible' });
    });
    await left; // the old window's session ended (it signed out, or the server saw it go)
    await rejoined.catch((e: Error) => {
      throw new Error(`${e.message}\nPadlock's log:\n${codeServer!.padlockLog().slice(-6000)}`);
    });
    room = await webviewFrame(page, 'lobby', { has: 'body.loaded', timeoutMs: 30_000 });
    await room.locator('.occupant').nth(2).waitFor({ state: 'visible', timeout: 15_000 });
    assert.match((await room.locator('.room-state').textContent()) ?? '', /In the room as alice/);
    // The conversation is back from this device's history, and the room's history on join
    // (its last messages, the end of the flood) is not added a second time.
    const last = room.locator('.messages .msg-in .msg-body', { hasText: /^flood 999$/ });
    await last.waitFor({ state: 'visible' });
    assert.equal(await last.count(), 1);
  });
});

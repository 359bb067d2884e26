/**
 * Sharing code securely as a user does it in a real VS Code (code-server 4.100.3 + Debian
 * Chromium) against a real Prosody: alice (provisioned, signed in) opens a file of the
 * workspace, selects lines and runs "Padlock: Share Selection Securely…" by keyboard; bob is an
 * OTR-speaking contact run in this process by Padlock's own core (test/support/otrPeer.ts).
 *
 *  - bob receives exactly the snippet body, inside a private conversation that the share
 *    started, and the code parsed from it is byte for byte the selection;
 *  - the snippet is drawn highlighted in alice's chat, with its header and actions;
 *  - "Insert at Cursor" puts the code into an editor (checked on disk after saving);
 *  - the keybinding shares again, with bob first among the recent contacts;
 *  - a hostile snippet from bob (HTML, script, ANSI escapes, bidi overrides) renders inert;
 *  - a 10,000-line snippet does not freeze the panel.
 *
 * Screenshots: docs/screenshots/share-pick.png, share-note.png, share-chat.png, share-hostile.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { encodeSnippet, parseSnippet } from '../../src/core/snippet';
import { openPalette, webviewFrame } from '../support/browser';
import { contactOnline, openWorkbench, tearDown, type Workbench } from '../support/workbench';
import { repoRoot, type CodeServer } from '../support/codeServer';
import { befriend } from '../support/demoBot';
import { startOtrPeer, type OtrPeer } from '../support/otrPeer';
import { startProsody, type ProsodyServer } from '../support/prosody';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-share-pw', bob: 'bob-share-pw' };
const ALICE = 'alice@localhost';

/** hello.ts in the workspace; lines 3–8 are shared. Contains ``` to test the fence. */
const HELLO = [
  "// Greeting helpers for Padlock's share test",
  "import { strict as assert } from 'node:assert';",
  'export function greet(name: string): string {',
  '  // a template literal with ``` inside, to test the fence',
  '  const fence = "```";',
  '  return `Hello, ${name}! ${fence}`;',
  '}',
  'export const answer = 42; // ünïcödé ✓ 🙂',
  '',
  "assert.equal(greet('x').length > 0, true);",
  '',
].join('\n');
const SELECTED = HELLO.split('\n').slice(2, 8).join('\n') + '\n';
const NOTE = 'Here is the greeting code';

let server: ProsodyServer;
let folder: string;
let codeServer: CodeServer;
let wb: Workbench | undefined;
let bob: OtrPeer | undefined;
let page: Page;

/** Resolves when bob has received a message with exactly `text`. */
function bobHears(pred: (text: string) => boolean, timeoutMs = 30_000): Promise<{ text: string; private: boolean }> {
  const have = bob!.heard.find((h) => pred(h.text));
  if (have) return Promise.resolve(have);
  return bob!.session
    .waitFor('message', ({ contact, message, incoming }) => incoming && contact === ALICE && pred(message.text), timeoutMs)
    .then(({ message }) => ({ text: message.text, private: !!message.private }));
}

/** Opens a workspace file with Quick Open ("Go to File"), by keyboard. */
async function openFile(name: string): Promise<void> {
  await openPalette(page);
  const input = page.locator('.quick-input-widget input.input');
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ state: 'visible' });
  await page.locator('.editor-group-container .monaco-editor.focused').waitFor({ state: 'visible' });
}

/** Runs a palette command by keyboard only: F1, type its title, Enter. */
async function runByKeyboard(title: string): Promise<void> {
  await openPalette(page);
  await page.locator('.quick-input-widget input.input').fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** The quick input's title, once it shows `text`. */
async function quickInputTitled(text: string | RegExp): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: text }).waitFor({ state: 'visible', timeout: 15_000 });
}

async function chatFrame(): Promise<FrameLocator> {
  return webviewFrame(page, 'Bob', { has: 'body.loaded', timeoutMs: 30_000 });
}

async function showChat(): Promise<FrameLocator> {
  await page.locator('.tabs-container .tab', { hasText: /^Bob$/ }).click();
  await page.locator('.tabs-container .tab.active', { hasText: /^Bob$/ }).waitFor();
  return chatFrame();
}

async function screenshot(name: string): Promise<void> {
  await page.mouse.move(1270, 790);
  await page.screenshot({ path: join(SHOTS, name) });
}

describe('share code securely (code-server UI)', { timeout: 240_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriend(server, { user: 'alice', password: USERS.alice, name: 'Alice' }, { user: 'bob', password: USERS.bob, name: 'Bob' });
    bob = await startOtrPeer(server, { user: 'bob', password: USERS.bob });

    // Ready once alice is signed in and sees bob online (the contacts view shows it).
    wb = await openWorkbench({ name: 'share', server, accounts: { alice: USERS.alice }, files: { 'hello.ts': HELLO, 'target.md': '' }, treeHas: contactOnline('bob@localhost') });
    ({ codeServer, page } = wb);
    folder = codeServer.folder;
  });

  after(() => tearDown(wb, [bob], server));

  it('select lines, "Share Selection Securely…" by keyboard: bob gets exactly the snippet, privately', async () => {
    assert.equal(bob!.otr.state(ALICE), 'plaintext', 'no private conversation before the share');
    await openFile('hello.ts');
    // Line 3, then six lines down: lines 3–8 selected (the selection ends at the start of line 9).
    await page.keyboard.press('Control+g');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    for (let i = 0; i < 6; i++) await page.keyboard.press('Shift+ArrowDown');

    await runByKeyboard('Padlock: Share Selection Securely');
    await quickInputTitled('Share hello.ts, lines 3\u20138 securely with…');
    const bobRow = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Bob' });
    await bobRow.waitFor({ state: 'visible' });
    assert.match((await bobRow.textContent()) ?? '', /bob@localhost/);
    assert.match((await bobRow.textContent()) ?? '', /Not private: a private conversation will be started first/);
    await screenshot('share-pick.png');
    await page.keyboard.type('Bob');
    await page.keyboard.press('Enter');

    await quickInputTitled('Share hello.ts, lines 3\u20138 with Bob');
    await page.keyboard.type(NOTE);
    await screenshot('share-note.png');
    const expected = encodeSnippet({ code: SELECTED, languageId: 'typescript', fileName: 'hello.ts', startLine: 3, endLine: 8, note: NOTE });
    const heard = bobHears((t) => t.includes(NOTE));
    await page.keyboard.press('Enter');

    const got = await heard;
    assert.equal(got.private, true, 'the snippet arrived inside the private conversation');
    assert.equal(got.text, expected);
    const parsed = parseSnippet(got.text)!;
    assert.equal(parsed.code, SELECTED, 'the code is byte for byte the selection');
    assert.deepEqual([parsed.fileName, parsed.startLine, parsed.endLine, parsed.languageId, parsed.note], ['hello.ts', 3, 8, 'typescript', NOTE]);
    assert.match(bob!.otr.state(ALICE), /^private-/);
  });

  it('the snippet is drawn highlighted in alice\'s chat, with its header and actions', async () => {
    const chat = await showChat();
    const block = chat.locator('.messages .msg-out .code-block.snippet').last();
    await block.waitFor({ state: 'visible' });
    assert.equal(await block.locator('.code-lang').textContent(), 'TypeScript');
    assert.equal(await block.locator('.code-file').textContent(), 'hello.ts');
    assert.equal(await block.locator('.code-range').textContent(), 'lines 3\u20138');
    assert.equal(await block.locator('.code-text').textContent(), SELECTED.replace(/\n$/, ''));
    await block.locator('.code-text .tok-keyword', { hasText: 'export' }).first().waitFor({ state: 'attached' });
    assert.ok((await block.locator('.code-text .tok-string').count()) > 0);
    assert.ok((await block.locator('.code-text .tok-comment').count()) > 0);
    assert.ok((await block.locator('.code-text .tok-function', { hasText: 'greet' }).count()) > 0);
    // Highlighted in the theme's colours, not the plain foreground.
    const colors = await block.locator('.code-text .tok-keyword').first().evaluate((el) => {
      const code = el.closest('code')!;
      return [getComputedStyle(el).color, getComputedStyle(code).color];
    });
    assert.notEqual(colors[0], colors[1], 'keywords are coloured');
    for (const name of ['Copy', 'Insert at Cursor', 'Open in New Editor', 'Save As…']) {
      assert.equal(await block.getByRole('button', { name, exact: true }).count(), 1, name);
    }
    // The note stays text above the block.
    assert.equal(await chat.locator('.messages .msg-out .msg-part').last().textContent(), NOTE);
    await chat.locator('.messages .msg-out .msg-private').last().waitFor({ state: 'visible' });
    await screenshot('share-chat.png');
  });

  it('"Insert at Cursor" puts the code into the editor the user worked in', async () => {
    await openFile('target.md');
    const chat = await showChat();
    await chat.locator('.messages .msg-out .code-block.snippet').last().getByRole('button', { name: 'Insert at Cursor', exact: true }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'target.md' }).waitFor({ state: 'visible' });
    await page.locator('.editor-group-container .monaco-editor.focused').waitFor({ state: 'visible' });
    await page.keyboard.press('Control+s');
    const file = join(folder, 'target.md');
    const deadline = Date.now() + 15_000;
    while (readFileSync(file, 'utf8') !== SELECTED && Date.now() < deadline) await page.waitForTimeout(100); // saving is asynchronous
    assert.equal(readFileSync(file, 'utf8'), SELECTED);
  });

  it('the keybinding shares again; bob is first among the recent contacts; the conversation is already private', async () => {
    await openFile('hello.ts');
    await page.keyboard.press('Control+g');
    await page.keyboard.type('8');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Control+Alt+s');
    await quickInputTitled('Share hello.ts, line 8 securely with…');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    assert.match((await rows.first().textContent()) ?? '', /Bob.*Private, unverified/s, 'bob comes first, his conversation is private');
    assert.match((await page.locator('.quick-input-list').textContent()) ?? '', /recent/);
    await page.keyboard.press('Enter');
    await quickInputTitled('Share hello.ts, line 8 with Bob');
    const line8 = HELLO.split('\n')[7]!;
    const heard = bobHears((t) => t.includes('hello.ts, line 8:'));
    await page.keyboard.press('Enter');
    const got = await heard;
    assert.equal(got.private, true);
    assert.equal(got.text, encodeSnippet({ code: line8, languageId: 'typescript', fileName: 'hello.ts', startLine: 8, endLine: 8 }));
  });

  it('a hostile snippet from bob renders inert and readable', async () => {
    const chat = await showChat();
    const hostile = encodeSnippet({
      note: '<img src=x onerror="document.title=\'pwned\'"> look',
      fileName: '<img src=x onerror=alert(1)>.html',
      languageId: 'html',
      startLine: 1,
      endLine: 6,
      code: [
        '<script>document.title = "pwned"</script>',
        '<img src="http://127.0.0.1:9/x.png" onerror="document.title=\'pwned\'">',
        '\u001b[31mred alert\u001b[0m and a bell\u0007',
        'access = "user\u202e \u2066// admin\u2069 \u2066"',
        '```',
        '</code></pre><b>escaped?</b>',
      ].join('\n'),
    });
    await bob!.session.sendMessage(ALICE, hostile);
    const block = chat.locator('.messages .msg-in .code-block.snippet').last();
    await block.waitFor({ state: 'visible' });
    await block.locator('.code-text .tok-tag').first().waitFor({ state: 'attached' });
    assert.equal(await chat.locator('.messages img, .messages script, .messages iframe, .messages b, .messages object').count(), 0);
    const shown = (await block.locator('.code-text').textContent()) ?? '';
    assert.ok(shown.includes('<script>document.title = "pwned"</script>'), 'markup shown as text');
    assert.ok(shown.includes('\u241b[31mred alert\u241b[0m and a bell\u2407'), `ANSI escapes shown escaped: ${JSON.stringify(shown)}`);
    assert.ok(shown.includes('\u27e8U+202E\u27e9'), 'a bidi override is made visible');
    assert.ok(!/[\u001b\u0007\u202e\u2066\u2069]/.test(shown), 'no raw control character reaches the page');
    assert.ok((await block.locator('.tok-control').count()) >= 5);
    assert.equal(await block.locator('.code-file').textContent(), '<img src=x onerror=alert(1)>.html');
    assert.notEqual(await chat.locator(':root').evaluate(() => document.title), 'pwned');
    assert.notEqual(await page.title(), 'pwned');
    await screenshot('share-hostile.png');
  });

  it('a 10,000-line snippet renders without freezing the panel', async () => {
    const chat = await showChat();
    const code = Array.from({ length: 10_000 }, (_, i) => `x=${i % 10};`).join('\n');
    const body = encodeSnippet({ code, languageId: 'javascript', fileName: 'big.js', startLine: 1, endLine: 10_000 });
    assert.ok(body.length > 50_000);
    await bob!.session.sendMessage(ALICE, body);
    const block = chat.locator('.messages .msg-in .code-block.snippet', { has: chat.locator('.code-file', { hasText: 'big.js' }) });
    await block.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await block.locator('.code-count').textContent(), '10,000 lines');
    const toggle = block.getByRole('button', { name: 'Show all 10,000 lines' });
    await toggle.click();
    // The panel answers at once while the highlighting runs in slices.
    const t0 = Date.now();
    const lines = await block.locator('.code-text').evaluate((el) => (el.textContent ?? '').split('\n').length);
    assert.equal(lines, 10_000);
    const rtt = Date.now() - t0;
    assert.ok(rtt < 2000, `the panel took ${rtt} ms to answer`);
    await block.locator('.code-text .tok-number').first().waitFor({ state: 'attached' });
    // Everything stays text; the code is complete.
    assert.equal((await block.locator('.code-text').evaluate((el) => el.textContent)) ?? '', code);
  });
});

/**
 * The room panel's webview alone in Chromium (test/support/webviewPage.ts: its real page and
 * CSP, a fake host) under what issue 6 calls bad input: 500 occupants, hostile nicknames
 * (markup, control and bidi characters, a 10,000-character one) and hostile messages, given
 * to the webview raw, as if the host had not sanitised them (it does: src/core/muc.ts). All of
 * it must render as inert text, the layout must hold, and the panel must stay responsive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OccupantView, RoomMessageView, RoomState0 } from '../../src/shared/protocol';
import { openWebview, roomState, type WebviewPage } from '../support/webviewPage';

const EVIL = ['<img src=x onerror=alert(1)>', '<script>document.title="pwned"</script>', '\u202Eevil\u202C', 'tab\tand\u0007bell', 'x'.repeat(10_000)];
const HOSTILE_TEXT = '<b>bold?</b><img src="http://127.0.0.1:9/x.png"> ![x](http://127.0.0.1:9/y.png) \u001b[31mred\u001b[0m <script>document.title="pwned"</script>';

function occupant(nick: string, i: number): OccupantView {
  return { nick, displayNick: nick, role: i % 50 === 0 ? 'moderator' : 'participant', affiliation: 'none', show: i % 7 === 0 ? 'away' : 'available', self: i === 0 };
}

function state(): RoomState0 {
  const occupants = [occupant('me', 0), ...EVIL.map((n, i) => occupant(n, i + 1))];
  for (let i = occupants.length; i < 500; i++) occupants.push(occupant(`user${i}`, i));
  const messages: RoomMessageView[] = [];
  for (let i = 0; i < 1000; i++) {
    const from = occupants[1 + (i % 499)].nick;
    messages.push({ id: `m${i}`, direction: 'in', ts: Date.now() - (1000 - i) * 1000, text: i % 10 === 0 ? HOSTILE_TEXT : `message ${i}`, from, displayFrom: from } as RoomMessageView);
  }
  return roomState({ jid: 'crowd@conference.localhost', name: 'crowd', subject: `<i>topic</i> ${'long '.repeat(2000)}`, occupants, messages });
}

describe('room panel webview under hostile and large input (Chromium, fake host)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  before(async () => {
    w = await openWebview('room', state());
    await w.page.locator('body.loaded').waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  it('lists all 500 occupants, hostile nicknames as text', async () => {
    await w.page.locator('.occupant').nth(499).waitFor({ state: 'attached' });
    assert.equal(await w.page.locator('.occupant').count(), 500);
    const nicks = await w.page.locator('.occupant .occ-nick').allTextContents();
    for (const n of EVIL.slice(0, 2)) assert.ok(nicks.includes(n), `${n.slice(0, 40)} shown literally`);
  });

  it('nothing became markup, nothing ran, nothing was fetched', async () => {
    assert.equal(await w.page.locator('#app img, #app script, #app b, #app i').count(), 0);
    assert.equal(await w.page.title(), 'room');
    assert.deepEqual(w.strayRequests, []);
  });

  it('a 10,000-character nickname and a huge topic do not break the layout', async () => {
    const overflow = await w.page.evaluate(() => {
      const doc = document.documentElement;
      const list = document.querySelector('.occupants') as HTMLElement | null;
      return { page: doc.scrollWidth - doc.clientWidth, list: list ? list.scrollWidth - list.clientWidth : -1 };
    });
    assert.ok(overflow.page <= 1, `the page scrolls sideways by ${overflow.page} px`);
    assert.ok(overflow.list <= 1, `the occupant list scrolls sideways by ${overflow.list} px`);
  });

  it('the padlock says private conversations are for two people only (issue 3 item 8)', async () => {
    const padlock = w.page.locator('#padlock');
    assert.equal(await padlock.getAttribute('title'), 'Private conversations (OTR) are for two people only');
    assert.equal(await padlock.getAttribute('aria-disabled'), 'true');
  });

  it('stays responsive: 500 presence changes and 1,000 new messages, then a frame and typing', async () => {
    await w.page.evaluate(() => {
      for (let i = 1; i < 500; i++) window.postMessage({ kind: 'notification', type: 'occupant', data: { occupant: { nick: `user${i}`, displayNick: `user${i}`, role: 'participant', affiliation: 'none', show: 'dnd', self: false } } }, '*');
      for (let i = 0; i < 1000; i++) window.postMessage({ kind: 'notification', type: 'message', data: { id: `f${i}`, direction: 'in', ts: Date.now(), text: `flood ${i}`, from: 'user7', displayFrom: 'user7' } }, '*');
    });
    await w.page.locator('.messages .msg-body', { hasText: /^flood 999$/ }).waitFor({ timeout: 30_000 });
    const frameMs = await w.page.evaluate(() => new Promise<number>((resolve) => {
      const t = performance.now();
      requestAnimationFrame(() => resolve(performance.now() - t));
    }));
    assert.ok(frameMs < 500, `next frame after ${frameMs} ms`);
    const rows = await w.page.locator('.messages .msg, .messages .system').count();
    assert.ok(rows <= 400, `at most 400 message rows in the DOM, got ${rows}`);
    await w.page.locator('textarea.composer-input').click();
    await w.page.keyboard.type('still here');
    assert.equal(await w.page.locator('textarea.composer-input').inputValue(), 'still here');
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'send'));
    const sent = (await w.requests()).filter((r) => r.method === 'send');
    assert.deepEqual(sent.map((r) => r.params), [{ text: 'still here' }]);
  });
});

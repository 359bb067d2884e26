/**
 * The chat panel's webview alone in Chromium (test/support/webviewPage.ts: real page and CSP, a
 * fake host paging as src/host/chats.ts does) with a long history: `ready` carries
 * the newest page only; scrolling up asks for older pages (`earlier`) and shows them in order,
 * without moving what the user looks at, up to the very first message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHAT_PAGE, type MessageView } from '../../src/shared/protocol';
import { chatState, openWebview, type WebviewPage } from '../support/webviewPage';

// 3,000 is enough to walk 15 pages back to the first message (bench/webview.ts times 10,000).
const N = 3_000;
const history: MessageView[] = [];
const t0 = Date.now() - N * 60_000;
for (let i = 0; i < N; i++) history.push({ id: `m${i}`, direction: i % 3 ? 'in' : 'out', text: `message ${i}`, ts: t0 + i * 60_000, ...(i % 3 ? {} : { status: 'delivered' as const }) });

const state = chatState({ messages: history.slice(-CHAT_PAGE), hasEarlier: true });

describe('chat panel with 3,000 messages of history, paged (Chromium, fake host)', { timeout: 180_000 }, () => {
  let w: WebviewPage;
  const bodies = () => w.page.locator('.messages [role="listitem"] .msg-body').allTextContents();
  before(async () => {
    w = await openWebview('chat', state, { history });
    await w.page.locator('body.loaded').waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  it('opens at the newest message, with only the newest page from the host', async () => {
    const b = await bodies();
    assert.equal(b.at(-1), `message ${N - 1}`);
    assert.ok(b.length <= CHAT_PAGE);
    const reqs = await w.requests();
    assert.deepEqual(reqs.map((r) => r.method), ['ready'], 'no page asked for before the user scrolls up');
    assert.equal(await w.page.locator('.load-earlier').isHidden(), false, 'there is more: the "Load earlier" row is shown');
  });

  it('scrolling up asks for the page before the oldest message, shows it in order, and keeps the view in place', async () => {
    // Wait for the whole first page (built in idle time), then scroll to the top.
    await w.page.waitForFunction((n) => document.querySelectorAll('.messages [role="listitem"]').length >= n, CHAT_PAGE);
    const anchor = `message ${N - CHAT_PAGE}`;
    const top0 = await w.page.evaluate((text) => {
      const el = [...document.querySelectorAll('.msg-body')].find((e) => e.textContent === text)!;
      const scroller = document.querySelector('.scroller') as HTMLElement;
      scroller.scrollTop = 0;
      return el.getBoundingClientRect().top;
    }, anchor);
    await w.page.waitForFunction((n) => document.querySelectorAll('.messages [role="listitem"]').length >= n, 2 * CHAT_PAGE);
    const reqs = (await w.requests()).filter((r) => r.method === 'earlier');
    assert.deepEqual(reqs[0]!.params, { before: `m${N - CHAT_PAGE}`, limit: CHAT_PAGE });
    const b = await bodies();
    const i = b.indexOf(anchor);
    assert.deepEqual(b.slice(i - 3, i + 1), [N - CHAT_PAGE - 3, N - CHAT_PAGE - 2, N - CHAT_PAGE - 1, N - CHAT_PAGE].map((k) => `message ${k}`));
    const top1 = await w.page.evaluate((text) => [...document.querySelectorAll('.msg-body')].find((e) => e.textContent === text)!.getBoundingClientRect().top, anchor);
    assert.ok(Math.abs(top1 - top0) < 2, `the message the user looked at stayed put (${top0} -> ${top1})`);
  });

  it('"Load earlier messages" walks back to the very first message; then the row goes away', async () => {
    const button = w.page.locator('.load-earlier button');
    for (let n = 0; n < N / CHAT_PAGE + 5 && (await button.isVisible()); n++) {
      const before = await w.page.locator('.messages [role="listitem"]').count();
      // Scrolling the button into view may itself page in the rest (the list loads earlier
      // pages near the top) and hide it: then there is nothing left to click.
      await button.click({ timeout: 10_000 }).catch(async (e: Error) => {
        if (await button.isVisible()) throw e;
      });
      await w.page.waitForFunction((k) => document.querySelectorAll('.messages [role="listitem"]').length > k || (document.querySelector('.load-earlier') as HTMLElement).hidden, before);
    }
    const b = await bodies();
    assert.equal(b.length, N);
    assert.equal(b[0], 'message 0');
    assert.ok(b.every((t, k) => t === `message ${k}`), 'all in order, none twice');
    assert.equal(await w.page.locator('.load-earlier').isHidden(), true);
  });

  it('a new message while paging lands at the end', async () => {
    await w.notify('message', { id: 'new1', direction: 'in', text: 'fresh one', ts: Date.now() });
    await w.page.locator('.msg-body', { hasText: 'fresh one' }).waitFor({ state: 'attached' });
    assert.equal((await bodies()).at(-1), 'fresh one');
  });
});

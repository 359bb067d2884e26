/**
 * The conversation panels' composer and "New messages" button (webview/shared/conversation.ts),
 * in the chat and the room webview alone in Chromium (test/support/webviewPage.ts: real page and
 * CSP, a fake host that refuses `send`): Enter sends and Shift+Enter does not; a text over
 * MAX_OUTGOING_TEXT is refused with a line saying so and is not sent; a text the host could not
 * send comes back into the box; messages arriving while the user reads further up are counted
 * on the button, which takes them to the newest one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_OUTGOING_TEXT, type MessageView, type RoomMessageView } from '../../src/shared/protocol';
import { chatState, openWebview, roomState, type WebviewPage } from '../support/webviewPage';

const t0 = Date.now() - 100 * 60_000;
const chatMessages: MessageView[] = [];
for (let i = 0; i < 100; i++) chatMessages.push({ id: `m${i}`, direction: 'in', text: `message ${i}`, ts: t0 + i * 60_000 });
const roomMessages: RoomMessageView[] = chatMessages.map((m) => ({ ...m, from: 'ada', displayFrom: 'ada' }));

const chat = chatState({ messages: chatMessages });
const room = roomState({ messages: roomMessages });

const REFUSED = 'Not signed in.';

for (const [name, state, incoming] of [
  ['chat', chat, (i: number) => ({ id: `n${i}`, direction: 'in', text: `new ${i}`, ts: Date.now() })],
  ['room', room, (i: number) => ({ id: `n${i}`, direction: 'in', text: `new ${i}`, ts: Date.now(), from: 'ada', displayFrom: 'ada' })],
] as const) {
  describe(`${name} panel: composer and New messages (Chromium, fake host)`, { timeout: 120_000 }, () => {
    let w: WebviewPage;
    const box = () => w.page.locator('textarea.composer-input');
    const sends = async () => (await w.requests()).filter((r) => r.method === 'send');
    const errorLines = () => w.page.locator('.system-error .system-text').allTextContents();
    before(async () => {
      w = await openWebview(name, state, { fail: { send: REFUSED } });
      await w.page.locator('body.loaded').waitFor({ timeout: 30_000 });
    });
    after(async () => w?.close());

    it('Shift+Enter adds a line; a text over the limit is refused with a line saying so, kept and not sent', async () => {
      await box().fill('first line');
      await box().press('Shift+Enter');
      assert.equal(await box().inputValue(), 'first line\n');
      const long = 'x'.repeat(MAX_OUTGOING_TEXT + 1);
      await box().fill(long);
      await box().press('Enter');
      await w.page.locator('.system-error', { hasText: 'too long' }).waitFor();
      assert.deepEqual(await errorLines(), [`The message is too long (${long.length.toLocaleString('en')} characters; at most ${MAX_OUTGOING_TEXT.toLocaleString('en')}).`]);
      assert.equal(await box().inputValue(), long);
      assert.deepEqual(await sends(), []);
    });

    it('a text the host could not send comes back into the box, with a line saying why', async () => {
      await box().fill('hello there');
      await box().press('Enter');
      await w.page.locator('.system-error', { hasText: 'not sent' }).waitFor();
      assert.deepEqual((await sends()).map((r) => r.params), [{ text: 'hello there' }]);
      assert.equal(await box().inputValue(), 'hello there');
      assert.equal((await errorLines()).at(-1), `The message was not sent: ${REFUSED} Your text is back in the message box.`);
    });

    it('messages arriving while reading further up are counted on New messages, which shows the newest', async () => {
      const jump = w.page.locator('button.jump-latest');
      const scroller = w.page.locator('.scroller');
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await w.page.waitForFunction(() => document.querySelector('.scroller')!.scrollTop === 0);
      await w.notify('message', incoming(1));
      await w.page.locator('button.jump-latest:visible', { hasText: '1 new message' }).waitFor();
      await w.notify('message', incoming(2));
      await w.page.locator('button.jump-latest:visible', { hasText: '2 new messages' }).waitFor();
      await jump.click();
      await jump.waitFor({ state: 'hidden' });
      const gap = await scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
      assert.ok(gap <= 24, `${gap} px from the bottom`);
      assert.equal(await w.page.locator('.messages [role="listitem"]').last().locator('.msg-body').textContent(), 'new 2');
    });
  });
}

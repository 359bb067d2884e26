/**
 * The chat panel's webview alone in Chromium (test/support/webviewPage.ts: real page and CSP, a
 * fake host): the notice the OTR layer writes when a restarted contact could not read our last
 * private messages carries a "Resend privately" button, which asks the host for the
 * `resendPrivate` action (src/host/chats.ts → OtrLayer.resendUnread) and nothing else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatState0, MessageView } from '../../src/shared/protocol';
import { chatState, openWebview, type WebviewPage } from '../support/webviewPage';

const now = Date.now();
const messages: MessageView[] = [
  { id: 'm1', direction: 'out', text: 'the plan for tomorrow', ts: now - 60_000, status: 'delivered', private: true },
  {
    id: 's1',
    direction: 'system',
    level: 'warning',
    ts: now,
    text: 'Ada started a new private conversation (their client may have restarted): your last private message may not have been readable for them, even if shown as delivered. Resend privately sends it again in a new private conversation.',
    action: { label: 'Resend privately', command: 'resendPrivate' },
  },
];

const state = chatState({
  messages,
  otr: { available: true, state: 'private-unverified', policy: 'manual', defaultPolicy: 'manual' } as ChatState0['otr'],
});

describe('chat panel: Resend privately (Chromium, fake host)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  before(async () => {
    w = await openWebview('chat', state, { history: messages });
    await w.page.locator('body.loaded').waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  it('the notice has a Resend privately button that asks the host for resendPrivate', async () => {
    const button = w.page.locator('button.system-action', { hasText: 'Resend privately' });
    await button.waitFor({ state: 'visible' });
    await button.click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'otr'));
    const otr = (await w.requests()).filter((r) => r.method === 'otr');
    assert.deepEqual(otr.map((r) => r.params), [{ action: 'resendPrivate' }]);
    assert.deepEqual(w.strayRequests, []);
  });
});

/**
 * The contact tree (Chromium, fake host) with an unanswered verification request (OTR SMP): the
 * contact says "Wants to verify you", its shield button and its menu entry ask the host to open
 * the Authenticate dialog (contactAction 'authenticate' → padlock.verifyContact), and the
 * request leaves the row when the host's state no longer has it. The host side (the request
 * survives its dialog being closed) is tested in test/host/palette.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContactView, ContactsState } from '../../src/shared/protocol';
import { openWebview, type WebviewPage } from '../support/webviewPage';

const contact = (jid: string, name: string, extra: Partial<ContactView> = {}): ContactView => ({
  account: 'me@localhost',
  jid,
  name,
  groups: ['Team'],
  presence: 'available',
  subscription: 'both',
  pendingOut: false,
  denied: false,
  unread: 0,
  ...extra,
});

const state = (verify: boolean): ContactsState => ({
  accounts: [
    {
      id: 'me@localhost',
      jid: 'me@localhost',
      state: 'online',
      presence: 'available',
      contacts: [contact('ada@localhost', 'Ada', verify ? { verifyRequest: true } : {}), contact('bob@localhost', 'Bob')],
      requests: [],
      queued: 0,
    },
  ],
});

describe('contact tree: a verification request (Chromium, fake host)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  before(async () => {
    w = await openWebview('contacts', state(true));
    await w.page.locator('.row-contact[title="ada@localhost"]').waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  const posted = async (method: string) => (await w.requests()).filter((r) => r.method === method).map((r) => r.params);

  it('the contact shows "Wants to verify you" and a shield button that opens the Authenticate dialog', async () => {
    const ada = w.page.locator('.row-contact[title="ada@localhost"]');
    await ada.locator('.flag.verify-flag', { hasText: 'Wants to verify you' }).waitFor();
    assert.match((await ada.getAttribute('aria-label')) ?? '', /Wants to verify you/);
    // Only Ada: Bob has no request.
    assert.equal(await w.page.locator('.row-contact[title="bob@localhost"] .verify-flag').count(), 0);
    await ada.locator('button[data-action="verify"]').click();
    await w.page.waitForFunction(() => (window as unknown as { __posted: { method: string }[] }).__posted.some((r) => r.method === 'contactAction'));
    assert.deepEqual((await posted('contactAction')).at(-1), { account: 'me@localhost', jid: 'ada@localhost', action: 'authenticate' });
  });

  it('the contact menu offers "Answer the verification request…" first', async () => {
    const ada = w.page.locator('.row-contact[title="ada@localhost"]');
    await ada.locator('button[data-action="more"]').click();
    const first = w.page.locator('[role="menu"] [role="menuitem"]').first();
    await first.waitFor();
    assert.match((await first.textContent()) ?? '', /Answer the verification request/);
    const before = (await posted('contactAction')).length;
    await w.page.keyboard.press('Enter');
    await w.page.waitForFunction((n) => (window as unknown as { __posted: { method: string }[] }).__posted.filter((r) => r.method === 'contactAction').length > n, before);
    assert.deepEqual((await posted('contactAction')).at(-1), { account: 'me@localhost', jid: 'ada@localhost', action: 'authenticate' });
  });

  it('once answered (the host state has no request), the row is an ordinary contact again', async () => {
    await w.notify('state', state(false));
    const ada = w.page.locator('.row-contact[title="ada@localhost"]');
    await ada.locator('.verify-flag').waitFor({ state: 'detached' });
    assert.equal(await ada.locator('button[data-action="verify"]').count(), 0);
  });
});

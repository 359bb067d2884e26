/**
 * Webview localisation end to end in Chromium (test/support/webviewPage.ts: the real page, CSP
 * and bundle, a fake host): the host passes a translation bundle, as src/host/html.ts passes
 * vscode.l10n.bundle in a non-English VS Code, and the webview's UI text comes out translated,
 * while remote content that happens to equal a UI string ("Send" as a message, "Leave" as a
 * nickname) is left alone. Without a bundle the same page is English (room-stress, ui-room).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RoomState0 } from '../../src/shared/protocol';
import { openWebview, roomState, type WebviewPage } from '../support/webviewPage';

const DE: Record<string, string> = {
  Send: 'Senden',
  Leave: 'Verlassen',
  'Topic:': 'Thema:',
  '{0} people in the room': '{0} Personen im Raum',
  'Message {0}': 'Nachricht an {0}',
};

function state(): RoomState0 {
  const occ = (nick: string, self: boolean) => ({ nick, displayNick: nick, role: 'participant', affiliation: 'none', show: 'available', self }) as RoomState0['occupants'][number];
  return roomState({
    occupants: [occ('me', true), occ('Leave', false)],
    messages: [{ id: 'm1', direction: 'in', ts: Date.now(), text: 'Send', from: 'Leave', displayFrom: 'Leave' } as RoomState0['messages'][number]],
  });
}

describe('webview l10n: a bundle from the host translates the UI, not the data (Chromium, fake host)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  before(async () => {
    w = await openWebview('room', state(), { l10n: DE });
    await w.page.locator('body.loaded').waitFor({ timeout: 30_000 });
  });
  after(async () => w?.close());

  it('buttons, labels and formatted strings come from the bundle', async () => {
    assert.equal((await w.page.locator('vscode-button.send').textContent())?.trim(), 'Senden');
    assert.equal((await w.page.locator('#leave').textContent())?.trim(), 'Verlassen');
    assert.equal((await w.page.locator('.topic-label').textContent())?.trim(), 'Thema:');
    assert.equal(await w.page.locator('textarea.composer-input').getAttribute('placeholder'), 'Nachricht an lobby');
    assert.match((await w.page.locator('.occupants').textContent()) ?? '', /2 Personen im Raum/);
  });

  it('strings missing from the bundle stay English', async () => {
    assert.equal((await w.page.locator('#invite').textContent())?.trim(), 'Invite…');
  });

  it('remote content equal to a UI string is not translated', async () => {
    const body = (await w.page.locator('.scroller').textContent()) ?? '';
    assert.ok(body.includes('Send'), 'the message "Send" is shown as sent');
    assert.ok(!body.includes('Senden'), 'the message was not looked up in the bundle');
    const nicks = await w.page.locator('.occupant .occ-nick').allTextContents();
    assert.ok(nicks.includes('Leave') && !nicks.includes('Verlassen'), 'the nickname "Leave" stays as it is');
  });
});

/**
 * The contact tree's webview alone in Chromium (test/support/webviewPage.ts: real page and CSP,
 * fake host) with 2,000 contacts in 50 groups. Its first render builds only the rows that fill
 * the view and the rest in idle time (webview/contacts/main.ts, firstRows()); idle callbacks are held here, so
 * the state between the first paint and the full tree is tested, not raced: keyboard navigation
 * across the chunk boundary, End to a row not built yet, ARIA tree semantics throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ContactView, ContactsState } from '../../src/shared/protocol';
import { openWebview, type WebviewPage } from '../support/webviewPage';

const GROUPS = 50;
const PER_GROUP = 40;
const pad = (n: number) => String(n).padStart(2, '0');

function state(): ContactsState {
  const contacts: ContactView[] = [];
  for (let g = 0; g < GROUPS; g++)
    for (let i = 0; i < PER_GROUP; i++)
      contacts.push({ account: 'me@localhost', jid: `user${g}-${i}@localhost`, name: `User ${pad(g)}-${pad(i)}`, groups: [`Group ${pad(g)}`], presence: 'available', subscription: 'both', pendingOut: false, denied: false, unread: 0 });
  return { accounts: [{ id: 'me@localhost', jid: 'me@localhost', state: 'online', presence: 'available', contacts, requests: [], queued: 0 }] };
}

describe('contact tree with 2,000 contacts in 50 groups (Chromium, fake host, idle time held)', { timeout: 120_000 }, () => {
  let w: WebviewPage;
  const items = () => w.page.locator('[role="tree"] [role="treeitem"]');
  /** The focused row: its label, position in the DOM, and ARIA state. */
  const focused = () =>
    w.page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const all = [...document.querySelectorAll('[role="treeitem"]')];
      return {
        role: el.getAttribute('role'),
        text: el.textContent ?? '',
        index: all.indexOf(el),
        selected: el.getAttribute('aria-selected'),
        level: el.getAttribute('aria-level'),
        posinset: el.getAttribute('aria-posinset'),
        setsize: el.getAttribute('aria-setsize'),
        tabStops: all.filter((x) => (x as HTMLElement).tabIndex === 0).length,
        selectedCount: all.filter((x) => x.getAttribute('aria-selected') === 'true').length,
      };
    });

  before(async () => {
    w = await openWebview('contacts', state(), { holdIdle: true });
    await items().first().waitFor({ state: 'attached', timeout: 30_000 });
  });
  after(async () => w?.close());

  it('the first render builds the rows that fill the view, no more than a few beyond (the rest waits for idle time), with the real ARIA sizes', async () => {
    const n = await items().count();
    const { height, lastBottom } = await w.page.evaluate(() => {
      const rows = document.querySelectorAll('[role="treeitem"]');
      return { height: window.innerHeight, lastBottom: rows[rows.length - 1]!.getBoundingClientRect().bottom };
    });
    assert.ok(lastBottom >= height, `the ${n} rows built end at ${lastBottom} px, short of the view's ${height} px`);
    assert.ok(n <= Math.ceil(height / 22) + 20, `first render built ${n} of ${1 + GROUPS + GROUPS * PER_GROUP} rows for a ${height} px view`);
    // The page's codicon stylesheet is a subset (scripts/codicons.mjs): every glyph shown is drawn.
    const blank = await w.page.evaluate(() =>
      [...document.querySelectorAll('.codicon')].filter((el) => ['none', 'normal', '""'].includes(getComputedStyle(el, '::before').content)).map((el) => el.className),
    );
    assert.deepEqual(blank, [], 'codicons without a glyph');
    // Its font is a subset too, made by hb-subset at build time: Chromium's font sanitizer (OTS)
    // accepts it, or every icon would be blank. (Which glyphs it has: test/unit/codicons.test.ts.)
    // The page preloads it (webviewShell): the face must reuse that response, not fetch it again.
    const { faces, fetches } = await w.page.evaluate(async () => {
      await document.fonts.ready;
      return {
        faces: [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'codicon').map((f) => f.status),
        fetches: performance.getEntriesByType('resource').filter((r) => r.name.includes('/codicon.ttf')).length,
      };
    });
    assert.deepEqual(faces, ['loaded'], 'the codicon font face');
    assert.equal(fetches, 1, 'the codicon font is fetched once');
    // Row 3 is the first contact of the first group: it knows its group has 40 members.
    const third = items().nth(2);
    assert.equal(await third.getAttribute('aria-level'), '3');
    assert.equal(await third.getAttribute('aria-setsize'), String(PER_GROUP));
  });

  it('ArrowDown walks across the chunk boundary into rows not built yet; focus, selection and the one tab stop follow', async () => {
    await items().first().focus();
    const before = await items().count();
    const steps = before + 5; // past the last row built
    for (let i = 0; i < steps; i++) await w.page.keyboard.press('ArrowDown');
    const f = await focused();
    assert.equal(f.role, 'treeitem');
    assert.equal(f.index, steps, 'the row under the focus is the one the steps lead to, in tree order');
    // All are available and names sort as built: row k (k >= 1) is a group header every 41 rows, else contact (k-1) % 41 - 1 of group floor((k-1)/41).
    const g = Math.floor((steps - 1) / (PER_GROUP + 1));
    const i = ((steps - 1) % (PER_GROUP + 1)) - 1;
    assert.ok(f.text.includes(i < 0 ? `Group ${pad(g)}` : `User ${pad(g)}-${pad(i)}`), `focused "${f.text}" (expected group ${g}, contact ${i})`);
    assert.equal(f.selected, 'true');
    assert.equal(f.tabStops, 1);
    assert.equal(f.selectedCount, 1);
    assert.ok((await items().count()) > before, 'rows were built up to the focus');
    // And back up across the boundary.
    for (let k = 0; k < 10; k++) await w.page.keyboard.press('ArrowUp');
    assert.equal((await focused()).index, steps - 10);
  });

  it('End reaches the last contact before the rest is built; Home goes back to the account', async () => {
    await w.page.keyboard.press('End');
    const f = await focused();
    assert.ok(f.text.includes(`User ${pad(GROUPS - 1)}-${pad(PER_GROUP - 1)}`), `End focused "${f.text}"`);
    assert.equal(f.posinset, String(PER_GROUP));
    assert.equal(f.setsize, String(PER_GROUP));
    assert.equal(f.index, GROUPS * (PER_GROUP + 1), 'every row before it is built, in order');
    await w.page.keyboard.press('Home');
    const h = await focused();
    assert.equal(h.index, 0);
    assert.equal(h.level, '1');
  });

  it('the toolkit is registered after the first paint, from its own bundle with the page\'s nonce', async () => {
    await w.page.waitForFunction(() => !!customElements.get('vscode-button'), undefined, { timeout: 10_000 });
    assert.equal(await w.page.locator('.welcome vscode-button:defined').count(), 1);
    assert.deepEqual(w.strayRequests, []);
  });

  it('after idle time every row is built, once, in tree order; focus and selection unchanged', async () => {
    await w.page.keyboard.press('ArrowDown');
    await w.page.keyboard.press('ArrowDown');
    await w.releaseIdle();
    await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    assert.equal(await items().count(), 1 + GROUPS + GROUPS * PER_GROUP);
    const keys = await items().evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.key));
    assert.equal(new Set(keys).size, keys.length, 'no row twice');
    const texts = await items().evaluateAll((els) => els.slice(0, 4).map((e) => e.textContent ?? ''));
    assert.ok(texts[1]!.includes('Group 00') && texts[2]!.includes('User 00-00') && texts[3]!.includes('User 00-01'), JSON.stringify(texts));
    const f = await focused();
    assert.equal(f.index, 2);
    assert.equal(f.tabStops, 1);
    assert.equal(f.selectedCount, 1);
  });

  it('a presence change after the fill updates its row in place', async () => {
    const s = state();
    s.accounts[0]!.contacts[PER_GROUP * 30 + 7]!.presence = 'dnd';
    s.accounts[0]!.contacts[PER_GROUP * 30 + 7]!.status = 'in a meeting';
    await w.notify('state', s);
    await w.page.locator('[role="treeitem"]', { hasText: 'in a meeting' }).waitFor({ state: 'attached', timeout: 5000 });
    assert.equal(await items().count(), 1 + GROUPS + GROUPS * PER_GROUP);
  });
});

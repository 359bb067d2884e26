/**
 * Browser side of the code-server tests: Debian's Chromium driven by playwright-core
 * (`npx playwright install` cannot download browsers here, RECIPES.md), plus helpers for the
 * VS Code workbench: run a command from the palette, reach into a webview.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PADLOCK_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // running as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  // launchPersistentContext: plain launch() refuses a --user-data-dir in args, and a profile
  // of our own keeps the host's Chromium profile out of it.
  const profile = mkdtempSync(join(tmpdir(), 'padlock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      // Playwright stops the browser process it launched (and its children) itself.
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the workbench has rendered (activity bar and status bar present). */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Opens a view container from the activity bar by its title (e.g. 'Padlock Chat'). */
export async function openViewContainer(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const label = title.replace(/"/g, '\\"');
  const item = page.locator(`.activitybar li.action-item:has(> a[aria-label^="${label}"])`).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  // Clicking the container that is already open would close the side bar.
  if ((await item.getAttribute('aria-selected')) !== 'true') await item.click();
}

/** Runs a command by its palette title: F1, type, pick the matching entry. */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  // The workbench only handles F1 once it has focus.
  if (!(await input.isVisible())) {
    await page.locator('.monaco-workbench').focus().catch(() => {});
    await page.keyboard.press('F1');
  }
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill(`>${title}`);
  // Wait until the list shows the command (it filters as you type), then run the focused one.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * The content frame of a webview: two iframes deep (`iframe.webview.ready` hosts VS Code's
 * webview shell, whose `#active-frame` holds the extension's HTML).
 *
 * `which` picks the webview when several exist:
 *  - a string or RegExp: the webview's title (for a WebviewView, its view name; for a panel,
 *    the panel title). VS Code sets it as the `title` attribute of `#active-frame`; the outer
 *    iframe carries no title.
 *  - a number: the n-th ready webview in DOM order.
 * `opts.has`: additionally require an element matching this selector inside the webview.
 * Polls until one matches or `timeoutMs` passes (webviews load asynchronously).
 */
export async function webviewFrame(
  page: Page,
  which: string | RegExp | number = 0,
  opts: { has?: string; timeoutMs?: number } = {},
): Promise<FrameLocator> {
  const outer = page.locator('iframe.webview.ready');
  const inner = (i: number) => outer.nth(i).contentFrame().frameLocator('#active-frame');
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const n = await outer.count();
    const candidates = typeof which === 'number' ? (which < n ? [which] : []) : [...Array(n).keys()];
    for (const i of candidates) {
      const active = outer.nth(i).contentFrame().locator('#active-frame');
      if ((await active.count()) === 0) continue;
      if (typeof which !== 'number') {
        const title = (await active.getAttribute('title', { timeout: 1000 }).catch(() => null)) ?? '';
        if (typeof which === 'string' ? title !== which : !which.test(title)) continue;
      }
      const frame = inner(i);
      if (opts.has && (await frame.locator(opts.has).count()) === 0) continue;
      return frame;
    }
    if (Date.now() > deadline) {
      const titles = await Promise.all(
        [...Array(n).keys()].map((i) =>
          outer.nth(i).contentFrame().locator('#active-frame').getAttribute('title', { timeout: 500 }).catch(() => '?'),
        ),
      );
      throw new Error(`no webview matching ${String(which)}${opts.has ? ` with ${opts.has}` : ''}; ready webviews: ${JSON.stringify(titles)}`);
    }
    await page.waitForTimeout(100); // polling interval while webviews load, with a deadline
  }
}

/**
 * Opens the command palette with F1. The key goes to whatever has focus; while a webview that has
 * focus is still loading, the workbench does not see it, so F1 is pressed again (bounded) until
 * the palette shows.
 */
export async function openPalette(page: Page, timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const deadline = Date.now() + timeoutMs;
  await page.locator('.monaco-workbench').focus().catch(() => {});
  while (!(await input.isVisible())) {
    if (Date.now() > deadline) throw new Error('F1 did not open the command palette');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 1000 }).catch(() => {});
  }
}

/**
 * Switches the color theme through the palette ("Preferences: Color Theme"), picking by exact label,
 * and waits until the workbench wears it. `kind` is the workbench class of the theme type.
 *
 * Needed because a workbench opened with extensionDevelopmentPath ignores `workbench.colorTheme`
 * from settings.json (user or workspace) in code-server 4.100.3: it stays on "Light+" (seen
 * even with prefers-color-scheme: dark emulated); without extensionDevelopmentPath the setting works.
 */
export async function setColorTheme(page: Page, label: string, kind: 'vs' | 'vs-dark' | 'hc-black' | 'hc-light', timeoutMs = 15_000): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const row = (text: string) =>
    page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${text}$`) }) }).first();
  const deadline = Date.now() + timeoutMs;
  // The picker lists the themes registered when it opens: right after the workbench appears the
  // built-in theme extensions may not be registered yet (it then only offers "Browse Additional
  // Color Themes..."). Close and reopen it until it lists them, within the deadline.
  for (;;) {
    await openPalette(page, timeoutMs);
    await input.fill('>Preferences: Color Theme');
    await row('Preferences: Color Theme').click({ timeout: timeoutMs });
    const listed = await row('Light Modern')
      .waitFor({ state: 'visible', timeout: Math.max(1, Math.min(3000, deadline - Date.now())) })
      .then(() => true, () => false);
    if (listed) break;
    if (Date.now() > deadline) throw new Error('the color theme picker never listed the built-in themes');
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
  }
  // The picker previews the focused theme; pick by exact label.
  await input.fill(label);
  await row(label).click({ timeout: timeoutMs });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
  await page.locator(`.monaco-workbench.${kind}`).waitFor({ state: 'attached', timeout: timeoutMs });
}

/**
 * Records the text of every notification toast that appears in `page` from now on, in
 * `window.__toasts` (one entry per toast: the same text twice is two notifications); read it
 * with `toastsSoFar`.
 */
export async function recordToasts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __toasts: string[] };
    w.__toasts = [];
    const seen = new WeakSet<Element>();
    const scan = () => {
      for (const el of document.querySelectorAll('.notification-toast')) {
        const text = (el as HTMLElement).innerText.trim();
        if (text && !seen.has(el)) {
          seen.add(el);
          w.__toasts.push(text);
        }
      }
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** The toasts `recordToasts` has seen so far. */
export const toastsSoFar = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __toasts: string[] }).__toasts.slice());

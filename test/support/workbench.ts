/**
 * The start every browser test shares: a real VS Code (code-server) running Padlock from this
 * checkout, optionally with accounts provisioned for a test Prosody, opened in Chromium, the
 * default dark theme (or `theme`) on (for comparable screenshots) and the Padlock view showing. Everything it
 * starts is stopped by `close()` (and by PID at exit, test/support/cleanup.ts); the work folder
 * holds a password file and is removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { launchBrowser, openViewContainer, setColorTheme, waitForWorkbench, webviewFrame, type Browser } from './browser';
import { removeOnExit } from './cleanup';
import { repoRoot, startCodeServer, type CodeServer } from './codeServer';
import type { ProsodyServer } from './prosody';
import { accountsFor, writeProvisionFile } from './provision';

export interface Workbench {
  codeServer: CodeServer;
  browser: Browser;
  page: Page;
  /** The contact tree's webview. */
  tree: FrameLocator;
  /** A temporary folder for the test (removed by close()). */
  work: string;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  /** Names the temporary folder (padlock-ui-NAME-…). */
  name: string;
  /** With `accounts`: Padlock signs these users in to this server at start (user -> password). */
  server?: ProsodyServer;
  accounts?: Record<string, string>;
  /** Files for the workspace folder (name -> content); no folder is opened without them. */
  files?: Record<string, string>;
  /** Runs once the browser exists, before the workbench loads (e.g. to record requests). */
  onBrowser?: (b: Browser) => void;
  /** What the contact tree must show before the workbench counts as ready. */
  treeHas?: string;
  /** The color theme to start in (default: Dark Modern, the README screenshots' theme). */
  theme?: Theme;
}

export interface Theme {
  /** The label in "Preferences: Color Theme". */
  label: string;
  /** The class the workbench wears with it. */
  kind: 'vs' | 'vs-dark' | 'hc-black' | 'hc-light';
}

export const THEMES = {
  light: { label: 'Light Modern', kind: 'vs' },
  dark: { label: 'Dark Modern', kind: 'vs-dark' },
  highContrast: { label: 'Dark High Contrast', kind: 'hc-black' },
  highContrastLight: { label: 'Light High Contrast', kind: 'hc-light' },
} as const satisfies Record<string, Theme>;

export async function openWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const work = mkdtempSync(join(tmpdir(), `padlock-ui-${opts.name}-`));
  removeOnExit(work); // may hold provision.json (a password)
  let folder: string | undefined;
  if (opts.files) {
    folder = join(work, 'project');
    mkdirSync(folder);
    for (const [name, content] of Object.entries(opts.files)) writeFileSync(join(folder, name), content);
  }
  const env: Record<string, string> = {};
  if (opts.server && opts.accounts) env.PADLOCK_PROVISION_FILE = writeProvisionFile(work, accountsFor(opts.server, opts.accounts));
  const [codeServer, browser] = await Promise.all([
    startCodeServer({ extensionDevelopmentPath: repoRoot, ...(folder ? { folder } : {}), env }),
    launchBrowser(),
  ]);
  const close = async () => {
    await browser.close();
    await codeServer.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    opts.onBrowser?.(browser);
    const { page } = browser;
    await page.goto(codeServer.url);
    await waitForWorkbench(page);
    // Once Padlock's activity-bar entry shows, extension contributions (the built-in themes
    // too) are registered: switch to the theme for the screenshots (default dark), then open it.
    await page.locator('.activitybar li.action-item:has(> a[aria-label^="Padlock Chat"])').waitFor({ state: 'visible', timeout: 30_000 });
    const theme = opts.theme ?? THEMES.dark;
    await setColorTheme(page, theme.label, theme.kind);
    await openViewContainer(page, 'Padlock Chat');
    const tree = await webviewFrame(page, /Contacts/, { has: opts.treeHas ?? '[role="tree"]', timeoutMs: 30_000 });
    return { codeServer, browser, page, tree, work, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** For `treeHas`: the contact tree shows `jid` online (Padlock is signed in and has its presence). */
export function contactOnline(jid: string): string {
  return `.row-contact[title="${jid}"] .presence-available`;
}

/**
 * Stops what a browser test started, the workbench first (Chromium, code-server: Padlock does
 * not see its peers and server go away), then the script peers one by one, Prosody last. What
 * was never started (undefined) is skipped.
 */
export async function tearDown(wb: Workbench | undefined, peers: Array<{ stop(): Promise<unknown> } | undefined>, server: ProsodyServer | undefined): Promise<void> {
  await wb?.close();
  for (const p of peers) await p?.stop();
  await server?.kill();
}

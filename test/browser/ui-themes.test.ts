/**
 * Light, dark and high-contrast themes in a real VS Code (code-server + Chromium): the contact
 * tree and a chat with Bob (the demo bot) follow the workbench theme through VS Code's theme
 * variables, with readable text in each. The workbench starts in Light Modern (workbench.ts's
 * `theme` option) and switches to Dark Modern and Dark High Contrast through the palette.
 *
 * Screenshots: docs/screenshots/theme-light.png, theme-dark.png, theme-hc.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { setColorTheme, webviewFrame } from '../support/browser';
import { repoRoot } from '../support/codeServer';
import { befriend, startDemoBot, type DemoBot } from '../support/demoBot';
import { startProsody, type ProsodyServer } from '../support/prosody';
import { contactOnline, openWorkbench, tearDown, THEMES, type Theme, type Workbench } from '../support/workbench';

const SHOTS = join(repoRoot, 'docs', 'screenshots');
const USERS = { alice: 'alice-theme-pw', bob: 'bob-theme-pw', carol: 'carol-theme-pw' };

let server: ProsodyServer;
let wb: Workbench | undefined;
let bot: DemoBot | undefined;
let page: Page;

/** VS Code's class on a webview's body for each kind of theme. */
const BODY_CLASS: Record<Theme['kind'], string> = {
  vs: 'vscode-light',
  'vs-dark': 'vscode-dark',
  'hc-black': 'vscode-high-contrast',
  'hc-light': 'vscode-high-contrast-light',
};

/** WCAG relative luminance contrast of two CSS rgb()/rgba() colors. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Text and background colors of an element, the background taken from the nearest painted ancestor. */
async function colors(frame: FrameLocator, selector: string): Promise<{ fg: string; bg: string }> {
  return frame.locator(selector).first().evaluate((el) => {
    const fg = getComputedStyle(el).color;
    let n: Element | null = el;
    let bg = 'rgba(0, 0, 0, 0)';
    while (n) {
      const c = getComputedStyle(n).backgroundColor;
      if (c && c !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(c)) {
        bg = c;
        break;
      }
      n = n.parentElement;
    }
    return { fg, bg };
  });
}

async function checkTheme(theme: Theme, shot: string): Promise<void> {
  const tree = await webviewFrame(page, /Contacts/, { has: `body.${BODY_CLASS[theme.kind]}` });
  const chat = await webviewFrame(page, 'Bob', { has: `body.${BODY_CLASS[theme.kind]}` });
  await tree.locator('.row-contact[title="bob@localhost"]').waitFor({ state: 'visible' });
  // Readable: contact names and message text stand out from their background (WCAG AA 4.5:1 for
  // body text; high contrast themes go further).
  const min = theme.kind.startsWith('hc') ? 7 : 4.5;
  for (const [frame, sel] of [
    [tree, '.row-contact[title="bob@localhost"]'],
    [chat, '.messages .msg-in .msg-body'],
    [chat, '.messages .msg-out .msg-body'],
  ] as const) {
    const { fg, bg } = await colors(frame, sel);
    const ratio = contrast(fg, bg);
    assert.ok(ratio >= min, `${theme.label}: ${sel} is ${fg} on ${bg}, contrast ${ratio.toFixed(2)} < ${min}`);
  }
  await page.mouse.move(900, 300);
  await page.screenshot({ path: join(SHOTS, shot) });
}

describe('themes (code-server UI)', { timeout: 180_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startProsody({ users: USERS });
    await befriend(server, { user: 'alice', password: USERS.alice }, { user: 'bob', password: USERS.bob, name: 'Bob', group: 'Team' });
    await befriend(server, { user: 'alice', password: USERS.alice }, { user: 'carol', password: USERS.carol, name: 'Carol', group: 'Team' });
    bot = await startDemoBot(server, { user: 'bob', password: USERS.bob, status: 'Reviewing the OTR patch', reply: () => 'Looks good to me. Shall we switch to a private conversation?' });
    wb = await openWorkbench({ name: 'themes', server, accounts: { alice: USERS.alice }, theme: THEMES.light, treeHas: contactOnline('bob@localhost') });
    ({ page } = wb);
    // A chat with Bob: one message each way.
    await wb.tree.locator('.row-contact[title="bob@localhost"]').click();
    const chat = await webviewFrame(page, 'Bob', { has: 'body.loaded' });
    await chat.locator('textarea.composer-input').click();
    await page.keyboard.type('The theme screenshots are ready for review.');
    await page.keyboard.press('Enter');
    await chat.locator('.messages .msg-in .msg-body').first().waitFor({ state: 'visible' });
  });

  after(() => tearDown(wb, [bot], server));

  it('Light Modern: tree and chat wear the light theme, text is readable', async () => {
    await checkTheme(THEMES.light, 'theme-light.png');
  });

  it('Dark Modern: the same, after switching through the palette', async () => {
    await setColorTheme(page, THEMES.dark.label, THEMES.dark.kind);
    await checkTheme(THEMES.dark, 'theme-dark.png');
  });

  it('Dark High Contrast: webviews get the high contrast class and strong contrast', async () => {
    await setColorTheme(page, THEMES.highContrast.label, THEMES.highContrast.kind);
    await checkTheme(THEMES.highContrast, 'theme-hc.png');
  });
});

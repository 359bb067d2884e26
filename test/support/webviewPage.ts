/**
 * One Padlock webview on its own in Chromium, with its real page (src/shared/webviewShell.ts,
 * the same Content-Security-Policy) and its built bundle from out/webview/, served from
 * 127.0.0.1, and a fake host in place of VS Code: `acquireVsCodeApi()` answers `ready` with a
 * given state and records every request; the test pushes notifications as the host would.
 * For what a whole VS Code cannot produce cheaply (500 occupants, hostile data the host would
 * already have sanitised: defence in depth).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';
import type { ChatState0, RoomState0 } from '../../src/shared/protocol';
import { type WebviewName, webviewShell } from '../../src/shared/webviewShell';
import { launchBrowser, type Browser } from './browser';
import { repoRoot } from './codeServer';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml' };

export interface WebviewPage {
  page: Page;
  browser: Browser;
  /** Requests the webview made to the host, in order. */
  requests(): Promise<{ method: string; params: unknown }[]>;
  /** Runs the idle callbacks held so far (opts.holdIdle), and those they schedule, until none are left. */
  releaseIdle(): Promise<void>;
  /** Sends a host notification to the webview. */
  notify(type: string, data: unknown): Promise<void>;
  /** URLs the page asked for that the server does not serve (should stay empty). */
  strayRequests: string[];
  close(): Promise<void>;
}

export interface WebviewOptions {
  /** Chat: the whole history; `earlier` requests are answered from it as src/host/chats.ts does. */
  history?: { id: string }[];
  /**
   * Hold requestIdleCallback callbacks until `releaseIdle()` (deterministic tests of work the
   * webview defers to idle time, e.g. the contact tree's chunked first render).
   */
  holdIdle?: boolean;
  /** The bundle the host would pass (vscode.l10n.bundle of a non-English VS Code). */
  l10n?: Record<string, string>;
  /** Requests the host refuses, by method: answered `ok: false` with this error text. */
  fail?: Record<string, string>;
}

/** Whose panel it is, in chatState() and roomState(): an account signed in. */
const ME = { account: 'me@localhost', accountJid: 'me@localhost', connection: 'online' } as const;

/**
 * What a chat panel gets from its host for `ready` (src/host/chats.ts initialState): me@localhost
 * chatting with Ada, both online, no history, not private; `over` replaces any of it.
 */
export function chatState(over: Partial<ChatState0> = {}): ChatState0 {
  return {
    ...ME,
    jid: 'ada@localhost',
    name: 'Ada',
    presence: 'available',
    messages: [],
    hasEarlier: false,
    otr: { available: true, state: 'plaintext', policy: 'manual', defaultPolicy: 'manual' } as ChatState0['otr'],
    ...over,
  };
}

/**
 * What a room panel gets from its host for `ready` (src/host/rooms.ts initialState): me@localhost
 * joined to lobby@conference.localhost as "me", a participant; no topic, occupants or messages;
 * `over` replaces any of it.
 */
export function roomState(over: Partial<RoomState0> = {}): RoomState0 {
  return {
    ...ME,
    jid: 'lobby@conference.localhost',
    name: 'lobby',
    nick: 'me',
    status: 'joined',
    role: 'participant',
    affiliation: 'none',
    canSetSubject: false,
    bookmarked: false,
    autojoin: false,
    subject: '',
    occupants: [],
    messages: [],
    ...over,
  };
}

export async function openWebview(name: WebviewName, readyState: unknown, opts: WebviewOptions = {}): Promise<WebviewPage> {
  if (!existsSync(join(repoRoot, 'out', 'webview', `${name}.js`))) throw new Error(`out/webview/${name}.js is missing: build first (node esbuild.mjs)`);
  const strayRequests: string[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === '/index.html') {
      // Stylesheets inlined as the host does (src/host/html.ts), read from the repository.
      const css = (...p: string[]) => (existsSync(join(repoRoot, ...p)) ? readFileSync(join(repoRoot, ...p), 'utf8') : undefined);
      const html = webviewShell({ name, title: name, nonce: randomBytes(18).toString('base64'), cspSource: origin, uri: (...p) => `${origin}/${p.join('/')}`, l10n: opts.l10n, css });
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    const file = join(repoRoot, path);
    const allowed = (path.startsWith('/out/') || path.startsWith('/media/')) && !path.includes('..') && existsSync(file);
    if (!allowed) {
      // Chromium asks for a favicon by itself; anything else was the page's doing.
      if (path !== '/favicon.ico') strayRequests.push(req.url ?? '');
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchBrowser();
  const { page } = browser;
  await page.addInitScript(
    ([state, history, holdIdle, fail]) => {
      const w = window as unknown as { __posted: unknown[]; __idle: (() => void)[]; acquireVsCodeApi: () => unknown };
      w.__posted = [];
      w.__idle = [];
      if (holdIdle) {
        (window as unknown as { requestIdleCallback: (cb: () => void) => number }).requestIdleCallback = (cb) => w.__idle.push(cb);
      }
      w.acquireVsCodeApi = () => ({
        postMessage(m: { kind?: string; id?: number; method?: string; params?: { before?: string; limit?: number } }) {
          if (!m || m.kind !== 'request') return;
          w.__posted.push({ method: m.method, params: m.params });
          let result: unknown = m.method === 'ready' ? state : null;
          if (m.method === 'earlier' && history) {
            const end = history.findIndex((x) => x.id === m.params?.before);
            const from = Math.max(0, end - (m.params?.limit ?? 0));
            result = { messages: end < 0 ? [] : history.slice(from, end), hasEarlier: end > 0 && from > 0 };
          }
          const error = fail[m.method ?? ''];
          window.postMessage(error === undefined ? { kind: 'response', id: m.id, ok: true, result } : { kind: 'response', id: m.id, ok: false, error }, '*');
        },
        getState: () => undefined,
        setState: (s: unknown) => s,
      });
    },
    [readyState, opts.history ?? null, opts.holdIdle ?? false, opts.fail ?? {}] as const,
  );
  await page.goto(`${origin}/index.html`);
  return {
    page,
    browser,
    strayRequests,
    requests: () => page.evaluate(() => (window as unknown as { __posted: { method: string; params: unknown }[] }).__posted.slice()),
    releaseIdle: () =>
      page.evaluate(() => {
        const w = window as unknown as { __idle: ((d: { didTimeout: boolean; timeRemaining: () => number }) => void)[] };
        for (let n = 0; w.__idle.length && n < 10_000; n++) w.__idle.shift()!({ didTimeout: false, timeRemaining: () => 50 });
      }),
    notify: (type, data) => page.evaluate(([t, d]) => window.postMessage({ kind: 'notification', type: t, data: d }, '*'), [type, data] as const),
    close: async () => {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
import { type WebviewName, webviewShell } from '../../src/shared/webviewShell';
import { launchBrowser, type Browser } from './browser';
import { repoRoot } from './codeServer';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml' };

export interface WebviewPage {
  page: Page;
  browser: Browser;
  /** Requests the webview made to the host, in order. */
  requests(): Promise<{ method: string; params: unknown }[]>;
  /** Sends a host notification to the webview. */
  notify(type: string, data: unknown): Promise<void>;
  /** URLs the page asked for that the server does not serve (should stay empty). */
  strayRequests: string[];
  close(): Promise<void>;
}

export async function openWebview(name: WebviewName, readyState: unknown): Promise<WebviewPage> {
  if (!existsSync(join(repoRoot, 'out', 'webview', `${name}.js`))) throw new Error(`out/webview/${name}.js is missing: build first (node esbuild.mjs)`);
  const strayRequests: string[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === '/index.html') {
      const html = webviewShell({ name, title: name, nonce: randomBytes(18).toString('base64'), cspSource: origin, uri: (...p) => `${origin}/${p.join('/')}` });
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
  await page.addInitScript((state) => {
    const w = window as unknown as { __posted: unknown[]; acquireVsCodeApi: () => unknown };
    w.__posted = [];
    w.acquireVsCodeApi = () => ({
      postMessage(m: { kind?: string; id?: number; method?: string; params?: unknown }) {
        if (!m || m.kind !== 'request') return;
        w.__posted.push({ method: m.method, params: m.params });
        const result = m.method === 'ready' ? state : null;
        window.postMessage({ kind: 'response', id: m.id, ok: true, result }, '*');
      },
      getState: () => undefined,
      setState: (s: unknown) => s,
    });
  }, readyState);
  await page.goto(`${origin}/index.html`);
  return {
    page,
    browser,
    strayRequests,
    requests: () => page.evaluate(() => (window as unknown as { __posted: { method: string; params: unknown }[] }).__posted.slice()),
    notify: (type, data) => page.evaluate(([t, d]) => window.postMessage({ kind: 'notification', type: t, data: d }, '*'), [type, data] as const),
    close: async () => {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

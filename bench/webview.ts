/**
 * Webviews in Chromium (figures 7 and 8): the production bundles out/webview/chat.js and
 * contacts.js in the HTML that src/host/html.ts makes (same Content-Security-Policy, same
 * stylesheets), served from 127.0.0.1, with a fake host: `acquireVsCodeApi()` answers the
 * `ready` request with a generated state, as the extension does over postMessage.
 *
 *  chat:     10,000 messages of history; time from navigation to the first paint of the
 *            message list, then frame times while scrolling to the top (the chat renders the
 *            newest 200 messages, which come with `ready`, and asks for older pages, `earlier`,
 *            on scroll-up, as src/host/chats.ts answers them).
 *  contacts: 2,000 contacts in 50 groups; time to first paint of the tree, then 20 presence
 *            changes (a full `state` notification each, as the host sends): main-thread work
 *            per change and latency to the next painted frame.
 *
 * "First paint" is taken after the frame that shows the content (requestAnimationFrame, then
 * a MessageChannel task, which runs after that frame's paint); "with its icons" is the first
 * frame after that in which the codicon font has loaded (the same frame when it already had).
 * Generating the fake data is timed and subtracted. Writes JSON to $BENCH_OUT. Needs $BENCH_BUILD_DIR (a production build).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize } from 'node:path';
import { launchBrowser } from '../test/support/browser';
import { webviewHtml } from '../src/host/html';
import { Uri } from './fake-vscode';

const root = process.env.BENCH_BUILD_DIR!;
const RUNS = Number(process.env.BENCH_WEBVIEW_RUNS ?? 5);
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.svg': 'image/svg+xml', '.html': 'text/html' };

/** In-page fake host: runs before the bundle (it carries the page's nonce). */
function fakeHost(kind: 'chat' | 'contacts'): string {
  return `(() => {
  const B = (window.__bench = { genMs: 0, kind: ${JSON.stringify(kind)}, scriptStart: performance.now() });
  const day = 86400000;
  function chatState() {
    const now = Date.now(), n = 10000, messages = new Array(n);
    for (let i = 0; i < n; i++) {
      const out = i % 3 === 0;
      messages[i] = { id: 'm' + i, direction: out ? 'out' : 'in', ts: now - (n - i) * 60000,
        text: i % 17 === 0 ? 'Here is a link https://example.org/page/' + i + ' and \`inline code\` in message ' + i
          : 'Message number ' + i + ': an ordinary sentence of ordinary length, to see how text wraps in a chat.',
        ...(out ? { status: 'delivered' } : {}) };
    }
    B.history = messages;
    // As src/host/chats.ts: the newest page with ready, older pages with 'earlier'.
    return { account: 'me@localhost', accountJid: 'me@localhost', jid: 'ada@localhost', name: 'Ada', presence: 'available',
      connection: 'online', messages: messages.slice(-200), hasEarlier: n > 200,
      otr: { available: true, state: 'plaintext', policy: 'opportunistic', defaultPolicy: 'opportunistic', logging: false } };
  }
  const shows = ['available', 'away', 'dnd', 'offline', 'offline'];
  function contact(g, i, show) {
    return { account: 'me@localhost', jid: 'user' + g + '-' + i + '@localhost', name: 'User ' + g + '-' + i, groups: ['Group ' + g],
      presence: show, status: show === 'away' ? 'back soon' : undefined, subscription: 'both', pendingOut: false, denied: false, unread: 0 };
  }
  // Made on the first ready request, inside the timed (and subtracted) generation like the chat's
  // history: made here at parse time, it was counted as bundle evaluation.
  B.contacts = undefined;
  B.contactsState = () => {
    if (!B.contacts) {
      B.contacts = [];
      for (let g = 0; g < 50; g++) for (let i = 0; i < 40; i++) B.contacts.push(contact(g, i, shows[(g + i) % shows.length]));
    }
    return { accounts: [{ id: 'me@localhost', jid: 'me@localhost', state: 'online', presence: 'available',
      contacts: B.contacts, requests: [], queued: 0 }] };
  };
  window.acquireVsCodeApi = () => ({
    postMessage(m) {
      if (!m || m.kind !== 'request') return;
      const t = performance.now();
      if (m.method === 'earlier') {
        const end = B.history.findIndex((x) => x.id === m.params.before);
        const from = Math.max(0, end - m.params.limit);
        const result = { messages: end < 0 ? [] : B.history.slice(from, end), hasEarlier: end > 0 && from > 0 };
        window.postMessage({ kind: 'response', id: m.id, ok: true, result }, '*');
        return;
      }
      const result = m.method === 'ready' ? (B.kind === 'chat' ? chatState() : B.contactsState()) : undefined;
      B.genMs += performance.now() - t;
      B.readyAsked = t; // the bundle has run up to its ready request
      window.postMessage({ kind: 'response', id: m.id, ok: true, result }, '*');
    },
    getState() { return undefined; },
    setState(s) { return s; },
  });
  // How long each idle-time task of the page runs (the contact tree builds the rows below the
  // view in idle callbacks): a long one delays the next frame.
  B.idleMs = [];
  const ric = window.requestIdleCallback.bind(window);
  window.requestIdleCallback = (cb, opts) => ric((d) => {
    const t = performance.now();
    try { cb(d); } finally { B.idleMs.push(performance.now() - t); }
  }, opts);
  B.afterFrame = () => new Promise((resolve) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve(performance.now());
    ch.port2.postMessage(0);
  }));
  B.firstPaint = new Promise((resolve) => {
    const done = () => B.afterFrame().then(resolve);
    const check = () => {
      if (B.kind === 'chat' ? document.body.classList.contains('shown') : !!document.querySelector('.tree [role=treeitem]')) {
        obs.disconnect();
        B.rendered = performance.now();
        done();
      }
    };
    const obs = new MutationObserver(check);
    obs.observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  });
  // The first frame that shows the content with its icons: the codicon face is font-display:
  // block, so a glyph is drawn blank until the font has loaded, then style and layout run again.
  // (Read right after the first paint's frame: a font load completes in a task of its own.)
  B.iconsPainted = B.firstPaint.then(async (painted) => {
    const face = [...document.fonts].find((f) => f.family.replace(/"/g, '') === 'codicon');
    B.fontAtPaint = face ? face.status : 'none';
    if (!face || face.status === 'loaded' || face.status === 'unloaded') return painted;
    await face.loaded;
    return B.afterFrame();
  });
})();`;
}

function page(kind: 'chat' | 'contacts', origin: string): string {
  // The extension folder is the production build (the host reads the stylesheets it inlines
  // from there); its files are served from the origin's root.
  const webview = { cspSource: origin, asWebviewUri: (u: Uri) => ({ toString: () => origin + u.path.slice(root.replace(/\/$/, '').length) }) };
  const html = webviewHtml(webview as never, Uri.file(root) as never, kind, kind === 'chat' ? 'Ada' : 'Contacts');
  const nonce = /'nonce-([^']+)'/.exec(html)![1];
  // The fake host goes right before the bundle's script tag.
  return html.replace('<script nonce=', `<script nonce="${nonce}">${fakeHost(kind)}</script>\n<script nonce=`);
}

/**
 * BENCH_WEBVIEW_PROFILE=dir: after the timed runs, one more load of each page with a CPU profile
 * (100 µs sampling) and a Chromium trace (parse, style, layout, paint) up to its first paint,
 * written as dir/{chat,contacts}.cpuprofile and .trace.json (open in Chrome DevTools' Performance
 * panel). Not part of the figures: profiling slows the page down.
 */
async function profile(page: import('playwright-core').Page, origin: string, dir: string): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const cdp = await page.context().newCDPSession(page);
  const measure = () =>
    page.evaluate(async () => {
      const B = (window as any).__bench; // eslint-disable-line @typescript-eslint/no-explicit-any
      const painted: number = await B.firstPaint;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const js = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).find((r) => r.name.endsWith('.js'));
      const r1 = (x: number) => Math.round(x * 10) / 10;
      return {
        firstPaint: r1(painted - B.genMs), htmlCss: r1(B.scriptStart), bundleEval: r1(B.readyAsked - B.scriptStart), answerAndRender: r1(B.rendered - B.readyAsked - B.genMs), paint: r1(painted - B.rendered),
        htmlResponseStart: r1(nav.responseStart), htmlResponseEnd: r1(nav.responseEnd), bundleFetchStart: r1(js?.fetchStart ?? NaN), bundleResponseEnd: r1(js?.responseEnd ?? NaN), htmlBytes: nav.decodedBodySize,
      };
    });
  for (const kind of ['contacts', 'chat'] as const) {
    // A trace without the CPU profiler (which slows the page down), then a profile.
    await page.goto('about:blank');
    const events: unknown[] = [];
    const onData = (e: { value: unknown[] }) => events.push(...e.value);
    cdp.on('Tracing.dataCollected', onData);
    const traced = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'loading', 'v8', 'disabled-by-default-v8.compile'] },
    });
    await page.goto(`${origin}/${kind}.html`);
    const traceTimes = await measure();
    await cdp.send('Tracing.end');
    await traced;
    cdp.off('Tracing.dataCollected', onData);
    writeFileSync(join(dir, `${kind}.trace.json`), JSON.stringify({ traceEvents: events }));

    await page.goto('about:blank');
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    await page.goto(`${origin}/${kind}.html`);
    const profileTimes = await measure();
    const { profile: prof } = await cdp.send('Profiler.stop');
    await cdp.send('Profiler.disable');
    writeFileSync(join(dir, `${kind}.cpuprofile`), JSON.stringify(prof));
    process.stderr.write(`  [webview] profiled ${kind}: traced ${JSON.stringify(traceTimes)}, profiled ${JSON.stringify(profileTimes)}\n`);
  }
  await cdp.detach();
}

async function main() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/blank.html') {
      // The floor under "navigation → first script": a page with nothing but one inline script,
      // served and navigated to the same way (about:blank, then this origin).
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body><script>window.__scriptStart = performance.now();</script></body></html>');
      return;
    }
    if (url.pathname === '/chat.html' || url.pathname === '/contacts.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page(url.pathname === '/chat.html' ? 'chat' : 'contacts', `http://${req.headers.host}`));
      return;
    }
    const file = normalize(join(root, url.pathname));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  // A panel-sized viewport, like an editor-area webview.
  const browser = await launchBrowser({ viewport: { width: 900, height: 800 } });
  const errors: string[] = [];
  browser.page.on('pageerror', (e) => errors.push(String(e)));
  browser.page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
  });
  browser.page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); // (favicon.ico; real 404s come from 'response')
  });
  const chat: Array<Record<string, number>> = [];
  const contacts: Array<Record<string, number>> = [];
  const blank: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      await browser.page.goto('about:blank');
      await browser.page.goto(`${origin}/blank.html`);
      blank.push(await browser.page.evaluate(() => (window as unknown as { __scriptStart: number }).__scriptStart));
      await browser.page.goto(`${origin}/chat.html`);
      chat.push(
        await browser.page.evaluate(async () => {
          const B = (window as any).__bench; // eslint-disable-line @typescript-eslint/no-explicit-any
          const painted: number = await B.firstPaint;
          const scroller = document.querySelector('.scroller') as HTMLElement;
          const rows = () => document.querySelectorAll('.messages [role=listitem]').length;
          const initialRows = rows();
          // Scroll up 60 px per frame (a brisk trackpad) for 3 s or until the very top.
          const frames: number[] = [];
          await new Promise<void>((resolve) => {
            let last = 0;
            const t0 = performance.now();
            const step = (ts: number) => {
              if (last) frames.push(ts - last);
              last = ts;
              scroller.scrollTop = Math.max(0, scroller.scrollTop - 60);
              if (performance.now() - t0 > 3000 || (scroller.scrollTop === 0 && (document.querySelector('.load-earlier') as HTMLElement).hidden)) resolve();
              else requestAnimationFrame(step);
            };
            requestAnimationFrame(step);
          });
          const s = [...frames].sort((a, b) => a - b);
          const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
          return {
            firstPaint: painted - B.genMs,
            // Breakdown: page and stylesheets up to the first script; bundle evaluated up to
            // its ready request; answer (structured clone of 10,000 messages) + render; paint.
            htmlCss: B.scriptStart,
            bundleEval: B.readyAsked - B.scriptStart,
            answerAndRender: B.rendered - B.readyAsked - B.genMs,
            paint: painted - B.rendered,
            rendered: B.rendered - B.genMs,
            genMs: B.genMs,
            initialRows,
            rowsAfterScroll: rows(),
            frames: frames.length,
            frameP50: q(0.5),
            frameP95: q(0.95),
            frameMax: s[s.length - 1]!,
            slowFrames: frames.filter((f) => f > 25).length,
            iconsPainted: (await B.iconsPainted) - B.genMs,
            fontLoadedAtPaint: B.fontAtPaint === 'loaded' ? 1 : 0,
          };
        }),
      );
      // From the blank page, as the chat and the baseline: navigation timing starts before the
      // previous document is unloaded, so the tree's "navigation → first script" counted the
      // teardown of the chat just scrolled through 10,000 messages (a sidebar webview loads
      // into a frame of its own, after no such page).
      await browser.page.goto(`${origin}/blank.html`);
      await browser.page.goto(`${origin}/contacts.html`);
      contacts.push(
        await browser.page.evaluate(async () => {
          const B = (window as any).__bench; // eslint-disable-line @typescript-eslint/no-explicit-any
          const painted: number = await B.firstPaint;
          const rows = document.querySelectorAll('.tree [role=treeitem]').length;
          const work: number[] = [];
          const latency: number[] = [];
          let handled = 0;
          // Registered after the view's own listener: runs right after it for the same event.
          window.addEventListener('message', () => (handled = performance.now()));
          const shows = ['available', 'away', 'dnd', 'offline'];
          for (let i = 0; i < 20; i++) {
            await B.afterFrame();
            const idx = (i * 97) % B.contacts.length;
            B.contacts[idx] = { ...B.contacts[idx], presence: shows[i % shows.length], status: `status ${i}` };
            const state = B.contactsState();
            const t0 = performance.now();
            window.postMessage({ kind: 'notification', type: 'state', data: state }, '*');
            await new Promise<void>((r) => {
              const wait = () => (handled >= t0 ? r() : setTimeout(wait, 0));
              wait();
            });
            const handlerMs = handled - t0;
            // The view renders in its requestAnimationFrame callback; ours, queued after it, runs next.
            const renderMs = await new Promise<number>((r) => requestAnimationFrame((ts) => r(performance.now() - ts)));
            work.push(handlerMs + renderMs);
            const p = await new Promise<number>((r) => {
              const ch = new MessageChannel();
              ch.port1.onmessage = () => r(performance.now());
              ch.port2.postMessage(0);
            });
            latency.push(p - t0);
          }
          const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
          // Every row built (1 account, 50 groups, 2,000 contacts): the idle-time fill is over.
          await new Promise<void>((r) => {
            const check = () => (document.querySelectorAll('.tree [role=treeitem]').length >= B.contacts.length + 51 ? r() : requestAnimationFrame(check));
            check();
          });
          return { idleMax: Math.max(0, ...B.idleMs), idleTasks: B.idleMs.length, firstPaint: painted - B.genMs, htmlCss: B.scriptStart, bundleEval: B.readyAsked - B.scriptStart, answerAndRender: B.rendered - B.readyAsked - B.genMs, paint: painted - B.rendered, rendered: B.rendered - B.genMs, genMs: B.genMs, rows, presenceWork: med(work), presenceWorkMax: Math.max(...work), presenceToPaint: med(latency), iconsPainted: (await B.iconsPainted) - B.genMs, fontLoadedAtPaint: B.fontAtPaint === 'loaded' ? 1 : 0 };
        }),
      );
      const [c, n] = [chat.at(-1)!, contacts.at(-1)!];
      process.stderr.write(`  [webview] run ${run + 1}: chat ${c.firstPaint!.toFixed(0)} ms (icons ${c.iconsPainted!.toFixed(0)}), contacts ${n.firstPaint!.toFixed(0)} ms (icons ${n.iconsPainted!.toFixed(0)})\n`);
    }
    if (process.env.BENCH_WEBVIEW_PROFILE) await profile(browser.page, origin, process.env.BENCH_WEBVIEW_PROFILE);
  } finally {
    await browser.close();
    server.close();
  }
  const result = { chat, contacts, blank, errors: [...new Set(errors)].slice(0, 10) };
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result, null, 2));
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

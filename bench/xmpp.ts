/**
 * Message round trips over a real, loopback Prosody (test/support/prosody.ts), figures 3, 4, 6:
 *  - raw @xmpp/client without Padlock's performance patches (bench/upstream.ts; with its bug
 *    fixes), default socket options (Nagle on) and with TCP_NODELAY (the best raw setup)
 *  - the same (TCP_NODELAY) sending the stanzas Padlock sends (stanzas.ts chatMessage): splits
 *    Padlock's difference from raw into what its messages carry and what its layer costs
 *  - raw @xmpp/client (TCP_NODELAY) with the performance patches: what they do alone
 *  - Padlock's AccountSession (src/core/account.ts, with its OTR layer under the manual policy,
 *    as every account has in the extension) in plaintext, between accounts that are not
 *    on each other's rosters (no receipts: XEP-0184 §8, so past the warm-up no requests either:
 *    AccountSession stops asking a contact who does not answer), and between mutual contacts,
 *    as users chat: each message then asks for a receipt and the receiver sends one (four
 *    stanzas)
 *  - two AccountSessions with OtrLayers inside a private conversation
 *  - 1,000 messages in a burst into a private conversation (all delivered, in order)
 *
 * A round trip: A sends, B's client sees the message and echoes it back, A sees the echo.
 * Messages go one at a time (the next leaves when the previous echo came back).
 * Writes JSON to $BENCH_OUT; progress to stderr.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountSession } from '../src/core/account';
import { HistoryStore } from '../src/core/history';
import { fileQueueStore } from '../src/core/queue';
import { nullLogger } from '../src/core/log';
import { OtrLayer } from '../src/core/otr/layer';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../src/core/otr/stores';
import { befriend } from '../test/support/demoBot';
import { upstreamXmpp } from './upstream';
import { startProsody, stopAll, type ProsodyServer } from '../test/support/prosody';
import { randomUUID } from 'node:crypto';
import { chatMessage } from '../src/core/stanzas';
import { client } from '@xmpp/client';
import { xml, type ScriptClient, type XmlElement } from '../test/support/xmppClient';

const N = Number(process.env.BENCH_RTT_N ?? 500);
const BURST = Number(process.env.BENCH_BURST_N ?? 1000);
const log = (m: string) => process.stderr.write(`  [xmpp] ${m}\n`);

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
const stats = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), mean: xs.reduce((a, b) => a + b, 0) / xs.length, ...cpuPerTrip });

/**
 * CPU per round trip, after the warm-up: this process (both clients) and Prosody (from
 * /proc/PID/stat, 10 ms ticks: fine over 500 trips). Where a round trip's time goes when the
 * profile of this process is mostly idle.
 */
let serverPid = -1;
let cpuPerTrip: { clientCpuMs?: number; serverCpuMs?: number } = {};
function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}
function cpuMark(): () => void {
  const c0 = process.cpuUsage();
  const s0 = procCpuMs(serverPid);
  return () => {
    const c = process.cpuUsage(c0);
    cpuPerTrip = { clientCpuMs: (c.user + c.system) / 1000, serverCpuMs: procCpuMs(serverPid) - s0 };
  };
}

const users: Record<string, string> = {};
for (const u of ['r1', 'r2', 'n1', 'n2', 's1', 's2', 'u1', 'u2', 'p1', 'p2', 'o1', 'o2', 'c1', 'c2']) users[u] = `${u}-pw`;

type ClientFactory = typeof client;

/**
 * A raw @xmpp/client session as an application would write it: `client()`, `start()`, initial
 * presence. `nodelay`: setNoDelay(true) on the TCP socket when it connects (the TLS layer added
 * by STARTTLS runs over that same socket); otherwise Node's default (Nagle's algorithm on).
 */
async function rawClient(lib: ClientFactory, server: ProsodyServer, user: string, nodelay: boolean): Promise<ScriptClient> {
  const raw = lib({ service: `xmpp://${server.host}:${server.port}`, domain: server.domain, username: user, password: users[user], tls: { ca: [server.caPem] } } as never) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw.reconnect.stop();
  raw.on('error', () => {});
  if (nodelay) raw.on('connect', () => raw.socket?.setNoDelay?.(true));
  await raw.start();
  await raw.send(xml('presence'));
  const jid = raw.jid.toString();
  return { jid, xmpp: raw, send: (el: XmlElement) => raw.send(el), stop: () => raw.stop().catch(() => {}) } as unknown as ScriptClient;
}

/** A raw pair, signed in for the whole run (as the Padlock pairs are). */
async function rawPair(lib: ClientFactory, server: ProsodyServer, a: string, b: string, nodelay: boolean): Promise<[ScriptClient, ScriptClient]> {
  return [await rawClient(lib, server, a, nodelay), await rawClient(lib, server, b, nodelay)];
}

/** What a raw application sends: a body and an id. */
const minimal = (to: string, id: string, body: string): XmlElement => xml('message', { to, type: 'chat', id }, xml('body', {}, body));
/**
 * What Padlock sends for a message written by the user to these accounts, once past the
 * warm-up (AccountSession's queue, from the same builder): a UUID id and the XEP-0085 <active/>
 * chat state (both sides send chat states, §5.1). No XEP-0184 receipt request: the accounts are
 * not on each other's rosters, so none is answered (§8) and Padlock stops asking after
 * RECEIPT_PATIENCE replies; padlockRtt checks that on the wire.
 */
const padlockStanza = (to: string, _id: string, body: string): XmlElement =>
  chatMessage({ to, id: randomUUID(), body, chatState: 'active' }) as unknown as XmlElement;

/**
 * One round trip's wait for its echo: a pair whose stream the server closed fails the bench
 * with its name instead of hanging it (the published stream management did that once).
 */
function echoed(who: string, start: (resolve: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${who}: no echo within 10 s (connection lost?)`)), 10_000);
    start(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Round trips not counted at the start of each block (or run): the pair's first turns after a pause. */
const WARM = Number(process.env.BENCH_RTT_WARM ?? 3);

async function rawRtt(pair: [ScriptClient, ScriptClient], n: number, stanza = minimal, warm = WARM): Promise<number[]> {
  const [a, b] = pair;
  // B echoes every chat body back; A resolves the waiter of that body.
  const echo = ((el: XmlElement) => {
    if (el.is('message') && el.attrs.type === 'chat') {
      const body = el.getChildText('body');
      if (body !== null) void b.send(stanza(el.attrs.from as string, `e${body}`, body));
    }
  }) as never;
  let waiting: { body: string; resolve: () => void } | undefined;
  const seen = ((el: XmlElement) => {
    if (waiting && el.is('message') && el.getChildText('body') === waiting.body) waiting.resolve();
  }) as never;
  b.xmpp.on('stanza', echo);
  a.xmpp.on('stanza', seen);
  const out: number[] = [];
  let done = () => {};
  for (let i = 0; i < n + warm; i++) {
    const body = `m${i}`;
    const t = performance.now();
    await echoed(`raw ${a.jid}`, (resolve) => {
      waiting = { body, resolve };
      void a.send(stanza(b.jid, `q${i}`, body));
    });
    if (i >= warm) out.push(performance.now() - t);
    if (i === warm - 1) done = cpuMark();
  }
  done();
  const off = (c: ScriptClient, fn: never) => (c.xmpp as unknown as { removeListener(ev: string, fn: unknown): void }).removeListener('stanza', fn);
  off(b, echo);
  off(a, seen);
  cpuPerTrip = { clientCpuMs: cpuPerTrip.clientCpuMs! / n, serverCpuMs: cpuPerTrip.serverCpuMs! / n };
  return out;
}

interface Side {
  s: AccountSession;
  otr: OtrLayer;
  jid: string;
}

async function padlockPair(server: ProsodyServer, dir: string, a: string, b: string, otr: boolean): Promise<[Side, Side]> {
  const mk = async (u: string): Promise<Side> => {
    const jid = `${u}@localhost`;
    // With the extension's stores: history and the outgoing queue on disk (src/host/accounts.ts).
    const s = new AccountSession(
      { id: jid, jid, host: server.host, port: server.port, caPem: [server.caPem] },
      { logger: nullLogger, history: new HistoryStore(join(dir, u)), queueStore: fileQueueStore(join(dir, 'queue', `${u}.json`), nullLogger) },
    );
    // Every account has its OTR layer, as in the extension (src/host/otr.ts); plaintext pairs
    // pass through it under the manual policy (nothing tagged, nothing started), the private
    // pair starts a conversation below.
    const layer = new OtrLayer({ account: s, keys: new MemoryKeyStore(), trust: new MemoryTrustStore(), tags: new MemoryTagStore(), policy: 'manual', logger: nullLogger });
    s.layer = layer;
    if (otr) await layer.ensureKey();
    await s.start(users[u]!);
    return { s, otr: layer, jid };
  };
  const pair: [Side, Side] = [await mk(a), await mk(b)];
  if (otr) {
    const [x, y] = pair;
    const up = (side: Side, contact: string) =>
      side.otr.state(contact) === 'private-unverified' ? Promise.resolve() : side.otr.waitFor('state', (e) => e.contact === contact && e.state === 'private-unverified', 15_000);
    const both = Promise.all([up(x, y.jid), up(y, x.jid)]);
    await x.otr.start(y.jid);
    await both;
  }
  return pair;
}

/** Counts the messages with a XEP-0184 receipt request that reach a session once `start()` is called. */
function requestsSeen(side: Side): { count: number; start(): void; dispose(): void } {
  const conn = (side.s as unknown as { conn: { on(ev: 'stanza', fn: (el: XmlElement) => void): { dispose(): void } } }).conn;
  let counting = false;
  const seen = {
    count: 0,
    start: () => void (counting = true),
    dispose: () => d.dispose(),
  };
  const d = conn.on('stanza', (el) => {
    if (counting && el.is('message') && el.getChild('request', 'urn:xmpp:receipts')) seen.count++;
  });
  return seen;
}

async function padlockRtt(a: Side, b: Side, n: number, expectPrivate: boolean, expectRequests?: boolean, warm = WARM): Promise<number[]> {
  // What goes on the wire after the warm-up: receipt requests or none (see padlockStanza).
  const wire = expectRequests === undefined ? undefined : [requestsSeen(a), requestsSeen(b)];
  // B echoes through its own AccountSession (history, queue, layer: the whole path).
  const d1 = b.s.on('message', ({ contact, message, incoming }) => {
    if (incoming && contact === a.jid) void b.s.sendMessage(a.jid, message.text);
  });
  let waiting: { text: string; resolve: () => void } | undefined;
  let privateSeen = 0;
  const d2 = a.s.on('message', ({ message, incoming }) => {
    if (incoming && waiting && message.text === waiting.text) {
      if (message.private) privateSeen++;
      waiting.resolve();
    }
  });
  const out: number[] = [];
  let done = () => {};
  for (let i = 0; i < n + warm; i++) {
    const text = `m${i}`;
    const t = performance.now();
    await echoed(`Padlock ${a.jid}`, (resolve) => {
      waiting = { text, resolve };
      void a.s.sendMessage(b.jid, text);
    });
    if (i >= warm) out.push(performance.now() - t);
    if (i === warm - 1) {
      done = cpuMark();
      for (const w of wire ?? []) w.start();
    }
  }
  d1.dispose();
  d2.dispose();
  if (expectPrivate && privateSeen !== n + warm) throw new Error(`only ${privateSeen}/${n + warm} echoes were private`);
  for (const w of wire ?? []) w.dispose();
  const requests = (wire ?? []).reduce((sum, w) => sum + w.count, 0);
  if (expectRequests === false && requests) throw new Error(`${requests} messages asked for a receipt after the warm-up`);
  if (expectRequests === true && requests < 2 * n) throw new Error(`only ${requests}/${2 * n} messages asked for a receipt`);
  done();
  cpuPerTrip = { clientCpuMs: cpuPerTrip.clientCpuMs! / n, serverCpuMs: cpuPerTrip.serverCpuMs! / n };
  return out;
}

/** BURST messages written at once by A into the private conversation; B must get all, in order. */
async function burst(a: Side, b: Side, n: number): Promise<{ ms: number; delivered: number; inOrder: boolean; allPrivate: boolean }> {
  const got: string[] = [];
  let allPrivate = true;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const d = b.s.on('message', ({ contact, message, incoming }) => {
    if (!incoming || contact !== a.jid || !message.text.startsWith('burst ')) return;
    got.push(message.text);
    if (!message.private) allPrivate = false;
    if (got.length === n) done();
  });
  const t = performance.now();
  for (let i = 0; i < n; i++) void a.s.sendMessage(b.jid, `burst ${i}`);
  const timeout = new Promise<void>((r) => setTimeout(r, 30_000));
  await Promise.race([finished, timeout]);
  const ms = performance.now() - t;
  d.dispose();
  const inOrder = got.every((m, i) => m === `burst ${i}`);
  return { ms, delivered: got.length, inOrder, allPrivate };
}

let upstream: Awaited<ReturnType<typeof upstreamXmpp>> | undefined;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'padlock-bench-xmpp-'));
  // BENCH_PROSODY_WITHOUT=mam: the same server without message archiving (XEP-0313), which
  // Debian's default config leaves off and Padlock does not use for 1:1 chats.
  const without = (process.env.BENCH_PROSODY_WITHOUT ?? '').split(',').filter(Boolean);
  const server = await startProsody({ users, muc: false, without });
  serverPid = server.pid;
  const result: Record<string, unknown> = {};
  try {
    // BENCH_XMPP_ONLY: a comma-separated subset of nodelay, nagle, same, patched, plain, contacts, otr (e.g.
    // "nodelay,plain": the plaintext ratio to the best raw setup, without the rest).
    const onlyEnv = process.env.BENCH_XMPP_ONLY;
    const only = onlyEnv ? new Set(onlyEnv.split(',').map((s) => s.trim())) : undefined;
    const want = (part: string) => !only || only.has(part);
    // The baseline: @xmpp/client without Padlock's performance patches (bench/upstream.ts).
    upstream = await upstreamXmpp(process.cwd());
    result.upstreamReversed = upstream.reversed;
    if (want('nagle')) {
      log(`raw @xmpp/client, default socket (${N} round trips, ~45 ms each with Nagle)`);
      const pair = await rawPair(upstream.client, server, 'r1', 'r2', false);
      result.rawDefault = stats(await rawRtt(pair, N, minimal, 10));
      await Promise.all(pair.map((c) => c.stop()));
    }
    // The pairs compared with each other run interleaved, in BLOCKS blocks of N / BLOCKS round
    // trips each (raw, plaintext, contacts, private, then the other way round, ...), so that a
    // slower second of this shared machine falls on all of them alike instead of on whichever
    // ran then. Two identical Padlock pairs in one run differed by 2.6-4.0% in 10 blocks, by
    // 0.1-1.0% in 50 (six runs).
    const BLOCKS = Math.max(1, Number(process.env.BENCH_XMPP_BLOCKS ?? 25));
    const per = Math.ceil(N / BLOCKS);
    const acc: Record<string, { xs: number[]; client: number[]; server: number[] }> = {};
    const add = (key: string, xs: number[]) => {
      const a = (acc[key] ??= { xs: [], client: [], server: [] });
      a.xs.push(...xs);
      a.client.push(cpuPerTrip.clientCpuMs!);
      a.server.push(cpuPerTrip.serverCpuMs!);
    };
    const summary = (key: string) => {
      const a = acc[key]!;
      const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
      cpuPerTrip = { clientCpuMs: mean(a.client), serverCpuMs: mean(a.server) };
      return stats(a.xs);
    };
    const plain = want('plain') ? await padlockPair(server, dir, 'p1', 'p2', false) : undefined;
    let contacts: [Side, Side] | undefined;
    if (want('contacts')) {
      await befriend(server, { user: 'c1', password: users.c1! }, { user: 'c2', password: users.c2! });
      contacts = await padlockPair(server, dir, 'c1', 'c2', false);
    }
    const priv = want('otr') ? await padlockPair(server, dir, 'o1', 'o2', true) : undefined;
    let delivered = 0;
    const d = contacts?.[0].s.on('messageStatus', ({ status }) => {
      if (status === 'delivered') delivered++;
    });
    const noDelay = want('nodelay') ? await rawPair(upstream.client, server, 'n1', 'n2', true) : undefined;
    const same = want('same') ? await rawPair(upstream.client, server, 's1', 's2', true) : undefined;
    const patched = want('patched') ? await rawPair(client, server, 'u1', 'u2', true) : undefined;
    const runs: [string, (warm: number) => Promise<number[]>][] = [];
    if (noDelay) runs.push(['rawNoDelay', (warm) => rawRtt(noDelay, per, minimal, warm)]);
    if (same) runs.push(['rawPadlockStanzas', (warm) => rawRtt(same, per, padlockStanza, warm)]);
    if (patched) runs.push(['rawPatched', (warm) => rawRtt(patched, per, minimal, warm)]);
    if (plain) runs.push(['padlockPlain', (warm) => padlockRtt(plain[0], plain[1], per, false, false, warm)]);
    if (contacts) runs.push(['padlockContacts', (warm) => padlockRtt(contacts[0], contacts[1], per, false, true, warm)]);
    if (priv) runs.push(['padlockOtr', (warm) => padlockRtt(priv[0], priv[1], per, true, undefined, warm)]);
    log(`${BLOCKS} blocks of ${per} round trips each: ${runs.map(([k]) => k).join(', ')}`);
    for (let b = 0; b < BLOCKS; b++) {
      // The first block warms each pair up for longer (JIT, and Padlock's receipt and chat-state
      // learning, which the wire check relies on).
      for (const [key, run] of b % 2 ? [...runs].reverse() : runs) add(key, await run(b === 0 ? 10 : WARM));
    }
    d?.dispose();
    await Promise.all([noDelay, same, patched].flatMap((pair) => (pair ? pair.map((c) => c.stop()) : [])));
    for (const [key] of runs) if (acc[key]) result[key] = summary(key);
    if (contacts) {
      result.padlockContacts = { ...(result.padlockContacts as object), delivered };
      // The row is only what it says if receipts really went both ways.
      if (delivered < per * BLOCKS) throw new Error(`only ${delivered}/${per * BLOCKS} messages were marked delivered: no receipts?`);
    }
    for (const pair of [plain, contacts]) {
      if (!pair) continue;
      for (const side of pair) side.otr.dispose();
      await Promise.all([pair[0].s.dispose(), pair[1].s.dispose()]);
    }
    if (priv) {
    const [o1, o2] = priv;
    log(`burst of ${BURST} into the private conversation`);
    const bursts = [];
    // BENCH_XMPP_BURSTS=0 leaves the bursts out (a profile of the round trips alone).
    const runs = Number(process.env.BENCH_XMPP_BURSTS ?? 3);
    for (let i = 0; i < runs; i++) bursts.push(await burst(o1, o2, BURST));
    if (bursts.length) result.burst = { runs: bursts, medianMs: pct(bursts.map((b) => b.ms), 50), n: BURST, ok: bursts.every((b) => b.delivered === BURST && b.inOrder && b.allPrivate) };
    o1.otr.dispose();
    o2.otr.dispose();
    await Promise.all([o1.s.dispose(), o2.s.dispose()]);
    }
  } finally {
    upstream?.cleanup();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = process.env.BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result, null, 2));
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

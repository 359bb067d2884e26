/**
 * Extension-host memory with a long history (figure 9), in a Node process of its own: the core
 * as the host uses it. An AccountSession signed in to a loopback Prosody with a HistoryStore on
 * disk; "idle" is that session online with an empty conversation list. Then 50,000 messages
 * of history across 100 chats are on disk (written through HistoryStore.append, as the session
 * writes them), every chat is opened the way the host's ChatPanel does (`history(jid, 10_000)`,
 * serialised for postMessage) and 10 more messages per chat arrive live over XMPP. RSS and
 * heapUsed after a full GC, before and after. Writes JSON to $BENCH_OUT.
 * Needs --expose-gc.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountSession } from '../src/core/account';
import { HistoryStore } from '../src/core/history';
import { nullLogger } from '../src/core/log';
import type { MessageView } from '../src/shared/protocol';
import { startProsody, stopAll } from '../test/support/prosody';
import { connectClient } from '../test/support/xmppClient';

const CHATS = 100;
const PER_CHAT = 500;
const LIVE_PER_CHAT = 10;
const gc = (globalThis as { gc?: () => void }).gc;

async function snapshot() {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

async function main() {
  if (!gc) throw new Error('run with --expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'padlock-bench-mem-'));
  const server = await startProsody({ users: { me: 'me-pw', peer: 'peer-pw' }, muc: false });
  try {
    const jid = 'me@localhost';
    const history = new HistoryStore(join(dir, 'history'));
    const s = new AccountSession({ id: jid, jid, host: server.host, port: server.port, caPem: [server.caPem] }, { logger: nullLogger, history });
    await s.start('me-pw');
    const idle = await snapshot();

    // History on disk: what a long-used install has. Written before the measurement starts would
    // be the same; writing it here through the store also exercises its per-file chains.
    const contacts = Array.from({ length: CHATS }, (_, i) => `c${i}@localhost`);
    const t0 = Date.now() - PER_CHAT * 60_000;
    await Promise.all(
      contacts.map(async (c) => {
        for (let i = 0; i < PER_CHAT; i++) {
          const m: MessageView = {
            id: `${c}-${i}`,
            direction: i % 2 ? 'in' : 'out',
            text: `message ${i} in the chat with ${c}: some ordinary sentence of a realistic length.`,
            ts: t0 + i * 60_000,
            ...(i % 2 ? {} : { status: 'delivered' as const }),
          };
          await history.append(jid, c, m);
        }
      }),
    );
    // Open every chat as ChatPanel.initialState() does; the host keeps no copy (postMessage clones).
    let loaded = 0;
    let bytes = 0;
    for (const c of contacts) {
      const msgs = await s.history(c, 10_000);
      loaded += msgs.length;
      bytes += JSON.stringify({ kind: 'response', id: 1, ok: true, result: { messages: msgs } }).length;
    }
    // Some live traffic too (100 messages from one peer, through the session's whole receive path).
    const peer = await connectClient({ server, user: 'peer', password: 'peer-pw' });
    let got = 0;
    const all = new Promise<void>((resolve) =>
      s.on('message', ({ incoming }) => {
        if (incoming && ++got === LIVE_PER_CHAT * 10) resolve();
      }),
    );
    for (let i = 0; i < LIVE_PER_CHAT * 10; i++) await peer.sendMessage(jid, `live ${i}`);
    await all;
    await history.flush();
    const after = await snapshot();
    await peer.stop();
    await s.dispose();
    const mb = (b: number) => b / 1024 / 1024;
    const result = {
      chats: CHATS,
      messages: CHATS * PER_CHAT,
      loaded,
      payloadMB: mb(bytes),
      idle: { rssMB: mb(idle.rss), heapMB: mb(idle.heapUsed) },
      after: { rssMB: mb(after.rss), heapMB: mb(after.heapUsed) },
      deltaRssMB: mb(after.rss - idle.rss),
      deltaHeapMB: mb(after.heapUsed - idle.heapUsed),
    };
    if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(result, null, 2));
    else console.log(result);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

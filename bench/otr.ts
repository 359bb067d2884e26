/**
 * OTR performance: the patched `otr` library (patches/otr+0.2.16.patch: native powMod) with
 * native key generation, beside the unpatched library in the same run.
 *
 *   node bench/run.mjs otr            (npm run bench runs it with everything else)
 *
 * The unpatched copy comes from a pristine `npm pack otr@0.2.16` extracted into a temp dir (or
 * from $OTR_PRISTINE_DIR). Figures are medians over repeated runs; "max block" is the longest
 * time the event loop could not run a 1 ms timer (setInterval drift) during that operation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePackedKey } from '../src/core/otr/keys';
import * as patched from '../src/core/otr/lib';

type Lib = { OTR: any; DSA: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function pristine(): { lib: Lib; cleanup: () => void } {
  let dir = process.env.OTR_PRISTINE_DIR;
  let cleanup = () => {};
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), 'otr-pristine-'));
    const tgz = execFileSync('npm', ['pack', 'otr@0.2.16', '--silent', '--pack-destination', tmp], { cwd: tmp, encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', join(tmp, tgz), '-C', tmp]);
    dir = join(tmp, 'package');
    cleanup = () => rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(join(dir, 'index.js'))) throw new Error(`no otr package in ${dir}`);
  const req = createRequire(join(dir, 'index.js'));
  return { lib: req(join(dir, 'index.js')) as Lib, cleanup };
}

/** Longest event-loop block while `fn` runs (1 ms interval drift). */
async function blockDuring<T>(fn: () => Promise<T>): Promise<{ value: T; maxBlockMs: number; ms: number }> {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 1);
    last = now;
  }, 1);
  const t0 = performance.now();
  // Let the interval start before the work.
  await new Promise((r) => setTimeout(r, 3));
  last = performance.now();
  const t1 = performance.now();
  const value = await fn();
  const ms = performance.now() - t1;
  const end = performance.now();
  max = Math.max(max, end - last - 1);
  clearInterval(timer);
  void t0;
  return { value, maxBlockMs: Math.max(0, max), ms };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Two library sessions back to back; each delivered message is its own event-loop turn. */
function wire(lib: Lib, keyA: unknown, keyB: unknown) {
  const mk = (key: unknown, tag: number) => {
    const t = Buffer.alloc(4);
    t.writeUInt32BE(tag);
    const o = new lib.OTR({ priv: key, instance_tag: t.toString('latin1') });
    o.io = (m: string | string[]) => void out(o).push(...([] as string[]).concat(m));
    return o;
  };
  const queues = new Map<unknown, string[]>();
  const out = (o: unknown) => queues.get(o)!;
  const a = mk(keyA, 0x1000);
  const b = mk(keyB, 0x2000);
  queues.set(a, []);
  queues.set(b, []);
  const steps: number[] = [];
  /** Delivers everything pending, one message per turn; records each receive's duration. */
  const pump = async () => {
    for (;;) {
      const qa = out(a);
      const qb = out(b);
      if (!qa.length && !qb.length) return;
      const [from, to] = qa.length ? [qa, b] : [qb, a];
      const msg = from.shift()!;
      await tick();
      const t = performance.now();
      to.receiveMsg(msg);
      steps.push(performance.now() - t);
    }
  };
  return { a, b, pump, steps };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

interface Row {
  keygen: number;
  keygenBlock: number;
  ake: number;
  akeBlock: number;
  smpStep: number;
  smpTotal: number;
  smpBlock: number;
  enc: number;
  dec: number;
}

async function measure(lib: Lib, label: string, runs: { keygen: number; ake: number; smp: number }, nativeKeygen: boolean): Promise<Row> {
  const keygen: number[] = [];
  const keygenBlock: number[] = [];
  const keys: unknown[] = [];
  for (let i = 0; i < Math.max(2, runs.keygen); i++) {
    const r = await blockDuring(async () =>
      nativeKeygen ? lib.DSA.parsePrivate(await generatePackedKey()) : new lib.DSA(null, { nocache: true }),
    );
    keygen.push(r.ms);
    keygenBlock.push(r.maxBlockMs);
    keys.push(r.value);
    process.stderr.write(`  ${label}: keygen ${i + 1} ${r.ms.toFixed(0)} ms\n`);
  }
  const [keyA, keyB] = keys;

  const ake: number[] = [];
  const akeBlock: number[] = [];
  for (let i = 0; i < runs.ake; i++) {
    const w = wire(lib, keyA, keyB);
    const r = await blockDuring(async () => {
      w.a.sendQueryMsg();
      await w.pump();
    });
    if (w.a.msgstate !== 1 || w.b.msgstate !== 1) throw new Error(`${label}: AKE failed`);
    ake.push(r.ms);
    akeBlock.push(Math.max(r.maxBlockMs, ...w.steps));
  }

  const smpStep: number[] = [];
  const smpTotal: number[] = [];
  const smpBlock: number[] = [];
  for (let i = 0; i < runs.smp; i++) {
    const w = wire(lib, keyA, keyB);
    w.a.sendQueryMsg();
    await w.pump();
    w.steps.length = 0;
    let trust: boolean | undefined;
    w.a.on('smp', (type: string, t: boolean) => {
      if (type === 'trust') trust = t;
    });
    w.b.on('smp', (type: string) => {
      if (type === 'question') {
        setImmediate(() => {
          const t = performance.now();
          w.b.smpSecret('the answer');
          w.steps.push(performance.now() - t);
        });
      }
    });
    const r = await blockDuring(async () => {
      const t = performance.now();
      w.a.smpSecret('the answer', 'question?');
      w.steps.push(performance.now() - t);
      while (trust === undefined) {
        await w.pump();
        await tick();
      }
    });
    if (!trust) throw new Error(`${label}: SMP failed`);
    smpTotal.push(r.ms);
    smpStep.push(Math.max(...w.steps));
    smpBlock.push(Math.max(r.maxBlockMs, ...w.steps));
  }

  // Encrypt/decrypt: 200 messages, alternating direction (keys rotate as in a conversation).
  const w = wire(lib, keyA, keyB);
  w.a.sendQueryMsg();
  await w.pump();
  const enc: number[] = [];
  const dec: number[] = [];
  let got = 0;
  w.a.on('ui', () => got++);
  w.b.on('ui', () => got++);
  for (let i = 0; i < 200; i++) {
    const [from, to] = i % 2 ? [w.a, w.b] : [w.b, w.a];
    const text = Buffer.from(`message number ${i} with some ünïcödé`, 'utf8').toString('latin1');
    let t = performance.now();
    const m = from.prepareMsg(text);
    enc.push(performance.now() - t);
    t = performance.now();
    to.receiveMsg(m);
    dec.push(performance.now() - t);
  }
  if (got !== 200) throw new Error(`${label}: ${got}/200 messages decrypted`);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    keygen: median(keygen),
    keygenBlock: median(keygenBlock),
    ake: median(ake),
    akeBlock: median(akeBlock),
    smpStep: median(smpStep),
    smpTotal: median(smpTotal),
    smpBlock: median(smpBlock),
    enc: mean(enc),
    dec: mean(dec),
  };
}

async function main() {
  const { lib: orig, cleanup } = pristine();
  try {
    process.stderr.write('patched…\n');
    const p = await measure({ OTR: patched.OTR, DSA: patched.DSA }, 'patched', { keygen: 5, ake: 30, smp: 10 }, true);
    process.stderr.write('unpatched…\n');
    // Pure-JS DSA keygen takes 1-20 s (a random prime search): two runs keep the whole bench short.
    const u = await measure(orig, 'unpatched', { keygen: Number(process.env.BENCH_OTR_UNPATCHED_KEYGENS ?? 2), ake: 5, smp: 3 }, false);
    const f = (x: number) => (x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(1) : x.toFixed(0));
    const rows: Array<[string, number, number, string]> = [
      ['key generation (ms)', p.keygen, u.keygen, '< 300'],
      ['  longest event-loop block (ms)', p.keygenBlock, u.keygenBlock, '< 50'],
      ['AKE, both sides (ms)', p.ake, u.ake, '< 30'],
      ['  longest event-loop block (ms)', p.akeBlock, u.akeBlock, '< 50'],
      ['SMP, slowest step (ms)', p.smpStep, u.smpStep, '< 100'],
      ['SMP, whole run (ms)', p.smpTotal, u.smpTotal, ''],
      ['  longest event-loop block (ms)', p.smpBlock, u.smpBlock, '< 50'],
      ['encrypt per message (ms)', p.enc, u.enc, '< 1'],
      ['decrypt per message (ms)', p.dec, u.dec, '< 1'],
    ];
    // Under bench/run.mjs ($BENCH_OUT): figures as JSON for the one table, this table to stderr.
    const print = process.env.BENCH_OUT ? (l: string) => process.stderr.write(`${l}\n`) : (l: string) => console.log(l);
    if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ patched: p, unpatched: u }, null, 2));
    print(`| OTR (node ${process.version}) | patched | unpatched 0.2.16 | target |`);
    print('|---|---:|---:|---|');
    for (const [name, a, b, t] of rows) print(`| ${name} | ${f(a)} | ${f(b)} | ${t} |`);
  } finally {
    cleanup();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

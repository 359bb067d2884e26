// Message history on disk (src/core/history.ts), in a fresh temporary directory per test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp, appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HistoryStore } from '../../src/core/history';
import type { MessageView } from '../../src/shared/protocol';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function store(): HistoryStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'padlock-history-'));
  dirs.push(dir);
  return new HistoryStore(dir);
}

const ACC = 'acct-1';
const BOB = 'bob@example.com';

function msg(id: string, extra: Partial<MessageView> = {}): MessageView {
  return { id, direction: 'out', text: `text ${id}`, ts: 1_700_000_000_000 + Number.parseInt(id.replace(/\D/g, '') || '0', 10), ...extra };
}

describe('history: append and load', () => {
  it('records a message as it was when appended, and makes its JSON only when the batch is written', async () => {
    const h = store();
    const m = msg('m1', { status: 'queued' });
    const stringify = JSON.stringify;
    let calls = 0;
    JSON.stringify = ((...a: Parameters<typeof stringify>) => {
      calls++;
      return stringify(...a);
    }) as typeof stringify;
    let done: Promise<void>;
    try {
      done = h.append(ACC, BOB, m);
      assert.equal(calls, 0, 'not on the path of the message being shown and sent');
    } finally {
      JSON.stringify = stringify;
    }
    m.status = 'sent'; // the caller's object changes later; the record says what was appended
    m.text = 'changed';
    await h.flush();
    await done;
    assert.deepEqual((await h.load(ACC, BOB)).map((x) => [x.text, x.status]), [['text m1', 'queued']]);
  });

  it('a contact without history loads as empty', async () => {
    assert.deepEqual(await store().load(ACC, BOB), []);
  });

  it('loads in append order, with every field', async () => {
    const h = store();
    const a = msg('1', { status: 'queued' });
    const b: MessageView = { id: 'in-2', direction: 'in', text: 'héllo 🔒\nsecond line "quoted"', ts: 5 };
    const c: MessageView = { id: 'sys-3', direction: 'system', text: 'Private conversation started.', ts: 6, level: 'warning' };
    await h.append(ACC, BOB, a);
    await h.append(ACC, BOB, b);
    await h.append(ACC, BOB, c);
    assert.deepEqual(await h.load(ACC, BOB), [a, b, c]);
  });

  it('one JSON line per record', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1', { text: 'multi\nline' }));
    await h.updateStatus(ACC, BOB, '1', 'sent');
    const lines = readFileSync(h.fileFor(ACC, BOB), 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(JSON.parse(lines[1]!), { u: '1', status: 'sent' });
  });

  it('folds status updates into their message; the last update wins; unknown ids ignored', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1', { status: 'queued' }));
    await h.append(ACC, BOB, msg('2', { status: 'queued' }));
    await h.updateStatus(ACC, BOB, '1', 'sent');
    await h.updateStatus(ACC, BOB, '1', 'delivered');
    await h.updateStatus(ACC, BOB, '2', 'failed');
    await h.updateStatus(ACC, BOB, 'nope', 'sent');
    const loaded = await h.load(ACC, BOB);
    assert.deepEqual(
      loaded.map((m) => [m.id, m.status]),
      [
        ['1', 'delivered'],
        ['2', 'failed'],
      ],
    );
  });

  it('an update written before its message does not apply', async () => {
    const h = store();
    await h.updateStatus(ACC, BOB, '1', 'delivered');
    await h.append(ACC, BOB, msg('1', { status: 'queued' }));
    assert.equal((await h.load(ACC, BOB))[0]!.status, 'queued');
  });

  it('ignores duplicate ids (the first record wins)', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1', { text: 'first' }));
    await h.append(ACC, BOB, msg('2'));
    await h.append(ACC, BOB, msg('1', { text: 'replayed' }));
    const loaded = await h.load(ACC, BOB);
    assert.deepEqual(
      loaded.map((m) => [m.id, m.text]),
      [
        ['1', 'first'],
        ['2', 'text 2'],
      ],
    );
  });

  it('limit keeps the newest messages, oldest first', async () => {
    const h = store();
    for (let i = 1; i <= 10; i++) await h.append(ACC, BOB, msg(String(i)));
    assert.deepEqual(
      (await h.load(ACC, BOB, 3)).map((m) => m.id),
      ['8', '9', '10'],
    );
    assert.equal((await h.load(ACC, BOB, 100)).length, 10);
    assert.equal((await h.load(ACC, BOB)).length, 10);
  });

  it('clear removes the history', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    await h.clear(ACC, BOB);
    assert.deepEqual(await h.load(ACC, BOB), []);
    await h.clear(ACC, BOB); // clearing nothing is fine
  });
});

describe('history: files', () => {
  it('keeps separate files per account and per contact', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    await h.append(ACC, 'carol@example.com', msg('2'));
    await h.append('acct-2', BOB, msg('3'));
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['1']);
    assert.deepEqual((await h.load(ACC, 'carol@example.com')).map((m) => m.id), ['2']);
    assert.deepEqual((await h.load('acct-2', BOB)).map((m) => m.id), ['3']);
    const files = new Set([h.fileFor(ACC, BOB), h.fileFor(ACC, 'carol@example.com'), h.fileFor('acct-2', BOB)]);
    assert.equal(files.size, 3);
    assert.equal(path.dirname(h.fileFor(ACC, BOB)), path.dirname(h.fileFor(ACC, 'carol@example.com')), 'one folder per account');
  });

  it('file names are hashes: nothing of the JID leaks into the path, hostile JIDs stay inside the directory', () => {
    const h = store();
    for (const contact of ['../../etc/passwd', 'bob@example.com/../../x', 'a'.repeat(3071), 'CON', '']) {
      const f = h.fileFor('../acct', contact);
      assert.ok(f.startsWith(h.dir + path.sep), f);
      assert.match(path.relative(h.dir, f), /^[0-9a-f]{32}[/\\][0-9a-f]{32}\.jsonl$/);
    }
    assert.notEqual(h.fileFor(ACC, 'Bob@example.com'), h.fileFor(ACC, BOB), 'callers pass bare, case-folded JIDs');
  });

  it('creates the file with mode 0600 and its folder with 0700', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    const file = h.fileFor(ACC, BOB);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
  });
});

describe('history: damage and concurrency', () => {
  it('skips a torn last line', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    await h.append(ACC, BOB, msg('2'));
    appendFileSync(h.fileFor(ACC, BOB), '{"id":"3","direction":"out","te');
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['1', '2']);
  });

  it('skips garbage and records of the wrong shape in the middle', async () => {
    const h = store();
    const file = h.fileFor(ACC, BOB);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        JSON.stringify(msg('1')),
        'not json at all',
        '{"id":5,"text":"numeric id"}',
        '{"id":"6"}',
        '{}',
        JSON.stringify(msg('2')),
        '',
      ].join('\n'),
    );
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['1', '2']);
  });

  it(
    'skips lines that are valid JSON but not objects',
    async () => {
      const h = store();
      const file = h.fileFor(ACC, BOB);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, [JSON.stringify(msg('1')), 'null', '42', '"x"', JSON.stringify(msg('2')), ''].join('\n'));
      assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['1', '2']);
    },
  );

  it('a message appended after a torn last line is not lost', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    const file = h.fileFor(ACC, BOB);
    // A crash in the middle of writing the next record leaves a torn line without "\n".
    writeFileSync(file, readFileSync(file, 'utf8') + '{"id":"2","direction":"in","te', { flag: 'w' });
    const fresh = new HistoryStore(path.dirname(path.dirname(file))); // a new process: it has not seen this file yet
    await fresh.append(ACC, BOB, msg('3'));
    assert.deepEqual((await fresh.load(ACC, BOB)).map((m) => m.id), ['1', '3']);
  });

  it('writes again after the history folder was deleted', async () => {
    const h = store();
    await h.append(ACC, BOB, msg('1'));
    const file = path.dirname(h.fileFor(ACC, BOB));
    rmSync(file, { recursive: true });
    await h.append(ACC, BOB, msg('2'));
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['2']);
  });
});

describe('history: batched writes', () => {
  function storeWith(batchMs: number): HistoryStore {
    const dir = mkdtempSync(path.join(tmpdir(), 'padlock-history-'));
    dirs.push(dir);
    return new HistoryStore(dir, { batchMs });
  }

  /** Watches FileHandle writes (each one a hop through the thread pool) until restored. */
  async function watchWrites(): Promise<{ count: () => number; restore: () => void }> {
    const probe = await fsp.open(path.join(tmpdir(), `padlock-probe-${process.pid}`), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    rmSync(path.join(tmpdir(), `padlock-probe-${process.pid}`), { force: true });
    const original = proto.write;
    let n = 0;
    proto.write = function (this: unknown, ...a: unknown[]) {
      n++;
      return original.apply(this, a);
    };
    return { count: () => n, restore: () => (proto.write = original) };
  }

  /** Counts FileHandle writes while `fn` runs. */
  async function countWrites(fn: () => Promise<void>): Promise<number> {
    const w = await watchWrites();
    try {
      await fn();
    } finally {
      w.restore();
    }
    return w.count();
  }

  it('records written within the window, across turns of the event loop, go out in one write, in order', { timeout: 10_000 }, async () => {
    const h = storeWith(600_000); // the window ends with flush() below, not with a timer
    const first = h.append(ACC, BOB, msg('0')); // opens the file first: that is not what is counted
    await h.flush();
    await first;
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const n = await countWrites(async () => {
      const all = [h.append(ACC, BOB, msg('1', { status: 'queued' }))];
      await turn();
      all.push(h.updateStatus(ACC, BOB, '1', 'sent'));
      await turn();
      all.push(h.append(ACC, BOB, msg('2')));
      await h.flush();
      await Promise.all(all);
    });
    assert.equal(n, 1);
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => [m.id, m.status]), [['0', undefined], ['1', 'sent'], ['2', undefined]]);
  });

  it('load, flush and close do not wait for the window', { timeout: 10_000 }, async () => {
    const h = storeWith(600_000);
    const written = h.append(ACC, BOB, msg('1'));
    // Without the kick, load() would wait ten minutes (and the test time out).
    assert.deepEqual((await h.load(ACC, BOB)).map((m) => m.id), ['1']);
    await written;
    const w2 = h.append(ACC, BOB, msg('2'));
    await h.flush();
    assert.match(readFileSync(h.fileFor(ACC, BOB), 'utf8'), /"id":"2"/);
    await w2;
    const w3 = h.append(ACC, BOB, msg('3'));
    await h.close();
    await w3;
    assert.match(readFileSync(h.fileFor(ACC, BOB), 'utf8'), /"id":"3"/);
  });

  it('a conversation in full flow is written when it pauses, or after maxBatchMs at the latest', { timeout: 10_000 }, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'padlock-history-'));
    dirs.push(dir);
    const h = new HistoryStore(dir, { batchMs: 15, maxBatchMs: 100 });
    await h.append(ACC, BOB, msg('0')); // opens the file, with real timers: not what is counted
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    // Timers and the clock are mocked, I/O is not: a few turns let a write that was started reach write().
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    };
    const w = await watchWrites();
    const all: Promise<void>[] = [];
    try {
      // A record every 10 ms, from 0 to 80 ms: the 15 ms quiet period never ends.
      for (let i = 1; i <= 9; i++) {
        all.push(h.append(ACC, BOB, msg(String(i))));
        t.mock.timers.tick(10);
        await settle();
      }
      assert.equal(w.count(), 0, 'written while the conversation was still in full flow');
      all.push(h.append(ACC, BOB, msg('10'))); // at 90 ms
      t.mock.timers.tick(10); // 100 ms after the first record: the longest wait is over
      await settle();
      assert.equal(w.count(), 1, 'not written after the longest wait');
      await Promise.all(all);
      // A record on its own goes out when the quiet period ends.
      const lone = h.append(ACC, BOB, msg('11'));
      t.mock.timers.tick(14);
      await settle();
      assert.equal(w.count(), 1);
      t.mock.timers.tick(1);
      await settle();
      assert.equal(w.count(), 2);
      await lone;
    } finally {
      w.restore();
      t.mock.timers.reset();
    }
    assert.deepEqual(
      (await h.load(ACC, BOB)).map((m) => m.id),
      Array.from({ length: 12 }, (_, i) => String(i)),
    );
  });

  it('append resolves only once the record is on disk', async () => {
    const h = storeWith(20);
    await h.append(ACC, BOB, msg('1'));
    assert.match(readFileSync(h.fileFor(ACC, BOB), 'utf8'), /"id":"1"/);
  });
});

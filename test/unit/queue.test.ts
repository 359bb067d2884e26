// Outgoing message queue (src/core/queue.ts): order, XEP-0198 acknowledgement, holds,
// persistence and concurrent flushes. Senders are fakes; "in flight" is a promise the test
// resolves itself, so nothing depends on timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileQueueStore, OutgoingQueue, type OutgoingItem, type QueueStore, type Sender } from '../../src/core/queue';
import { RecentMap } from '../../src/core/recent';

type Status = { id: string; to: string; status: string; error?: string };

function item(id: string, to = 'a@example.com', persist = true): Omit<OutgoingItem, 'state'> {
  return { id, to, text: `text of ${id}`, ts: 1_700_000_000_000, persist };
}

function record(q: OutgoingQueue): { statuses: Status[]; errors: unknown[] } {
  const statuses: Status[] = [];
  const errors: unknown[] = [];
  q.on('status', (s) => statuses.push(s));
  q.on('error', (e) => errors.push(e));
  return { statuses, errors };
}

/** A sender that resolves at once and records what it sent. */
function recordingSender(result: (it: OutgoingItem) => 'sent' | 'hold' = () => 'sent') {
  const sent: string[] = [];
  const send: Sender = async (it) => {
    sent.push(it.id);
    return result(it);
  };
  return { sent, send };
}

/** A sender whose calls stay pending until the test settles them. */
function manualSender() {
  const calls: Array<{ id: string; resolve: (r: 'sent' | 'hold') => void; reject: (e: unknown) => void }> = [];
  const send: Sender = (it) =>
    new Promise((resolve, reject) => {
      calls.push({ id: it.id, resolve, reject });
    });
  return { calls, send };
}

/** Lets pending promise callbacks run (microtasks only, no timers). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const noSM = () => false;
const withSM = () => true;

class FakeStore implements QueueStore {
  saves: OutgoingItem[][] = [];
  constructor(private readonly initial: OutgoingItem[] = []) {}
  load(): OutgoingItem[] {
    return this.initial;
  }
  save(items: OutgoingItem[]): void {
    // A deep copy: the queue mutates its items (state) after saving.
    this.saves.push(items.map((i) => ({ ...i })));
  }
  get last(): OutgoingItem[] | undefined {
    return this.saves[this.saves.length - 1];
  }
}

describe('queue: order and sending', () => {
  it('keeps the order items were written in', () => {
    const q = new OutgoingQueue();
    const { statuses } = record(q);
    q.enqueue(item('1'));
    q.enqueue(item('2', 'b@example.com'));
    q.enqueue(item('3'));
    assert.equal(q.size, 3);
    assert.deepEqual(
      q.pending().map((i) => [i.id, i.state]),
      [
        ['1', 'queued'],
        ['2', 'queued'],
        ['3', 'queued'],
      ],
    );
    assert.deepEqual(
      statuses.map((s) => [s.id, s.to, s.status]),
      [
        ['1', 'a@example.com', 'queued'],
        ['2', 'b@example.com', 'queued'],
        ['3', 'a@example.com', 'queued'],
      ],
    );
  });

  it('flush without stream management sends in order and removes each item as sent', async () => {
    const q = new OutgoingQueue();
    const { statuses } = record(q);
    ['1', '2', '3'].forEach((id) => q.enqueue(item(id)));
    const { sent, send } = recordingSender();
    await q.flush(send, noSM);
    assert.deepEqual(sent, ['1', '2', '3']);
    assert.equal(q.size, 0);
    assert.deepEqual(
      statuses.filter((s) => s.status === 'sent').map((s) => s.id),
      ['1', '2', '3'],
    );
  });

  it('sends one item at a time: the next waits for the previous send to finish', async () => {
    const q = new OutgoingQueue();
    q.enqueue(item('1'));
    q.enqueue(item('2'));
    const { calls, send } = manualSender();
    const done = q.flush(send, noSM);
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1']);
    assert.equal(q.pending()[0]!.state, 'inflight');
    assert.equal(q.pending()[1]!.state, 'queued');
    calls[0]!.resolve('sent');
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1', '2']);
    calls[1]!.resolve('sent');
    await done;
    assert.equal(q.size, 0);
  });
});

describe('queue: stream management (XEP-0198)', () => {
  it('with SM enabled, items stay in flight until acked()', async () => {
    const q = new OutgoingQueue();
    const { statuses } = record(q);
    q.enqueue(item('1'));
    q.enqueue(item('2'));
    const { sent, send } = recordingSender();
    await q.flush(send, withSM);
    assert.deepEqual(sent, ['1', '2']);
    assert.equal(q.size, 2);
    assert.deepEqual(q.pending().map((i) => i.state), ['inflight', 'inflight']);
    assert.equal(statuses.filter((s) => s.status === 'sent').length, 0);

    // A second flush does not send in-flight items again.
    await q.flush(send, withSM);
    assert.deepEqual(sent, ['1', '2']);

    q.acked('1');
    assert.deepEqual(q.pending().map((i) => i.id), ['2']);
    assert.deepEqual(statuses.filter((s) => s.status === 'sent').map((s) => s.id), ['1']);
    q.acked('unknown-id'); // ignored
    q.acked('1'); // twice: ignored
    assert.equal(q.size, 1);
    assert.equal(statuses.filter((s) => s.status === 'sent').length, 1);
  });

  it('unacked() requeues in place; the next flush resends in the original order', async () => {
    const q = new OutgoingQueue();
    ['1', '2', '3'].forEach((id) => q.enqueue(item(id)));
    const first = recordingSender();
    await q.flush(first.send, withSM);
    assert.deepEqual(first.sent, ['1', '2', '3']);
    q.acked('2');
    // The stream died: the library reports the rest unacknowledged, newest first.
    q.unacked('3');
    q.unacked('1');
    q.unacked('nope');
    assert.deepEqual(
      q.pending().map((i) => [i.id, i.state]),
      [
        ['1', 'queued'],
        ['3', 'queued'],
      ],
    );
    const second = recordingSender();
    await q.flush(second.send, noSM);
    assert.deepEqual(second.sent, ['1', '3']);
    assert.equal(q.size, 0);
  });

  it('requeueInflight() makes every in-flight item sendable again, in order', async () => {
    const q = new OutgoingQueue();
    ['1', '2'].forEach((id) => q.enqueue(item(id)));
    await q.flush(recordingSender().send, withSM);
    q.requeueInflight();
    assert.deepEqual(q.pending().map((i) => i.state), ['queued', 'queued']);
    const again = recordingSender();
    await q.flush(again.send, noSM);
    assert.deepEqual(again.sent, ['1', '2']);
  });
});

describe('queue: failures and holds', () => {
  it('a sender that throws stops the flush, keeps the item queued in place and emits error', async () => {
    const q = new OutgoingQueue();
    const { errors, statuses } = record(q);
    ['1', '2', '3'].forEach((id) => q.enqueue(item(id)));
    const boom = new Error('socket closed');
    const tried: string[] = [];
    await q.flush(async (it) => {
      tried.push(it.id);
      if (it.id === '2') throw boom;
      return 'sent';
    }, noSM);
    assert.deepEqual(tried, ['1', '2'], 'item 3 is not tried after the failure');
    assert.deepEqual(errors, [boom]);
    assert.deepEqual(
      q.pending().map((i) => [i.id, i.state]),
      [
        ['2', 'queued'],
        ['3', 'queued'],
      ],
    );
    assert.equal(statuses.filter((s) => s.status === 'failed').length, 0, 'a send error is not a failed message');

    const next = recordingSender();
    await q.flush(next.send, noSM);
    assert.deepEqual(next.sent, ['2', '3']);
    assert.equal(q.size, 0);
  });

  it("'hold' holds later items to the same contact, not to others", async () => {
    const q = new OutgoingQueue();
    q.enqueue(item('a1', 'alice@example.com'));
    q.enqueue(item('b1', 'bob@example.com'));
    q.enqueue(item('a2', 'alice@example.com'));
    q.enqueue(item('b2', 'bob@example.com'));
    const { sent, send } = recordingSender((it) => (it.to === 'alice@example.com' ? 'hold' : 'sent'));
    await q.flush(send, noSM);
    assert.deepEqual(sent, ['a1', 'b1', 'b2'], 'a2 is never offered while a1 is held');
    assert.deepEqual(
      q.pending().map((i) => [i.id, i.state]),
      [
        ['a1', 'queued'],
        ['a2', 'queued'],
      ],
    );
    // Once the private conversation is up, both go out, in order.
    const later = recordingSender();
    await q.flush(later.send, noSM);
    assert.deepEqual(later.sent, ['a1', 'a2']);
    assert.equal(q.size, 0);
  });

  it('fail() removes the item and emits failed with the reason', () => {
    const store = new FakeStore();
    const q = new OutgoingQueue(store);
    const { statuses } = record(q);
    q.enqueue(item('1'));
    q.enqueue(item('2', 'b@example.com'));
    q.fail('2', 'refused by policy');
    assert.deepEqual(q.pending().map((i) => i.id), ['1']);
    assert.deepEqual(statuses[statuses.length - 1], { id: '2', to: 'b@example.com', status: 'failed', error: 'refused by policy' });
    assert.deepEqual(store.last!.map((i) => i.id), ['1']);
    const n = statuses.length;
    q.fail('2', 'again');
    assert.equal(statuses.length, n, 'failing an unknown id emits nothing');
  });
});

describe('queue: persistence', () => {
  it('loads stored items as queued (in flight at shutdown means unknown: resend)', async () => {
    const store = new FakeStore([
      { ...item('1'), state: 'inflight' },
      { ...item('2'), state: 'queued' },
    ]);
    const q = new OutgoingQueue(store);
    assert.deepEqual(
      q.pending().map((i) => [i.id, i.state]),
      [
        ['1', 'queued'],
        ['2', 'queued'],
      ],
    );
    const { sent, send } = recordingSender();
    await q.flush(send, noSM);
    assert.deepEqual(sent, ['1', '2']);
    assert.deepEqual(store.last, []);
  });

  it('saves on every change, never the persist:false items', async () => {
    const store = new FakeStore();
    const q = new OutgoingQueue(store);
    q.enqueue(item('plain', 'a@example.com', true));
    q.enqueue(item('otr', 'a@example.com', false));
    q.enqueue(item('plain2', 'b@example.com', true));
    assert.equal(store.saves.length, 3);
    assert.deepEqual(store.saves[1]!.map((i) => i.id), ['plain']);
    assert.deepEqual(store.last!.map((i) => i.id), ['plain', 'plain2']);
    assert.equal(q.size, 3, 'the unsaved item is still queued in memory');
    for (const saved of store.saves) assert.ok(saved.every((i) => i.persist && i.id !== 'otr'));
    assert.deepEqual(store.last![0], { ...item('plain'), state: 'queued' });

    await q.flush(recordingSender().send, withSM);
    q.acked('plain');
    assert.deepEqual(store.last!.map((i) => i.id), ['plain2']);
    q.acked('otr');
    q.acked('plain2');
    assert.deepEqual(store.last, []);
  });
});

describe('queue: concurrent flushes', () => {
  it('a flush requested while one runs is not lost', async () => {
    const q = new OutgoingQueue();
    q.enqueue(item('1'));
    const { calls, send } = manualSender();
    const p1 = q.flush(send, noSM);
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1']);
    // Written while the first flush is still sending.
    q.enqueue(item('2'));
    const p2 = q.flush(send, noSM);
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1'], 'never two sends at once');
    calls[0]!.resolve('sent');
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1', '2'], 'the second request was honoured');
    calls[1]!.resolve('sent');
    await Promise.all([p1, p2]);
    assert.equal(q.size, 0);
  });

  it('two flushes started together send each item once', async () => {
    const q = new OutgoingQueue();
    ['1', '2', '3'].forEach((id) => q.enqueue(item(id)));
    const { sent, send } = recordingSender();
    await Promise.all([q.flush(send, noSM), q.flush(send, noSM), q.flush(send, noSM)]);
    assert.deepEqual(sent, ['1', '2', '3']);
  });

  it('an empty-queue flush followed by a non-empty flush actually sends (regression: wedged queue)', async () => {
    const q = new OutgoingQueue();
    const { sent, send } = recordingSender();
    await q.flush(send, noSM);
    q.enqueue(item('1'));
    await q.flush(send, noSM);
    assert.deepEqual(sent, ['1']);
    assert.equal(q.size, 0);
    // And again, to be sure the queue is not stuck after a real send either.
    q.enqueue(item('2'));
    await q.flush(send, noSM);
    assert.deepEqual(sent, ['1', '2']);
  });

  it('the first item is handed to the sender within flush() itself, not a microtask later', () => {
    const q = new OutgoingQueue();
    q.enqueue(item('1'));
    const { calls, send } = manualSender();
    void q.flush(send, noSM);
    // Synchronously: a microtask here would put the write behind whatever the connection had
    // queued in the same turn (the library's processing of the read that brought a message).
    assert.deepEqual(calls.map((c) => c.id), ['1']);
    calls[0]!.resolve('sent');
  });

  it('a message written from inside send (a listener replying at once) goes out after it, once', async () => {
    const q = new OutgoingQueue();
    q.enqueue(item('1'));
    const sent: string[] = [];
    const send: Sender = async (it) => {
      sent.push(it.id);
      if (it.id === '1') {
        // Re-entrant, before the first send has returned: must not start a second loop.
        q.enqueue(item('2'));
        void q.flush(send, noSM);
      }
      return 'sent';
    };
    await q.flush(send, noSM);
    await settle();
    assert.deepEqual(sent, ['1', '2']);
    assert.equal(q.size, 0);
  });

  it('a flush asked for right as a send completes (the last item) is not lost', async () => {
    const q = new OutgoingQueue();
    q.enqueue(item('1'));
    const { calls, send } = manualSender();
    const p1 = q.flush(send, noSM);
    // Queued behind the send's completion, i.e. the loop is about to check for more work.
    void Promise.resolve().then(() => {
      calls[0]!.resolve('sent');
      void Promise.resolve().then(() => {
        q.enqueue(item('2'));
        void q.flush(send, noSM);
      });
    });
    await p1;
    await settle();
    assert.deepEqual(calls.map((c) => c.id), ['1', '2']);
    calls[1]!.resolve('sent');
    await settle();
    assert.equal(q.size, 0);
  });

  it(
    'a flush requested in the same tick as a finished empty flush still sends',
    async () => {
      const q = new OutgoingQueue();
      const { sent, send } = recordingSender();
      const p1 = q.flush(send, noSM); // nothing to send
      q.enqueue(item('1'));
      const p2 = q.flush(send, noSM);
      await Promise.all([p1, p2]);
      assert.deepEqual(sent, ['1']);
      assert.equal(q.size, 0);
    },
  );
});

/** Records the calls of an fs.promises function (the store looks it up at each call). */
function spy(name: 'writeFile' | 'rename'): { length: number; restore(): void } {
  const orig = fsp[name] as (...a: unknown[]) => Promise<void>;
  const calls = { length: 0, restore: () => void ((fsp as unknown as Record<string, unknown>)[name] = orig) };
  (fsp as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
    calls.length++;
    return orig(...a);
  };
  return calls;
}

describe('fileQueueStore: the queue on disk', () => {
  const logger = () => {
    const errors: string[] = [];
    return { errors, log: { error: (m: string) => errors.push(m), warn() {}, info() {}, debug() {} } as never };
  };

  it('writes the newest list once per burst of changes, and reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'padlock-queue-'));
    const file = join(dir, 'sub', 'me%40example.org.json');
    const { errors, log } = logger();
    const store = fileQueueStore(file, log);
    const q = new OutgoingQueue(store);
    const writes = spy('writeFile');
    try {
      for (let i = 0; i < 100; i++) q.enqueue(item(`m${i}`, 'a@example.com', i % 10 !== 0));
      assert.equal(writes.length, 0, 'nothing is serialised or written in the turn the messages are queued');
      await store.flush();
    } finally {
      writes.restore();
    }
    assert.equal(writes.length, 1, `one write for 100 changes in a turn (was one each): ${writes.length}`);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as OutgoingItem[];
    assert.equal(onDisk.length, 90, 'the newest list, without the messages that are not persisted');
    assert.equal(onDisk.at(-1)!.id, 'm99');
    assert.deepEqual(
      new OutgoingQueue(fileQueueStore(file, log)).pending().map((i) => i.id),
      onDisk.map((i) => i.id),
      'a new session loads it, in order',
    );
    assert.deepEqual(errors, []);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes messages still to go at once; a list all on the wire only if it outlives the quiet period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'padlock-queue-'));
    const file = join(dir, 'acct.json');
    const { errors, log } = logger();
    const store = fileQueueStore(file, log);
    const renames = spy('rename');
    const ids = () => (JSON.parse(readFileSync(file, 'utf8')) as OutgoingItem[]).map((i) => i.id);
    try {
      // Offline: the message waits in the queue, so it is written at once.
      store.save([{ ...item('m1'), state: 'queued' }]);
      await new Promise((r) => setImmediate(r));
      await store.flush();
      assert.equal(renames.length, 1);
      assert.deepEqual(ids(), ['m1']);
      // Online: it goes out (in flight) and a second one follows it onto the wire.
      store.save([{ ...item('m1'), state: 'inflight' }]);
      store.save([
        { ...item('m1'), state: 'inflight' },
        { ...item('m2'), state: 'inflight' },
      ]);
      await new Promise((r) => setImmediate(r));
      assert.equal(renames.length, 1, 'not written while both are on the wire (quiet period)');
      // Both acknowledged before the quiet period is over: the list is empty again.
      store.save([]);
      await store.flush();
      assert.equal(renames.length, 2, 'what is pending is written on flush');
      assert.deepEqual(ids(), []);
      store.save([]);
      await store.flush();
      assert.equal(renames.length, 2, 'a list the file already holds is not written again');
    } finally {
      renames.restore();
    }
    assert.deepEqual(errors, []);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs a failed write, loses nothing it still holds, and writes again once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'padlock-queue-'));
    const blocker = join(dir, 'queue');
    writeFileSync(blocker, 'not a folder');
    const file = join(blocker, 'acct.json');
    const { errors, log } = logger();
    const store = fileQueueStore(file, log);
    store.save([{ ...item('m1'), state: 'queued' }]);
    await store.flush();
    assert.equal(errors.length, 1, 'the failure is logged');
    assert.match(errors[0]!, /^queue: /);
    rmSync(blocker);
    store.save([{ ...item('m1'), state: 'queued' }, { ...item('m2'), state: 'queued' }]);
    await store.flush();
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as OutgoingItem[]).map((i) => i.id), ['m1', 'm2']);
    writeFileSync(file, '{not json');
    assert.deepEqual(fileQueueStore(file, log).load(), [], 'a damaged file reads as an empty queue');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('RecentMap', () => {
  it('keeps the newest entries, at least one generation of them, at most two', () => {
    const m = new RecentMap<string, number>(100);
    for (let i = 0; i < 1000; i++) {
      m.set(`k${i}`, i);
      assert.ok(m.size <= 200, `bounded: ${m.size}`);
      for (const back of [0, 1, 50, 99]) if (i - back >= 0) assert.equal(m.get(`k${i - back}`), i - back, `k${i - back} after k${i}`);
    }
    assert.equal(m.has('k0'), false, 'old entries are forgotten');
    assert.equal(m.get('k0'), undefined);
    m.set('k999', -1);
    assert.equal(m.get('k999'), -1, 'the newest value wins');
    assert.equal(m.delete('k999'), true);
    assert.equal(m.has('k999'), false, 'deleted from both generations');
    m.clear();
    assert.equal(m.size, 0);
    assert.throws(() => new RecentMap(0), RangeError);
  });
});

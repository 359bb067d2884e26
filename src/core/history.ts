/**
 * Message history on disk: one JSON-lines file per account and contact, appended to, so a
 * crash loses at most the line being written and a 10,000-message history loads in one read.
 * Status changes (sent, delivered) are appended as small update records and folded in on load.
 *
 * File names are hashes of the JIDs: JIDs may be up to 3071 bytes and contain characters that
 * are not portable in file names.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { MessageStatus, MessageView } from '../shared/protocol';
import { RecentMap } from './recent';

type Line = MessageView | { u: string; status: MessageStatus };

export class HistoryStore {
  private chains = new Map<string, Promise<void>>();
  /** Open append handles by file, least recently used first (see `write`). */
  private readonly handles = new Map<string, fs.FileHandle>();
  /** Per file, the records waiting to be written together (see `write`). */
  private readonly batches = new Map<string, Batch>();
  private readonly batchMs: number;
  private readonly maxBatchMs: number;

  /**
   * `batchMs`: how long a conversation must be quiet before its waiting records are written
   * (default 15 ms); `maxBatchMs`: how long a record may wait at most while records keep coming
   * (default 250 ms). Every write is a hop through the thread pool; on a busy machine each hop
   * costs a context switch right on the path of the message being sent or shown (bench/xmpp.ts).
   * A conversation in full flow (a quick exchange, a burst) thus costs one write per
   * `maxBatchMs`, a message on its own one write 15 ms later. `load`, `flush`, `clear` and
   * `close` start a waiting batch at once, so readers never wait for the window; a crash of
   * the process loses at most the records of the window.
   */
  constructor(
    readonly dir: string,
    opts: { batchMs?: number; maxBatchMs?: number } = {},
  ) {
    this.batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
    this.maxBatchMs = Math.max(this.batchMs, opts.maxBatchMs ?? DEFAULT_MAX_BATCH_MS);
  }

  /**
   * File names already computed (two SHA-256 per record showed in the round-trip profile), for
   * the newest 500 to 1,000 conversations.
   */
  private readonly files = new RecentMap<string, string>(500);

  fileFor(account: string, contact: string): string {
    const key = `${account.length}:${account}${contact}`; // length-prefixed: unambiguous for any strings
    let file = this.files.get(key);
    if (file === undefined) {
      const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
      file = path.join(this.dir, h(account), `${h(contact)}.jsonl`);
      this.files.set(key, file);
    }
    return file;
  }

  append(account: string, contact: string, entry: MessageView): Promise<void> {
    // A copy (its fields are what the line will say even if the caller's object changes), made
    // into JSON when the batch is written: off the path of the message being shown and sent.
    return this.write(account, contact, { ...entry });
  }

  updateStatus(account: string, contact: string, id: string, status: MessageStatus): Promise<void> {
    return this.write(account, contact, { u: id, status });
  }

  /** The last `limit` messages, oldest first. Unreadable lines (a torn write) are skipped. */
  async load(account: string, contact: string, limit = 10_000): Promise<MessageView[]> {
    const file = this.fileFor(account, contact);
    this.batches.get(file)?.start();
    await this.chains.get(file);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const byId = new Map<string, MessageView>();
    const order: MessageView[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      let rec: Line;
      try {
        rec = JSON.parse(line) as Line;
      } catch {
        continue;
      }
      if (!rec || typeof rec !== 'object' || Array.isArray(rec)) continue;
      if ('u' in rec) {
        if (typeof rec.u !== 'string') continue;
        const m = byId.get(rec.u);
        if (m) m.status = rec.status;
      } else if (rec && typeof rec.id === 'string' && typeof rec.text === 'string') {
        if (byId.has(rec.id)) continue;
        byId.set(rec.id, rec);
        order.push(rec);
      }
    }
    return order.length > limit ? order.slice(order.length - limit) : order;
  }

  /** Waits for every pending write (tests, shutdown). */
  async flush(): Promise<void> {
    for (const b of this.batches.values()) b.start();
    await Promise.all(this.chains.values());
  }

  async clear(account: string, contact: string): Promise<void> {
    const file = this.fileFor(account, contact);
    this.batches.get(file)?.start();
    await this.chains.get(file);
    const fh = this.handles.get(file);
    this.handles.delete(file);
    await fh?.close().catch(() => {});
    await fs.rm(file, { force: true });
  }

  /** Closes the open append handles (after pending writes); the store stays usable. */
  async close(): Promise<void> {
    await this.flush();
    const open = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(open.map((fh) => fh.close().catch(() => {})));
  }

  private write(account: string, contact: string, data: Line): Promise<void> {
    const file = this.fileFor(account, contact);
    // Records that arrive within the batch window, or while a write to the same file is in
    // flight, go out together in one write (a message and its status updates, both sides of
    // a quick exchange).
    const open = this.batches.get(file);
    if (open) {
      open.data.push(data);
      open.touch();
      return open.done;
    }
    let start!: () => void;
    const gate = new Promise<void>((r) => (start = r));
    // The quiet period and the longest wait. A record that joins only notes the time; the
    // quiet timer, when it fires, waits again for what is left of the period (no timer per
    // record). Not unref'd: a record waiting for its window must keep the process alive.
    const first = Date.now();
    let last = first;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const go = () => {
      clearTimeout(timer);
      timer = undefined;
      start();
    };
    const quietOver = () => {
      const now = Date.now();
      const due = Math.min(last + this.batchMs, first + this.maxBatchMs);
      if (now >= due) go();
      else timer = setTimeout(quietOver, due - now);
    };
    if (this.batchMs > 0) timer = setTimeout(quietOver, this.batchMs);
    else start();
    const batch: Batch = {
      data: [data],
      done: Promise.resolve(),
      start: go,
      touch: () => {
        last = Date.now();
      },
    };
    this.batches.set(file, batch);
    const prev = this.chains.get(file) ?? Promise.resolve();
    const next = Promise.all([prev, gate]).then(async () => {
      if (this.batches.get(file) === batch) this.batches.delete(file);
      let text = '';
      for (const line of batch.data) text += JSON.stringify(line) + '\n';
      // One append-mode handle per conversation file, kept open: an append is then one
      // write() (one thread-pool hop) instead of open + write + close (+ mkdir). This is on
      // the path of every message shown (bench/xmpp.ts, docs/benchmarks.md).
      let fh = this.handles.get(file);
      // The file (or its folder) was deleted behind our back: an open handle would write into
      // the unlinked file and lose the record. A stat is a few microseconds on the main
      // thread, cheaper than another round through the thread pool.
      if (fh && !existsSync(file)) {
        this.handles.delete(file);
        void fh.close().catch(() => {});
        fh = undefined;
      }
      if (!fh) fh = await this.openForAppend(file);
      else {
        this.handles.delete(file); // re-insert: the map's order is least recently used first
        this.handles.set(file, fh);
      }
      await fh.write(text);
    });
    batch.done = next;
    const settled = next.catch(() => {});
    this.chains.set(file, settled);
    void settled.then(() => {
      if (this.chains.get(file) === settled) this.chains.delete(file);
    });
    return next;
  }

  /** Opens (creating folder and file) for appending; registers the handle; bounded LRU. */
  private async openForAppend(file: string): Promise<fs.FileHandle> {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // A crash may have left a torn last line; start on a new line so the next record is not
    // glued to it (the torn line is skipped on load, the new one must not be).
    const torn = !(await endsWithNewline(file));
    const fh = await fs.open(file, 'a', 0o600);
    try {
      if (torn) await fh.write('\n');
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    this.handles.set(file, fh);
    // Bounded: close the least recently used handles whose files have no write pending.
    for (const [f, h] of this.handles) {
      if (this.handles.size <= MAX_OPEN_HANDLES) break;
      if (f === file || this.chains.has(f)) continue;
      this.handles.delete(f);
      void h.close().catch(() => {});
    }
    return fh;
  }
}

interface Batch {
  /** The records waiting, serialised when the batch is written. */
  data: Line[];
  done: Promise<void>;
  /** Start the write now instead of at the end of the window. */
  start(): void;
  /** Another record joined: the quiet period starts again. */
  touch(): void;
}

/** The quiet period and the longest wait of a waiting record (see the constructor). */
const DEFAULT_BATCH_MS = 15;
const DEFAULT_MAX_BATCH_MS = 250;

/** Conversations whose history file stays open for appending (file descriptors are cheap, not free). */
const MAX_OPEN_HANDLES = 32;

/** True for a missing or empty file, or one whose last byte is a newline. */
async function endsWithNewline(file: string): Promise<boolean> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(file, 'r');
    const { size } = await fh.stat();
    if (size === 0) return true;
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  } finally {
    await fh?.close();
  }
}

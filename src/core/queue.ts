/**
 * The outgoing message queue of one account. Messages written while offline wait here and
 * leave in the order they were written once the account is online again.
 *
 * With stream management (XEP-0198) a message counts as sent only when the server has
 * acknowledged it (<a h=…/>); if the stream dies first and cannot be resumed, the library
 * reports it as unacknowledged and it goes back to `queued`, keeping its place. Without
 * XEP-0198 a message counts as sent once written to the socket (best effort, as in any
 * client on such a server).
 *
 * Exactly one queue exists per account connection, so two writers can never both send the
 * same queued message.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { Emitter } from './emitter';
import type { Logger } from './log';
import type { MessageStatus } from '../shared/protocol';

export interface OutgoingItem {
  id: string;
  /** Bare JID of the contact. */
  to: string;
  text: string;
  ts: number;
  state: 'queued' | 'inflight';
  /** Persist across restarts (false for private-conversation plaintext, never written to disk). */
  persist: boolean;
  /**
   * Only ever send this message encrypted, whatever the OTR policy (a shared code snippet): the
   * layer holds it and starts a private conversation; it fails rather than going out in the clear.
   */
  requirePrivate?: boolean;
}

export interface QueueStore {
  load(): OutgoingItem[];
  save(items: OutgoingItem[]): void;
  /** Writes anything still pending (the session is going away). */
  flush?(): Promise<void>;
}

interface QueueEvents {
  status: { id: string; to: string; status: MessageStatus; error?: string };
  /** A send failed (usually the connection dropped); the item stays queued. */
  error: unknown;
}

export type Sender = (item: OutgoingItem) => Promise<'sent' | 'hold'>;

export class OutgoingQueue extends Emitter<QueueEvents> {
  private items: OutgoingItem[] = [];
  private flushing?: Promise<void>;
  private again = false;

  constructor(private readonly store?: QueueStore) {
    super();
    for (const it of store?.load() ?? []) this.items.push({ ...it, state: 'queued' });
  }

  get size(): number {
    return this.items.length;
  }

  pending(): readonly OutgoingItem[] {
    return this.items;
  }

  enqueue(item: Omit<OutgoingItem, 'state'>): void {
    this.items.push({ ...item, state: 'queued' });
    this.save();
    this.emit('status', { id: item.id, to: item.to, status: 'queued' });
  }

  /**
   * Sends every queued item, one after the other, in order. `send` returns 'hold' when the
   * item cannot go out yet (e.g. waiting for a private conversation); later items to the
   * same contact then wait too, so order per contact is kept.
   */
  flush(send: Sender, smEnabled: () => boolean): Promise<void> {
    // Every call asks for one more pass; a running flush picks it up before it finishes.
    this.again = true;
    if (this.flushing) return this.flushing;
    // `flushing` is set before the loop starts: a flush asked for while the loop runs, even
    // from inside `send` (a listener that writes a message), only sets `again` and waits. The
    // loop starts in this turn, so the first item is written now rather than after a
    // microtask, which would put it behind whatever the connection queued meanwhile: in a quick
    // exchange, ~80 µs of the library's processing of the same read, the acknowledgement it
    // writes included (bench/turn-hook.cjs: one client's turn from reading a message to
    // writing the reply, p50 169 → 86 µs).
    let settle!: () => void;
    const flushing = new Promise<void>((resolve) => (settle = resolve));
    this.flushing = flushing;
    void this.run(send, smEnabled, settle);
    return flushing;
  }

  private async run(send: Sender, smEnabled: () => boolean, settle: () => void): Promise<void> {
    try {
      while (this.again) {
        this.again = false;
        const held = new Set<string>();
        for (const item of [...this.items]) {
          if (item.state !== 'queued' || held.has(item.to)) continue;
          if (!this.items.includes(item)) continue;
          item.state = 'inflight';
          let result: 'sent' | 'hold';
          try {
            result = await send(item);
          } catch (err) {
            // Connection dropped while writing: stays queued, in place, for the next flush
            // (which the reconnect triggers).
            item.state = 'queued';
            this.emit('error', err);
            return;
          }
          if (result === 'hold') {
            item.state = 'queued';
            held.add(item.to);
            continue;
          }
          if (!smEnabled()) this.done(item.id, 'sent');
        }
      }
    } finally {
      // No await between the last `again` check and here, so no request can slip in between
      // them and be lost.
      this.flushing = undefined;
      settle();
    }
  }

  /** XEP-0198 acknowledgement for a stanza id. */
  acked(id: string): void {
    const item = this.items.find((i) => i.id === id);
    if (item) this.done(id, 'sent');
  }

  /** The stream died before the server acknowledged this id: send it again later. */
  unacked(id: string): void {
    const item = this.items.find((i) => i.id === id);
    if (item) item.state = 'queued';
  }

  /** After a disconnect without resumable stream management, anything in flight is unknown: resend. */
  requeueInflight(): void {
    for (const item of this.items) item.state = 'queued';
  }

  /** Remove a message that can never be sent (e.g. refused by policy). */
  fail(id: string, error: string): void {
    const item = this.items.find((i) => i.id === id);
    if (!item) return;
    this.items = this.items.filter((i) => i !== item);
    this.save();
    this.emit('status', { id, to: item.to, status: 'failed', error });
  }

  private done(id: string, status: MessageStatus): void {
    const item = this.items.find((i) => i.id === id);
    if (!item) return;
    this.items = this.items.filter((i) => i !== item);
    this.save();
    this.emit('status', { id, to: item.to, status });
  }

  private save(): void {
    this.store?.save(this.items.filter((i) => i.persist));
  }
}

/**
 * The outgoing queue persisted as a small JSON file per account (plain chats only), replaced
 * atomically (write to a temp file, rename). What it is for: messages that have not left yet
 * (written offline, or held) must survive a restart.
 *
 * The queue saves on every change, but a write costs a mkdir, an open, a write, a close and a
 * rename in the thread pool; one per message and per acknowledgement put them on every
 * message's path (the round trip ~1.5x slower in `npm run bench` once the bench used this
 * store). So: a list holding a message that has not gone out is written at once (a microtask
 * later, whatever is newest then); a list whose messages are all on the wire, waiting for the
 * server's XEP-0198 acknowledgement, is written after QUIET_MS, and not at all if by then it
 * is what the file already says (the usual case: sent and acknowledged meanwhile). A crash in
 * that window can lose only messages the server most likely has; they stay in history.
 */
export function fileQueueStore(file: string, log: Logger, opts: { quietMs?: number } = {}): QueueStore & { flush(): Promise<void> } {
  const quietMs = opts.quietMs ?? QUIET_MS;
  let newest: OutgoingItem[] | undefined;
  let onDisk: string | undefined; // the JSON last written (or read)
  let writer: Promise<void> | undefined;
  let checking = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let folder = false;
  const serialise = (items: OutgoingItem[]) => JSON.stringify(items.map(({ state: _state, ...rest }) => rest));
  const write = async () => {
    while (newest) {
      const data = serialise(newest);
      newest = undefined;
      if (data === onDisk) continue;
      try {
        if (!folder) {
          await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
          folder = true;
        }
        const tmp = `${file}.tmp`;
        await fs.writeFile(tmp, data, { mode: 0o600 });
        await fs.rename(tmp, file);
        onDisk = data;
      } catch (e) {
        folder = false; // deleted behind our back, perhaps: made again next time
        log.error(`queue: ${String(e)}`);
      }
    }
    writer = undefined;
  };
  const writeNow = () => {
    clearTimeout(quiet);
    quiet = undefined;
    writer ??= write();
  };
  return {
    load() {
      try {
        const text = readFileSync(file, 'utf8');
        const items = JSON.parse(text) as OutgoingItem[];
        if (!Array.isArray(items)) return [];
        onDisk = text;
        return items.filter((i) => i && typeof i.id === 'string' && typeof i.text === 'string');
      } catch {
        return [];
      }
    },
    save(items) {
      newest = items;
      if (checking) return;
      checking = true;
      // A microtask later: the message being queued goes out first, and changes made in this
      // turn (queued, then in flight) are seen together.
      queueMicrotask(() => {
        checking = false;
        if (!newest) return;
        if (newest.some((i) => i.state === 'queued')) writeNow();
        else quiet ??= setTimeout(writeNow, quietMs);
      });
    },
    /** Writes what is pending now; resolves when it is on disk (sign-out, shutdown, tests). */
    async flush() {
      await Promise.resolve(); // a save() of this turn has been looked at
      if (newest || quiet) writeNow();
      await writer;
    },
  };
}

/** How long a list of messages that are all on the wire waits before it is written. */
const QUIET_MS = 1000;

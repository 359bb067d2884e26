/**
 * Message history on disk: one JSON-lines file per account and contact, appended to, so a
 * crash loses at most the line being written and a 10,000-message history loads in one read.
 * Status changes (sent, delivered) are appended as small update records and folded in on load.
 *
 * File names are hashes of the JIDs: JIDs may be up to 3071 bytes and contain characters that
 * are not portable in file names.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { MessageStatus, MessageView } from '../shared/protocol';

type Line = MessageView | { u: string; status: MessageStatus };

export class HistoryStore {
  private chains = new Map<string, Promise<void>>();
  /** Files whose last byte we have checked in this process (see `write`). */
  private readonly checked = new Set<string>();

  constructor(readonly dir: string) {}

  fileFor(account: string, contact: string): string {
    const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
    return path.join(this.dir, h(account), `${h(contact)}.jsonl`);
  }

  append(account: string, contact: string, entry: MessageView): Promise<void> {
    return this.write(account, contact, JSON.stringify(entry) + '\n');
  }

  updateStatus(account: string, contact: string, id: string, status: MessageStatus): Promise<void> {
    return this.write(account, contact, JSON.stringify({ u: id, status }) + '\n');
  }

  /** The last `limit` messages, oldest first. Unreadable lines (a torn write) are skipped. */
  async load(account: string, contact: string, limit = 10_000): Promise<MessageView[]> {
    const file = this.fileFor(account, contact);
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
    await Promise.all(this.chains.values());
  }

  async clear(account: string, contact: string): Promise<void> {
    const file = this.fileFor(account, contact);
    await this.chains.get(file);
    await fs.rm(file, { force: true });
    this.checked.delete(file);
  }

  private write(account: string, contact: string, data: string): Promise<void> {
    const file = this.fileFor(account, contact);
    const prev = this.chains.get(file) ?? Promise.resolve();
    const next = prev.then(async () => {
      const append = (text: string) => fs.appendFile(file, text, { encoding: 'utf8', mode: 0o600 });
      const mkdir = () => fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      let prefix = '';
      if (!this.checked.has(file)) {
        await mkdir();
        // A crash may have left a torn last line; start on a new line so this record is not
        // glued to it (the torn line is skipped on load, this one must not be).
        if (!(await endsWithNewline(file))) prefix = '\n';
        this.checked.add(file);
        await append(prefix + data);
        return;
      }
      // The directory was made for this file before: no mkdir per message (it is on the
      // path of every message shown, bench/xmpp.ts). If it was removed meanwhile, make it again.
      try {
        await append(data);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await mkdir();
        await append(data);
      }
    });
    const settled = next.catch(() => {});
    this.chains.set(file, settled);
    void settled.then(() => {
      if (this.chains.get(file) === settled) this.chains.delete(file);
    });
    return next;
  }
}

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

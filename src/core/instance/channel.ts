/**
 * The local channel between the owner window and its followers (issue 7): newline-delimited
 * JSON over a Unix socket (a named pipe on Windows) in the owner's private directory.
 *
 *   request   {"id": 1, "method": "send", "params": {...}}
 *   response  {"id": 1, "result": ...}  or  {"id": 1, "error": "message"}
 *   event     {"event": "message", "data": {...}}
 *
 * Requests are matched to responses by id, with a timeout and an error path, like the webview
 * RPC (src/host/rpc.ts). Either side may send requests and events. A line longer than
 * MAX_LINE, or one that is not JSON, closes that connection with an error: the peer is the same
 * user's other window, so garbage means a bug, never something to guess around.
 *
 * No `vscode` import.
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import { Emitter } from '../emitter';
import { checkOwned, realOs, type LockOs } from './lock';

/** A conversation's whole history can travel in one response. */
const MAX_LINE = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

export type RequestHandler = (method: string, params: unknown, peer: ChannelPeer) => Promise<unknown> | unknown;

export class ChannelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelError';
  }
}

interface PeerEvents {
  event: { event: string; data: unknown };
  close: Error | undefined;
}

/** One end of one connection. */
export class ChannelPeer extends Emitter<PeerEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private buffer = '';
  private closed = false;
  /** Free for the owner of this peer (e.g. the follower's window id). */
  meta: Record<string, unknown> = {};

  constructor(
    private readonly socket: net.Socket,
    private readonly handler: RequestHandler,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    super();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.close(e));
    socket.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request<T = unknown>(method: string, params?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new ChannelError('the channel is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChannelError(`${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write({ id, method, params });
    });
  }

  notify(event: string, data?: unknown): void {
    if (!this.closed) this.write({ event, data });
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ChannelError('the channel closed before the answer came'));
    }
    this.pending.clear();
    this.socket.destroy();
    this.emit('close', err);
  }

  private write(obj: unknown): void {
    this.socket.write(`${JSON.stringify(obj)}\n`);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.onLine(line);
      if (this.closed) return;
    }
    if (this.buffer.length > MAX_LINE) this.close(new ChannelError('a channel message exceeds the size limit'));
  }

  private onLine(line: string): void {
    let msg: { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown; event?: unknown; data?: unknown };
    try {
      msg = JSON.parse(line);
    } catch {
      this.close(new ChannelError('a channel message is not JSON'));
      return;
    }
    if (!msg || typeof msg !== 'object') return this.close(new ChannelError('a channel message is not an object'));
    if (typeof msg.event === 'string') {
      this.emit('event', { event: msg.event, data: msg.data });
    } else if (typeof msg.id === 'number' && typeof msg.method === 'string') {
      const id = msg.id;
      const method = msg.method;
      Promise.resolve()
        .then(() => this.handler(method, msg.params, this))
        .then(
          (result) => this.write({ id, result: result ?? null }),
          (e: unknown) => this.write({ id, error: String((e as Error)?.message ?? e) }),
        );
    } else if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return; // answered after its timeout
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error !== undefined) p.reject(new ChannelError(String(msg.error)));
      else p.resolve(msg.result);
    } else {
      this.close(new ChannelError('a channel message has neither id nor event'));
    }
  }
}

interface ServerEvents {
  connection: ChannelPeer;
  disconnect: ChannelPeer;
}

/** The owner's end: accepts followers, answers their requests, broadcasts events. */
export class ChannelServer extends Emitter<ServerEvents> {
  readonly peers = new Set<ChannelPeer>();

  private constructor(
    private readonly server: net.Server,
    readonly socket: string,
  ) {
    super();
  }

  static async listen(socket: string, handler: RequestHandler, opts: { timeoutMs?: number } = {}): Promise<ChannelServer> {
    if (process.platform !== 'win32') {
      // Left by an earlier process with the same pid (the name contains it): ours to replace.
      await fsp.rm(socket, { force: true });
    }
    const server = net.createServer();
    const cs = new ChannelServer(server, socket);
    server.on('connection', (sock) => {
      const peer = new ChannelPeer(sock, handler, opts.timeoutMs);
      cs.peers.add(peer);
      peer.on('close', () => {
        cs.peers.delete(peer);
        cs.emit('disconnect', peer);
      });
      cs.emit('connection', peer);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The umask decides the socket file's mode at bind time; the directory (0700) is what
      // keeps other users out, the chmod below is a second wall.
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') await fsp.chmod(socket, 0o600);
    return cs;
  }

  broadcast(event: string, data?: unknown): void {
    for (const p of this.peers) p.notify(event, data);
  }

  async close(): Promise<void> {
    for (const p of [...this.peers]) p.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (process.platform !== 'win32') await fsp.rm(this.socket, { force: true });
  }
}

/** A follower's end: connects to the owner's socket after checking it is the same user's. */
export async function connectChannel(
  socket: string,
  handler: RequestHandler,
  opts: { timeoutMs?: number; connectTimeoutMs?: number; os?: LockOs } = {},
): Promise<ChannelPeer> {
  if (process.platform !== 'win32') await checkOwned(socket, opts.os ?? realOs);
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(socket);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ChannelError(`no connection to ${socket}`));
    }, opts.connectTimeoutMs ?? 2000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return new ChannelPeer(sock, handler, opts.timeoutMs);
}

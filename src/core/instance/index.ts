/**
 * One client per OS user, however many VS Code windows (issue 7). An Instance takes the lock
 * (lock.ts) and serves the channel (channel.ts) as the owner, or connects to the owner as a
 * follower. When the owner goes away (its window closed, reloaded or crashed) the connection
 * closes; every follower then races for the lock, exactly one wins (O_EXCL) and becomes the
 * owner, and the others connect to it.
 *
 * No `vscode` import.
 */
import { Emitter } from '../emitter';
import { ChannelPeer, ChannelServer, connectChannel, type RequestHandler } from './channel';
import { acquireLock, type HeldLock, type LockOs } from './lock';

export { ChannelError, ChannelPeer, ChannelServer, connectChannel } from './channel';
export { ForeignOwnerError, acquireLock, type LockInfo, type LockOs } from './lock';

export type Role = 'owner' | 'follower';

export interface InstanceOptions {
  /** The private directory (mode 0700) for the lock and, if short enough, the socket. */
  dir: string;
  /** Answers followers' requests while this window is the owner. */
  onRequest: RequestHandler;
  /** Answers the owner's requests while this window is a follower. */
  onOwnerRequest?: RequestHandler;
  os?: LockOs;
  pid?: number;
  timeoutMs?: number;
  probeTimeoutMs?: number;
}

interface InstanceEvents {
  /** The role was taken or changed (follower -> owner on handover, or a new owner followed). */
  role: Role;
  /** A follower saw its owner go away (before the handover decides the next role). */
  ownerLost: undefined;
  /** An event from the owner (followers only). */
  event: { event: string; data: unknown };
  /** A follower connected to this owner, or left it. */
  peers: number;
}

export class Instance extends Emitter<InstanceEvents> {
  private lock?: HeldLock;
  server?: ChannelServer;
  /** The follower's connection to the owner. */
  peer?: ChannelPeer;
  private current?: Role;
  private disposed = false;
  private electing?: Promise<Role>;

  constructor(private readonly opts: InstanceOptions) {
    super();
  }

  get role(): Role | undefined {
    return this.current;
  }

  /** Takes the lock or follows its owner; resolves with the role. */
  start(): Promise<Role> {
    return this.elect();
  }

  /** Sends an event to every follower (owner only). */
  broadcast(event: string, data?: unknown): void {
    this.server?.broadcast(event, data);
  }

  /** A request to the owner (follower only). */
  request<T>(method: string, params?: unknown, timeoutMs?: number): Promise<T> {
    if (!this.peer || this.peer.isClosed) return Promise.reject(new Error('not connected to the window that owns the connections'));
    return this.peer.request<T>(method, params, timeoutMs);
  }

  private elect(): Promise<Role> {
    if (!this.electing) {
      this.electing = this.electOnce().finally(() => {
        this.electing = undefined;
      });
    }
    return this.electing;
  }

  private async electOnce(): Promise<Role> {
    for (let attempt = 0; ; attempt++) {
      if (this.disposed) throw new Error('disposed');
      const { result, server } = await acquireLock<ChannelServer>(
        { dir: this.opts.dir, os: this.opts.os, pid: this.opts.pid, probeTimeoutMs: this.opts.probeTimeoutMs },
        (socket) => ChannelServer.listen(socket, this.opts.onRequest, { timeoutMs: this.opts.timeoutMs }),
        (s) => s.close(),
      );
      if (result.role === 'owner') {
        this.lock = result.lock;
        this.server = server;
        server!.on('connection', () => this.emit('peers', server!.peers.size));
        server!.on('disconnect', () => this.emit('peers', server!.peers.size));
        if (this.disposed) {
          await this.dispose();
          throw new Error('disposed');
        }
        return this.setRole('owner');
      }
      try {
        const peer = await connectChannel(result.info.socket, this.opts.onOwnerRequest ?? (() => Promise.reject(new Error('no handler'))), {
          timeoutMs: this.opts.timeoutMs,
          os: this.opts.os,
        });
        this.peer = peer;
        peer.on('event', (e) => this.emit('event', e));
        peer.on('close', () => {
          if (this.peer !== peer || this.disposed) return;
          this.peer = undefined;
          this.emit('ownerLost', undefined);
          void this.elect().catch(() => undefined);
        });
        return this.setRole('follower');
      } catch (e) {
        // The owner went away between reading the lock and connecting: elect again.
        if (attempt >= 20) throw e;
      }
    }
  }

  private setRole(role: Role): Role {
    this.current = role;
    this.emit('role', role);
    return role;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const lock = this.lock;
    const server = this.server;
    this.lock = undefined;
    this.server = undefined;
    // Lock first: a follower that sees the socket close finds no lock and takes it at once.
    await lock?.release().catch(() => undefined);
    await server?.close().catch(() => undefined);
    this.peer?.close();
    this.peer = undefined;
  }
}

/**
 * The instance lock (issue 7): of all VS Code windows of one OS user, exactly one owns the XMPP
 * connections. Every window runs its own extension host; the first to create the lock file with
 * O_EXCL becomes the owner and serves a local channel (channel.ts) the others connect to.
 *
 * The lock file records pid, start time and the channel's socket path. A lock left behind by a
 * crashed window (its pid no longer alive, or its socket refusing connections) is stale and
 * taken over. Everything lives in a directory of mode 0700; the directory, the lock file and
 * the socket must belong to the current uid, else they are refused: another user could
 * otherwise plant a lock pointing at their own socket and read every message.
 *
 * No `vscode` import: this runs in unit tests as is.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface LockInfo {
  pid: number;
  /** When the owner took the lock (ms since epoch). */
  startedAt: number;
  /** The owner's channel: a Unix socket path, or a Windows named pipe. */
  socket: string;
}

/** Raised when a file or directory of the lock belongs to another OS user. */
export class ForeignOwnerError extends Error {
  constructor(readonly file: string, readonly uid: number) {
    super(`${file} belongs to another user (uid ${uid}); refusing to use it`);
    this.name = 'ForeignOwnerError';
  }
}

/** What the lock needs from the OS, injectable so tests can simulate another user. */
export interface LockOs {
  /** The current uid; undefined where there are no uids (Windows: pipes are per-session ACL'd). */
  uid(): number | undefined;
  stat(file: string): Promise<{ uid: number; mode: number }>;
  /** Whether a process with this pid exists. */
  alive(pid: number): boolean;
}

export const realOs: LockOs = {
  uid: () => (typeof process.getuid === 'function' ? process.getuid() : undefined),
  stat: (f) => fsp.stat(f),
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      // EPERM: it exists but is not ours (a pid reused by another user's process).
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

export interface LockOptions {
  /** The directory for the lock (the extension's global storage, or a test's temp dir). */
  dir: string;
  os?: LockOs;
  /** The pid written into the lock (tests run several "windows" in one process). */
  pid?: number;
  /** How long a connection attempt to the owner's socket may take before it counts as dead. */
  probeTimeoutMs?: number;
}

export interface HeldLock {
  readonly info: LockInfo;
  readonly file: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

export type LockResult = { role: 'owner'; lock: HeldLock } | { role: 'follower'; info: LockInfo };

const LOCK_NAME = 'owner.lock';
const GUARD_NAME = 'owner.lock.takeover';
/** A takeover guard older than this was left by a window that crashed in the middle of one. */
const GUARD_STALE_MS = 10_000;
/** sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100;

/** Makes `dir` (mode 0700) and checks that it is ours. */
export async function ensurePrivateDir(dir: string, o: LockOs = realOs): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = o.uid();
  if (uid === undefined) return;
  const st = await o.stat(dir);
  if (st.uid !== uid) throw new ForeignOwnerError(dir, st.uid);
  // An existing directory keeps its old mode; ours must not be listable by others.
  if ((st.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

/** Throws ForeignOwnerError if `file` exists and is not ours. */
export async function checkOwned(file: string, o: LockOs = realOs): Promise<void> {
  const uid = o.uid();
  if (uid === undefined) return;
  const st = await o.stat(file);
  if (st.uid !== uid) throw new ForeignOwnerError(file, st.uid);
}

/**
 * The socket path for an owner. Unix socket paths are short (sun_path): when the storage
 * directory is too deep, a private 0700 directory under the temp dir, named after a hash of it,
 * is used instead. On Windows it is a named pipe, named after the directory (the pipe namespace
 * is global; the default pipe ACL grants the creating user and administrators only).
 */
export async function socketPathFor(dir: string, pid: number, o: LockOs = realOs): Promise<string> {
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\padlock-${hash}-${pid}`;
  const name = `owner-${pid}.sock`;
  if (Buffer.byteLength(path.join(dir, name)) <= MAX_SOCKET_PATH) return path.join(dir, name);
  const short = path.join(os.tmpdir(), `padlock-${o.uid() ?? 'u'}-${hash}`);
  await ensurePrivateDir(short, o);
  return path.join(short, name);
}

/** Resolves true if something accepts connections at `socket` within `timeoutMs`. */
export function probe(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socket);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      c.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
  });
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.startedAt === 'number' && typeof v.socket === 'string' && v.socket.length < 1024) {
      return { pid: v.pid, startedAt: v.startedAt, socket: v.socket };
    }
  } catch {
    /* torn or foreign content: treated as stale below */
  }
  return undefined;
}

/**
 * Tries to become the owner. `listen` is called with the socket path before the lock is
 * written, so a lock on disk always names a socket that already accepts connections: a lock
 * whose socket refuses is then reliably stale. If the lock is not ours, `listen`'s result is
 * closed through `unlisten`.
 */
export async function acquireLock<S>(
  opts: LockOptions,
  listen: (socket: string) => Promise<S>,
  unlisten: (server: S) => Promise<void>,
): Promise<{ result: LockResult; server?: S }> {
  const o = opts.os ?? realOs;
  const pid = opts.pid ?? process.pid;
  await ensurePrivateDir(opts.dir, o);
  const file = path.join(opts.dir, LOCK_NAME);
  for (let attempt = 0; attempt < 40; attempt++) {
    const existing = await readLock(file, o);
    if (existing) {
      if (await isLive(existing, o, opts.probeTimeoutMs)) {
        await checkSocketOwned(existing.socket, o);
        return { result: { role: 'follower', info: existing } };
      }
      // Stale: remove it under the takeover guard, so that two windows finding the same stale
      // lock cannot delete each other's fresh one.
      const took = await withGuard(opts.dir, o, async () => {
        const again = await readLock(file, o);
        if (again && again.pid === existing.pid && again.startedAt === existing.startedAt && !(await isLive(again, o, opts.probeTimeoutMs))) {
          await fsp.rm(file, { force: true });
        }
      });
      // Another window holds the guard: give it a moment to finish its takeover.
      if (!took) await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const socket = await socketPathFor(opts.dir, pid, o);
    const server = await listen(socket);
    const info: LockInfo = { pid, startedAt: Date.now(), socket };
    try {
      const fh = await fsp.open(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      try {
        await fh.writeFile(JSON.stringify(info));
      } finally {
        await fh.close();
      }
    } catch (e) {
      await unlisten(server);
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // another window was faster
      throw e;
    }
    const lock: HeldLock = {
      info,
      file,
      release: async () => {
        const now = await readLock(file, o).catch(() => undefined);
        if (now && now.pid === info.pid && now.startedAt === info.startedAt) await fsp.rm(file, { force: true });
      },
    };
    return { result: { role: 'owner', lock }, server };
  }
  throw new Error('could not take or follow the instance lock (it keeps changing)');
}

/** Reads the lock; undefined if there is none. Torn content counts as a dead lock (pid 0). */
async function readLock(file: string, o: LockOs): Promise<LockInfo | undefined> {
  let text: string;
  try {
    await checkOwned(file, o);
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseLock(text) ?? { pid: 0, startedAt: 0, socket: '' };
}

async function isLive(info: LockInfo, o: LockOs, probeTimeoutMs?: number): Promise<boolean> {
  if (!info.pid || !info.socket || !o.alive(info.pid)) return false;
  return probe(info.socket, probeTimeoutMs);
}

async function checkSocketOwned(socket: string, o: LockOs): Promise<void> {
  if (process.platform === 'win32') return;
  await checkOwned(socket, o);
}

async function withGuard(dir: string, o: LockOs, fn: () => Promise<void>): Promise<boolean> {
  const guard = path.join(dir, GUARD_NAME);
  const token = randomBytes(8).toString('hex');
  try {
    await fsp.writeFile(guard, token, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Someone else is taking over; a guard left by a crash is removed after a while.
    const st = await fsp.stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > GUARD_STALE_MS) await fsp.rm(guard, { force: true });
    return false;
  }
  try {
    await checkOwned(guard, o);
    await fn();
    return true;
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

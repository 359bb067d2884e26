/**
 * Last-resort cleanup for the processes the test support starts (Prosody, code-server;
 * Chromium is handled by Playwright itself): whatever a test forgets to stop is killed by PID
 *  - when the test process exits or is stopped by SIGINT/SIGTERM/SIGHUP (exit handlers), and
 *  - when it dies in a way no handler sees (SIGKILL from a CI or tool timeout, a crash): a
 *    watchdog per child, `sh` reading a pipe from us, kills the child when the pipe closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

interface Tracked {
  child: ChildProcess;
  /** Kill the whole process group (the child was spawned with detached: true). */
  group: boolean;
}

const tracked = new Set<Tracked>();
const tempDirs = new Set<string>();
let installed = false;

function killTracked(t: Tracked, signal: NodeJS.Signals): void {
  const pid = t.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(t.group ? -pid : pid, signal);
  } catch {
    /* already gone */
  }
}

function killAllSync(): void {
  for (const t of tracked) killTracked(t, 'SIGKILL');
  tracked.clear();
  if (!process.env.PADLOCK_KEEP_TMP) {
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
  }
  tempDirs.clear();
}

/**
 * Removes `dir` when this process exits (after its processes are killed), unless
 * PADLOCK_KEEP_TMP=1 is set to keep configs and logs for a post-mortem.
 */
export function removeOnExit(dir: string): void {
  install();
  tempDirs.add(dir);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  // 'exit' does not run when a signal ends the process: node --test stops a timed-out or
  // cancelled test file with SIGTERM, Ctrl-C sends SIGINT. Kill ours, then die of the same
  // signal (the listener is gone by then, so the default action applies).
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync();
      process.kill(process.pid, sig);
    });
  }
}

/**
 * A process that SIGKILLs `target` (a PID, or -PGID for a group) once our end of its stdin
 * closes, i.e. when this process is gone however it died. Detached into its own process group
 * so that killing the test runner's group does not take the watchdog with it.
 */
function watchdog(target: number): ChildProcess {
  const w = spawn('sh', ['-c', `read _ignored; kill -9 ${target} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  w.on('error', () => {}); // no sh: the exit handlers still apply
  // Neither the pipe nor the process may keep the test's event loop alive.
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  w.unref();
  return w;
}

/** Registers a child to be SIGKILLed if still running when this process ends. */
export function track(child: ChildProcess, opts: { group?: boolean } = {}): () => void {
  install();
  const t: Tracked = { child, group: opts.group ?? false };
  tracked.add(t);
  const dog = child.pid !== undefined ? watchdog(t.group ? -child.pid : child.pid) : undefined;
  const untrack = () => {
    tracked.delete(t);
    // Stop the watchdog without closing its stdin (that would make it fire).
    if (dog?.pid !== undefined && dog.exitCode === null) {
      try {
        process.kill(dog.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  child.once('exit', untrack);
  return untrack;
}

/**
 * Sends `signal` to the child (or its process group) and waits for it to exit; SIGKILL after
 * `graceMs`. Holds a ref on the child while waiting so the event loop stays alive.
 */
export async function terminate(
  child: ChildProcess | undefined,
  opts: { signal?: NodeJS.Signals; graceMs?: number; group?: boolean } = {},
): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const t: Tracked = { child, group: opts.group ?? false };
  child.ref();
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  killTracked(t, opts.signal ?? 'SIGTERM');
  const timer = setTimeout(() => killTracked(t, 'SIGKILL'), opts.graceMs ?? 5000);
  await gone;
  clearTimeout(timer);
  if (t.group) killTracked(t, 'SIGKILL'); // leftovers in the group (e.g. code-server's workers)
}

/**
 * A real third-party XMPP client for interop tests: Debian's mcabber 1.1.2, which does OTR
 * through libotr 4.1.1 (OTR v2 and v3). One instance per call, connected to a test Prosody
 * (./prosody.ts) over STARTTLS with certificate verification ON (`ssl_ca` = the test CA,
 * `ssl_ignore_checks = 0`: loudmouth stops on any certificate error).
 *
 * mcabber is a curses program. It runs under util-linux `script` (always present on Debian:
 * bsdutils is Essential), which gives it a pseudo-terminal; the screen itself is never read.
 * Instead:
 *   - commands go in through its FIFO (`module load fifo`), one line at a time, each one
 *     acknowledged by the "Executing FIFO command: …" line the FIFO module writes to the
 *     tracelog before running it (the module reads one line per wake-up and buffers the rest,
 *     so unacknowledged lines could sit unread);
 *   - what a command prints to the status window (`/otr info`, `/otr key`, `/otr fingerprint`)
 *     is read from the tracelog (tracelog_level 1 records every status-window line);
 *   - messages it sent and received are read from its history files (logging_dir);
 *   - the buddy window (OTR notices such as "OTR: channel established" or the SMP result,
 *     which mcabber shows only there) is dumped with `/buffer save FILE`. That needs chat
 *     mode, which only a key press enters: the one keystroke sent, Enter on an empty input
 *     line, goes through `script`'s stdin (it does nothing else, and nothing in chat mode).
 * Every wait polls a file until a deadline: no fixed sleeps.
 *
 * The process tree (script → mcabber) runs in its own process group, stopped by PGID
 * (./cleanup.ts `track`/`terminate`), also when the test process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit, terminate, track } from './cleanup';

/** The server to use (a ProsodyServer fits): mcabber connects to `domain` (the name in the certificate) on `port`. */
export interface McabberServer {
  port: number;
  domain: string;
  /** The test CA mcabber must verify the server's certificate with. */
  caFile: string;
}

export interface McabberOptions {
  server: McabberServer;
  /** Local part of the account. */
  user: string;
  password: string;
  /** mcabber's default OTR policy (default 'manual': answer requests, never start on its own). */
  otrPolicy?: 'plain' | 'manual' | 'opportunistic' | 'always';
  /** How long to wait for the connection and the roster (default 15 s). */
  startTimeoutMs?: number;
  /**
   * Start in this folder (a stopped instance's `dir`): the same OTR key, fingerprints and
   * history, i.e. the client restarted. Its OTR sessions are gone, as after a real restart.
   */
  dir?: string;
}

/** One entry of a history file (histolog.c: "MR 20240101T10:00:00Z 000 text"). */
export interface HistoryLine {
  /** 'M' message, 'S' status, 'I' info. */
  kind: string;
  /** For messages: 'R' received, 'S' sent. */
  dir: string;
  time: string;
  text: string;
}

/** `/otr info` state: mcabber's words (otr.c otr_print_info). */
export type McabberOtrState = 'plaintext' | 'encrypted' | 'encrypted V2' | 'encrypted V1' | 'finished' | 'unknown state';

export interface Mcabber {
  /** Bare JID of the account. */
  readonly jid: string;
  readonly dir: string;
  readonly pid: number;
  /** Runs one mcabber command (e.g. "/otr start bob@localhost") and waits until it has run. */
  command(line: string, timeoutMs?: number): Promise<void>;
  /** Sends a chat message (through a file for long or multi-line text: `/say_to -f`). Opens the contact's window. */
  say(to: string, text: string): Promise<void>;
  /** Own OTR fingerprint as mcabber shows it ("/otr key": 5 groups of 8 uppercase hex). */
  otrKey(): Promise<string>;
  /** The contact's active OTR fingerprint and its trust ("/otr fingerprint JID"). */
  otrFingerprint(contact: string): Promise<{ fingerprint: string; trusted: boolean }>;
  /** OTR message state and auth state of the conversation with the contact ("/otr info JID"). */
  otrInfo(contact: string): Promise<{ state: McabberOtrState; auth: string; policy: string }>;
  /** Polls `/otr info` until the state matches. */
  waitForOtrState(contact: string, state: McabberOtrState | ((s: McabberOtrState) => boolean), timeoutMs?: number): Promise<void>;
  /** The contents of libotr's fingerprints file (one "contact account protocol hex trust" line each). */
  fingerprintsFile(): string;
  /** Parsed history file for the contact (messages sent/received; empty if none yet). */
  history(contact: string): HistoryLine[];
  /** Resolves with the first history line (from index `from` on) matching the predicate. */
  waitForHistory(contact: string, predicate: (l: HistoryLine) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<HistoryLine>;
  /** The contact's chat window as text (`/buffer save`), including mcabber's OTR notices. */
  buffer(contact: string): Promise<string>;
  /** Polls the contact's window until `re` matches the text after `fromLength` characters; returns the match and the new length. */
  waitForBuffer(contact: string, re: RegExp, opts?: { fromLength?: number; timeoutMs?: number }): Promise<{ match: RegExpExecArray; length: number }>;
  /** The tracelog (status window lines, FIFO commands). */
  trace(): string;
  /** Quits (SIGTERM to the process group, SIGKILL after a grace period). */
  stop(): Promise<void>;
}

const POLL_MS = 5;

/** Polls `check` every few ms until it returns a value or the deadline passes. */
async function pollUntil<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`mcabber: timed out after ${timeoutMs} ms waiting for ${what()}`);
    // Polling interval for a file another process writes, not a synchronisation sleep.
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses a history file (histolog.c: "TT yyyymmddThh:mm:ssZ NNN text", NNN = extra lines). */
export function parseHistory(content: string): HistoryLine[] {
  const lines = content.split('\n');
  const out: HistoryLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Z])([A-Z_]) (\d{8}T\d\d:\d\d:\d\dZ) (\d{3}) (.*)$/.exec(lines[i]!);
    if (!m) continue;
    const extra = Number(m[4]);
    const text = [m[5]!, ...lines.slice(i + 1, i + 1 + extra)].join('\n');
    i += extra;
    out.push({ kind: m[1]!, dir: m[2]!, time: m[3]!, text });
  }
  return out;
}

export async function startMcabber(opts: McabberOptions): Promise<Mcabber> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'padlock-mcabber-'));
  removeOnExit(dir);
  const jid = `${opts.user}@${opts.server.domain}`;
  const paths = {
    rc: join(dir, 'mcabberrc'),
    fifo: join(dir, 'mcabber.fifo'),
    trace: join(dir, 'trace.log'),
    histo: join(dir, 'histo'),
    otr: join(dir, 'otr'),
    out: join(dir, 'files'),
  };
  for (const d of [paths.histo, paths.otr, paths.out]) mkdirSync(d, { mode: 0o700, recursive: true });
  // A restart: the readiness signal (own fingerprint in the tracelog) must come from this run.
  rmSync(paths.trace, { force: true });
  const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  // Settings names: mcabber 1.1.2 (mcabberrc.example, settings.c, xmpp.c).
  writeFileSync(
    paths.rc,
    [
      `set jid = ${jid}`,
      `set password = ${q(opts.password)}`,
      // The server's certificate names "localhost": connect by that name so the hostname check passes.
      `set server = ${opts.server.domain}`,
      `set port = ${opts.server.port}`,
      'set resource = mcabber',
      // STARTTLS, verified against the test CA only; any certificate problem stops the connection.
      'set tls = 1',
      `set ssl_ca = ${q(opts.server.caFile)}`,
      'set ssl_ignore_checks = 0',
      'set pinginterval = 0',
      'set autoaway = 0',
      'set beep_on_message = 0',
      'set disable_chatstates = 1',
      'set logging = 1',
      'set load_logs = 0',
      `set logging_dir = ${q(paths.histo)}`,
      `set statefile = ${q(join(dir, 'mcabber.state'))}`,
      `set caps_directory = ${q(join(dir, 'caps'))}`,
      'set otr = 1',
      `set otr_dir = ${q(paths.otr)}`,
      `otrpolicy default ${opts.otrPolicy ?? 'manual'}`,
      'set tracelog_level = 1',
      `set tracelog_file = ${q(paths.trace)}`,
      `set fifo_name = ${q(paths.fifo)}`,
      'set fifo_hide_commands = 1',
      'module load fifo',
      // Runs once connected *and* the roster is in (OTR only works with roster contacts):
      // prints the OTR fingerprint to the tracelog, which is our readiness signal.
      'set hook-post-connect = otr key',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );

  // script: a pty for the curses UI; -q quiet, -f flush, -e exit status of the child;
  // the typescript goes to /dev/null. stdin stays an open pipe (EOF would end the session).
  const shq = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const child: ChildProcess = spawn('script', ['-qfec', `exec mcabber -f ${shq(paths.rc)}`, '/dev/null'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TERM: 'xterm', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', COLUMNS: '200', LINES: '50' },
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  if (child.pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error('could not start mcabber under script (is the Debian package installed? run node scripts/setup.mjs)');
  }
  track(child, { group: true });
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  child.stdin?.on('error', () => {});
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `mcabber exited (${code ?? signal})`;
  });

  const trace = (): string => (existsSync(paths.trace) ? readFileSync(paths.trace, 'utf8') : '');
  const traceTail = () => trace().split('\n').slice(-12).join('\n');
  const alive = () => {
    if (exited) throw new Error(`${exited}; tracelog:\n${traceTail()}`);
  };

  const startTimeout = opts.startTimeoutMs ?? 15_000;
  try {
    await pollUntil(
      () => {
        alive();
        const t = trace();
        // xmpp.c's TLS and login failures (ssl_cb, connection_auth_cb).
        const bad = /(Authentication failed|Certificate [^\n]*|SSL error[^\n]*|Generic SSL error[^\n]*)/.exec(t);
        if (bad) throw new Error(`mcabber could not connect: ${bad[1]}\n${traceTail()}`);
        return new RegExp(`\\] ${escapeRe(jid)}: [0-9A-F]{8}( [0-9A-F]{8}){4}\\s*$`, 'm').test(t) ? true : undefined;
      },
      startTimeout,
      () => `mcabber to connect; tracelog:\n${traceTail()}`,
    );
  } catch (e) {
    await terminate(child, { group: true, signal: 'SIGKILL' });
    throw e;
  }

  // One writer for the FIFO, held open: no EOF/reopen cycles on mcabber's side. Non-blocking
  // open fails at once (ENXIO) instead of hanging if mcabber is not reading.
  const fifoFd = openSync(paths.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  // Chat mode, so that contacts' windows exist for `/buffer save` (see bufferNow).
  child.stdin?.write('\r');
  let fileCounter = 0;
  let chain: Promise<unknown> = Promise.resolve();

  /** Writes one line and waits for mcabber's acknowledgement; returns the tracelog length before it ran. */
  const runCommand = (line: string, timeoutMs = 10_000): Promise<number> => {
    if (/[\r\n]/.test(line)) throw new Error('one line per command');
    const run = chain.then(async () => {
      alive();
      const before = Buffer.byteLength(trace());
      writeAll(fifoFd, Buffer.from(`${line}\n`, 'utf8'));
      // The tracelog line may be cut (long commands): acknowledge on the start of it.
      const ack = `FIFO command: ${ackPrefix(line)}`;
      await pollUntil(
        () => {
          alive();
          const t = readFrom(paths.trace, before);
          const i = t.indexOf(ack);
          return i >= 0 ? true : undefined;
        },
        timeoutMs,
        () => `the FIFO command "${line}" to run`,
      );
      return before;
    });
    chain = run.catch(() => {});
    return run;
  };

  /** Status-window output of a command: the first line after its acknowledgement matching `re`. */
  const output = async (line: string, re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> => {
    const before = await runCommand(line, timeoutMs);
    return pollUntil(
      () => {
        alive();
        const t = readFrom(paths.trace, before);
        const after = t.slice(t.indexOf(`FIFO command: ${ackPrefix(line)}`));
        return re.exec(after) ?? undefined;
      },
      timeoutMs,
      () => `the output of "${line}" (${re}); tracelog:\n${traceTail()}`,
    );
  };

  const historyFile = (contact: string) => join(paths.histo, contact.toLowerCase());
  const history = (contact: string): HistoryLine[] => (existsSync(historyFile(contact)) ? parseHistory(readFileSync(historyFile(contact), 'utf8')) : []);

  /**
   * `/buffer save` dumps the current window, which exists only in chat mode: mcabber enters it
   * when Enter is pressed on an empty input line (a keystroke through the pty; in chat mode an
   * empty line does nothing). `/roster search` then makes the contact's window the current one.
   */
  const pressEnter = () => child.stdin?.write('\r');
  const bufferNow = async (contact: string): Promise<string> => {
    for (let attempt = 0; ; attempt++) {
      const file = join(paths.out, `buffer-${++fileCounter}.txt`);
      await runCommand(`/roster search ${contact}`);
      await runCommand(`/buffer save ${file}`);
      // Commands run one after the other: once the next one is acknowledged, the dump is
      // complete (or was refused).
      await runCommand('/echo');
      if (existsSync(file)) return readFileSync(file, 'utf8');
      // "No current buffer!" (shown on screen only): not in chat mode yet.
      if (attempt >= 20) throw new Error(`mcabber: could not dump the window of ${contact}`);
      pressEnter();
      // Let the key press reach mcabber through script's pty before trying again.
      await runCommand('/echo');
    }
  };

  const self: Mcabber = {
    jid,
    dir,
    pid: child.pid,
    command: async (line, timeoutMs) => {
      await runCommand(line, timeoutMs);
    },
    say: async (to, text) => {
      if (!text || text.startsWith('-')) throw new Error('mcabber: empty text, or text starting with "-" (read as an option)');
      if (/[\r\n]/.test(text)) {
        // `/say_to -f` reads files below HBB_BLOCKSIZE (8 KiB) only ("Message file is too big").
        if (Buffer.byteLength(text) >= 8192) throw new Error('mcabber: multi-line messages must be under 8 KiB');
        const file = join(paths.out, `message-${++fileCounter}.txt`);
        writeFileSync(file, text);
        await runCommand(`/say_to -f ${file} ${to}`);
      } else {
        // One FIFO line of any length (the FIFO module reads whole lines).
        await runCommand(`/say_to ${to} ${text}`);
      }
    },
    otrKey: async () => {
      const m = await output('/otr key', new RegExp(`\\] ${escapeRe(jid)}: ([0-9A-F]{8}(?: [0-9A-F]{8}){4})`));
      return m[1]!;
    },
    otrFingerprint: async (contact) => {
      const m = await output(
        `/otr fingerprint ${contact}`,
        new RegExp(`\\] ${escapeRe(contact)} \\[\\s*([0-9A-F]{8}(?: [0-9A-F]{8}){4})\\]: (trusted|untrusted)|No active fingerprint`),
      );
      if (!m[1]) throw new Error(`mcabber has no active fingerprint for ${contact}`);
      return { fingerprint: m[1], trusted: m[2] === 'trusted' };
    },
    otrInfo: async (contact) => {
      const m = await output(`/otr info ${contact}`, new RegExp(`\\] ${escapeRe(contact)}: ([a-zA-Z0-9 ]+?) \\(([^)]*)\\) \\[([a-z]+)\\]`));
      return { state: m[1] as McabberOtrState, auth: m[2]!, policy: m[3]! };
    },
    waitForOtrState: async (contact, state, timeoutMs = 10_000) => {
      const ok = typeof state === 'function' ? state : (s: McabberOtrState) => s === state;
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const info = await self.otrInfo(contact);
        if (ok(info.state)) return;
        last = `${info.state} (${info.auth})`;
        if (Date.now() > deadline) throw new Error(`mcabber: OTR state with ${contact} is ${last}, expected ${String(state)}`);
      }
    },
    fingerprintsFile: () => {
      const f = join(paths.otr, `${jid}.fpr`);
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    history,
    waitForHistory: (contact, predicate, o = {}) =>
      pollUntil(
        () => {
          alive();
          return history(contact).slice(o.from ?? 0).find(predicate);
        },
        o.timeoutMs ?? 10_000,
        () => `a matching line in the history with ${contact}; last lines:\n${history(contact).slice(-3).map((l) => `${l.kind}${l.dir} ${l.text.slice(0, 120)}`).join('\n')}`,
      ),
    buffer: (contact) => bufferNow(contact),
    waitForBuffer: async (contact, re, o = {}) => {
      const deadline = Date.now() + (o.timeoutMs ?? 10_000);
      let text = '';
      for (;;) {
        text = await bufferNow(contact);
        const flags = re.flags.replace('g', '');
        const m = new RegExp(re.source, flags).exec(text.slice(o.fromLength ?? 0));
        if (m) return { match: m, length: text.length };
        if (Date.now() > deadline) {
          throw new Error(`mcabber: ${re} did not appear in the window of ${contact}; it ends with:\n${text.slice(-600)}`);
        }
      }
    },
    trace,
    stop: async () => {
      try {
        closeSync(fifoFd);
      } catch {
        /* closed */
      }
      await terminate(child, { group: true, signal: 'SIGTERM', graceMs: 2000 });
    },
  };
  return self;
}

/** The first characters of a command, as its tracelog line starts (mcabber cuts long log lines). */
function ackPrefix(line: string): string {
  return Array.from(line).slice(0, 80).join('');
}

/** Writes the whole buffer to the (non-blocking) FIFO, waiting briefly if it is full. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  const deadline = Date.now() + 5000;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() > deadline) throw e;
    }
  }
}

/** The file's contents from byte `offset` on (the tracelog only grows). */
function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    let pos = offset;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

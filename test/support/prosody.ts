/**
 * A real, throwaway XMPP server for tests and the demo: Debian's Prosody 0.12, one per call,
 * listening on 127.0.0.1 on a free port, with its own test CA, config, data and log in a temp
 * directory. Nothing is mocked: clients speak STARTTLS + SASL to it and verify its certificate.
 *
 * Every server started here is stopped by PID: by stop()/kill(), by stopAll(), and, as a last
 * resort, when the test process exits (./cleanup.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { removeOnExit, terminate, track } from './cleanup';

const execFileP = promisify(execFile);

export interface ProsodyOptions {
  /** Accounts to create before the server starts: user (local part) → password. */
  users?: Record<string, string>;
  /** Group chat component on conference.localhost (default true: it costs nothing). */
  muc?: boolean;
  /**
   * 'ca-signed' (default): leaf signed by the test CA in `caPem`, so a client trusting that CA
   * verifies it. 'self-signed-untrusted': a self-signed leaf that a client trusting `caPem`
   * must refuse (for certificate-error tests).
   */
  certificate?: 'ca-signed' | 'self-signed-untrusted';
  /** Log level for the server log file (default 'info'; env PADLOCK_PROSODY_DEBUG=1 → 'debug'). */
  logLevel?: 'debug' | 'info' | 'warn';
  /** Modules of modules_enabled (configText) to leave out, e.g. ['mam']: the bench's server without archiving. */
  without?: string[];
}

export interface ProsodyServer {
  readonly host: '127.0.0.1';
  readonly domain: 'localhost';
  readonly mucDomain: string | undefined;
  readonly port: number;
  /** Test CA: trust this (and only this) to verify the server. */
  readonly caFile: string;
  readonly caPem: string;
  /** SHA-256 fingerprint of the server's leaf certificate, "AB:CD:…" like Node's fingerprint256. */
  readonly certFingerprint256: string;
  /** PEM of the server's leaf certificate. */
  readonly certPem: string;
  /** The temp directory holding config, certificates, data and log. */
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** PID of the running server process (changes on restart()). */
  readonly pid: number;
  register(user: string, password: string): Promise<void>;
  /** Graceful stop: SIGTERM, wait for exit, SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Abrupt stop (a crash as clients see it): SIGKILL, wait for exit. */
  kill(): Promise<void>;
  /** Start again with the same config, accounts and data, on the same port. */
  restart(): Promise<void>;
  /** Full JIDs of the bound c2s sessions, via Prosody's admin shell. */
  sessions(): Promise<string[]>;
  /** Last lines of the server log (for failure messages). */
  logTail(lines?: number): string;
}

const servers = new Set<ProsodyServer>();

/** Stops every server this process started (e.g. in an `after` hook). */
export async function stopAll(): Promise<void> {
  await Promise.all([...servers].map((s) => s.kill()));
}

/** A free TCP port on 127.0.0.1: bind port 0 and let the kernel choose. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once `host:port` accepts a TCP connection; polls until `deadline`. */
export async function waitForPort(
  host: string,
  port: number,
  opts: { timeoutMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host, port });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    const why = opts.abort?.();
    if (why) throw new Error(why);
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept connections in time`);
    // Polling interval while the server binds, not a synchronisation sleep.
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileP('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr || err.message}`);
  }
}

/**
 * Test PKI: a CA and a server leaf for localhost + conference.localhost. P-256 keys: key
 * generation is ~100x faster than RSA-2048 and Prosody/Node accept them.
 */
async function makeCertificates(dir: string, kind: 'ca-signed' | 'self-signed-untrusted'): Promise<void> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const san = 'subjectAltName=DNS:localhost,DNS:conference.localhost';
  await openssl(dir, [
    'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '7',
    '-subj', '/CN=Padlock Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  if (kind === 'self-signed-untrusted') {
    await openssl(dir, [
      'req', '-x509', ...ec, '-keyout', 'server.key', '-out', 'server.pem', '-days', '7',
      '-subj', '/CN=localhost', '-addext', san,
    ]);
    return;
  }
  await openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(
    join(dir, 'server.ext'),
    `${san}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl(dir, [
    'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '7', '-extfile', 'server.ext',
  ]);
}

function lua(s: string): string {
  return JSON.stringify(s); // a JSON string literal is a valid Lua string literal for paths
}

function configText(o: { dir: string; port: number; muc: boolean; logLevel: string; without: string[] }): string {
  const p = (f: string) => lua(join(o.dir, f));
  return `-- Throwaway Prosody config written by test/support/prosody.ts
run_as_root = true
interfaces = { "127.0.0.1" }
c2s_ports = { ${o.port} }
c2s_direct_tls_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
-- Debian's "limits" caps clients at 10 kB/s; "posix" would daemonize and write a pidfile.
modules_disabled = { "s2s"; "limits"; "posix"${o.without.map((m) => `; ${lua(m)}`).join('')} }
-- Prosody's default cap is 256 KiB per stanza; the tests send 1 MiB messages to check that the
-- client copes with them (a server may allow it, and a hostile one may send anything).
c2s_stanza_size_limit = 4 * 1024 * 1024
modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "presence"; "message"; "iq";
  "carbons"; "pep"; "private"; "blocklist"; "vcard4"; "vcard_legacy"; "bookmarks";
  "ping"; "register"; "smacks"; "mam"; "offline"; "time"; "version"; "uptime";
  -- admin_shell + its socket in data_path: lets sessions() ask who is connected.
  "admin_shell";
}
network_settings = { nagle = false }
c2s_require_encryption = true
allow_registration = false
authentication = "internal_hashed"
storage = "internal"
data_path = ${p('data')}
certificates = ${lua(o.dir)}
ssl = { certificate = ${p('server.pem')}; key = ${p('server.key')} }
log = { ${o.logLevel} = ${p('prosody.log')} }
-- Keep test-time archives: clients ask for them right away.
archive_expires_after = "1d"

VirtualHost "localhost"
${o.muc ? 'Component "conference.localhost" "muc"\n  modules_enabled = { "muc_mam" }\n' : ''}`;
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'padlock-prosody-'));
  removeOnExit(dir);
  mkdirSync(join(dir, 'data'));
  const muc = opts.muc ?? true;
  const logLevel = opts.logLevel ?? (process.env.PADLOCK_PROSODY_DEBUG ? 'debug' : 'info');
  const [port] = await Promise.all([freePort(), makeCertificates(dir, opts.certificate ?? 'ca-signed')]);
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, configText({ dir, port, muc, logLevel, without: opts.without ?? [] }));
  const logFile = join(dir, 'prosody.log');
  const stdoutFile = join(dir, 'stdout.log');
  const caFile = join(dir, 'ca.pem');
  const caPem = readFileSync(caFile, 'utf8');
  const certPem = readFileSync(join(dir, 'server.pem'), 'utf8');
  const certFingerprint256 = new X509Certificate(certPem).fingerprint256;

  const prosodyctl = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await execFileP('prosodyctl', ['--config', configFile, ...args], { cwd: dir });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`prosodyctl ${args[0]} failed: ${err.stderr || err.stdout || err.message}`);
    }
  };

  let child: ChildProcess | undefined;

  const logTail = (lines = 40): string => {
    const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    const all = (read(stdoutFile) + read(logFile)).trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  };

  const launch = async (): Promise<void> => {
    // Output goes to a file, not a pipe: a pipe would keep the test's event loop alive and
    // could fill up and block the server.
    const out = openSync(stdoutFile, 'a');
    const proc = spawn('prosody', ['-F', '--config', configFile], { cwd: dir, stdio: ['ignore', out, out] });
    closeSync(out);
    if (proc.pid === undefined) {
      await new Promise((r) => proc.once('error', r));
      throw new Error('prosody failed to start (is the Debian package installed? run node scripts/setup.mjs)');
    }
    child = proc;
    track(proc);
    let exited: string | undefined;
    proc.once('exit', (code, signal) => {
      exited = `prosody exited (${code ?? signal}) before listening on ${port}:\n${logTail()}`;
    });
    // A forgotten server must not keep the test process alive; exit handlers kill it.
    proc.unref();
    await waitForPort('127.0.0.1', port, { abort: () => exited });
  };

  for (const [user, pw] of Object.entries(opts.users ?? {})) await prosodyctl('register', user, 'localhost', pw);
  try {
    await launch();
  } catch (e) {
    await terminate(child, { signal: 'SIGKILL' });
    throw e;
  }

  const server: ProsodyServer = {
    host: '127.0.0.1',
    domain: 'localhost',
    mucDomain: muc ? 'conference.localhost' : undefined,
    port,
    caFile,
    caPem,
    certPem,
    certFingerprint256,
    dir,
    configFile,
    logFile,
    get pid() {
      return child?.pid ?? -1;
    },
    register: async (user, password) => {
      await prosodyctl('register', user, 'localhost', password);
    },
    stop: async () => {
      await terminate(child, { signal: 'SIGTERM', graceMs: 5000 });
      servers.delete(server);
    },
    kill: async () => {
      await terminate(child, { signal: 'SIGKILL' });
      servers.delete(server);
    },
    restart: async () => {
      await terminate(child, { signal: 'SIGTERM', graceMs: 5000 });
      servers.add(server);
      await launch();
    },
    sessions: async () => {
      // Raw Lua in the admin shell (">" prefix) over the server's unix socket; one JID per
      // line. c2s:show() prints a fixed-width table that truncates long JIDs.
      const out = await prosodyctl(
        'shell',
        '> local t = {} for jid in pairs(prosody.full_sessions) do t[#t+1] = jid end table.sort(t) return table.concat(t, "\\n")',
      );
      const m = /Result: ?([\s\S]*)$/.exec(out);
      if (!m) throw new Error(`unexpected admin shell output: ${out}`);
      return m[1]!.split('\n').map((l) => l.trim()).filter(Boolean);
    },
    logTail,
  };
  servers.add(server);
  return server;
}

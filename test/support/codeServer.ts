/**
 * A real VS Code for tests and the demo: code-server 4.100.3 (VS Code 1.100.3), installed by
 * scripts/setup.mjs into .tools/code-server/. @vscode/test-electron cannot download VS Code
 * here (RECIPES.md), and code-server runs the same workbench and Node extension host.
 *
 * Each instance gets a free port on 127.0.0.1, no auth, and its own config, user data,
 * extensions and XDG dirs in a temp directory, so nothing is read from or written to $HOME.
 * It runs in its own process group (it forks an entry process, extension hosts, a pty host
 * and file watchers), and stop() or the test process exiting kills that group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeOnExit, terminate, track } from './cleanup';
import { freePort } from './prosody';

/**
 * The repository root: the nearest directory above this file (bundled into out/test/<kind>/,
 * or the source in test/support/) whose package.json is padlock-chat's; else the cwd.
 */
export const repoRoot = findRepoRoot(__dirname) ?? process.cwd();
export const codeServerBin = join(repoRoot, '.tools', 'code-server', 'node_modules', '.bin', 'code-server');

export interface CodeServerOptions {
  /** Loaded as an extension under development (through the URL payload, like F5). */
  extensionDevelopmentPath?: string;
  /** Installed extensions directory (default: an empty one in the temp dir). */
  extensionsDir?: string;
  /** Extra environment; it reaches the extension host (e.g. PADLOCK_PROVISION_FILE). */
  env?: Record<string, string>;
  /** Folder to open (default: an empty folder in the temp dir). */
  folder?: string;
  userDataDir?: string;
  /** User settings.json content merged over the test defaults. */
  settings?: Record<string, unknown>;
}

export interface CodeServer {
  /** http://127.0.0.1:PORT */
  readonly base: string;
  /** Workbench URL for `folder`, with extensionDevelopmentPath in the payload if given. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly folder: string;
  readonly logFile: string;
  logTail(lines?: number): string;
  /** Padlock's output channel(s) as written by every extension host so far (for failures). */
  padlockLog(): string;
  stop(): Promise<void>;
}

/** Files under `dir` whose name matches `re` (a small recursive walk). */
function findFiles(dir: string, re: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? findFiles(p, re) : re.test(e.name) ? [p] : [];
  });
}

function findRepoRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'padlock-chat') return dir;
    } catch {
      /* no package.json here */
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Settings that keep the workbench quiet and deterministic in tests. */
const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/**
 * A `vscode-remote://` URI for a path on the code-server machine. The authority is the
 * workbench's own host:port: that is the remote authority code-server's workbench uses.
 */
export function remoteUri(base: string, absPath: string): string {
  return `vscode-remote://${new URL(base).host}${absPath}`;
}

/**
 * Workbench URL that runs an extension's tests in the extension host (VS Code's own
 * mechanism: the host loads `testsPath` and calls its `run()`; the exit code reaches the page
 * through window.codeAutomationExit). `testsPath` is the module path without ".js".
 */
export function hostTestUrl(base: string, extPath: string, testsPath: string, folder: string): string {
  const payload = [
    ['extensionDevelopmentPath', remoteUri(base, extPath)],
    ['extensionTestsPath', remoteUri(base, testsPath)],
  ];
  return `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Workbench URL for `folder` with an extension under development (no tests). */
export function devUrl(base: string, extPath: string | undefined, folder: string): string {
  const q = `${base}/?folder=${encodeURIComponent(folder)}`;
  if (!extPath) return q;
  return `${q}&payload=${encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', remoteUri(base, extPath)]]))}`;
}

export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  if (!existsSync(codeServerBin)) {
    throw new Error(`code-server is not installed at ${codeServerBin}: run node scripts/setup.mjs`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'padlock-code-server-'));
  removeOnExit(dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const userDataDir = opts.userDataDir ?? join(dir, 'user-data');
  const extensionsDir = opts.extensionsDir ?? join(dir, 'extensions');
  const folder = opts.folder ?? join(dir, 'workspace');
  for (const d of [userDataDir, join(userDataDir, 'User'), extensionsDir, folder, join(dir, 'xdg-config'), join(dir, 'xdg-data'), join(dir, 'xdg-cache')]) {
    mkdirSync(d, { recursive: true });
  }
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  if (!existsSync(settingsFile)) {
    writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2));
  }
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const logFile = join(dir, 'code-server.log');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    ...opts.env,
  };
  // Inherited from `node --test`; meaningless (and confusing) for code-server's Node processes.
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  // A stray PASSWORD/HASHED_PASSWORD would switch auth on.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;

  const out = openSync(logFile, 'a');
  const args = [
    '--config', config,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    folder,
  ];
  // detached: its own process group, so stop() can kill code-server and all its children.
  const child: ChildProcess = spawn(codeServerBin, args, { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) {
    await new Promise((r) => child.once('error', r));
    throw new Error(`code-server failed to start (${codeServerBin})`);
  }
  track(child, { group: true });
  // A forgotten instance must not keep the test process alive; the exit handler kills it.
  child.unref();

  const logTail = (lines = 40) =>
    existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `code-server exited (${code ?? signal}):\n${logTail()}`;
  });

  const stop = () => terminate(child, { signal: 'SIGTERM', graceMs: 5000, group: true });

  // Poll the health endpoint until it answers (startup ~1-2 s), failing fast if the process dies.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if ((await httpStatus(`${base}/healthz`)) === 200) break;
    if (exited) throw new Error(exited);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not become healthy on ${base}:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    base,
    url: devUrl(base, opts.extensionDevelopmentPath, folder),
    port,
    pid: child.pid,
    dir,
    folder,
    logFile,
    logTail,
    padlockLog: () =>
      findFiles(join(userDataDir, 'logs'), /Padlock/)
        .sort()
        .map((f) => `== ${f}\n${readFileSync(f, 'utf8')}`)
        .join('\n'),
    stop,
  };
}

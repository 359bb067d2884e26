#!/usr/bin/env node
// Prepares a machine for `npm test` and `npm run demo`. Idempotent, and fast (well under a
// second) when everything is already present, so test.mjs and demo.mjs call it every time.
//
//   node scripts/setup.mjs                 everything
//   node scripts/setup.mjs --no-code-server   skip the code-server install (unit/integration only)
//
// What it ensures, in order (see ../../shared/RECIPES.md for why each step looks like it does):
//   1. Debian packages: a real XMPP server (prosody + lua-unbound), openssl for test
//      certificates, chromium for browser tests, libkrb5-dev + pkg-config for code-server's
//      `kerberos` native module, ripgrep for code-server's search, mcabber for interop tests.
//   2. The project's node_modules (`npm ci` when missing or older than package-lock.json).
//   3. code-server 4.100.3 in .tools/code-server/, its own npm project, kept out of the
//      project's dependency tree (it is ~300 MB and only tests and the demo use it).
//
// Exported as `setup()` for scripts/test.mjs and scripts/demo.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const CODE_SERVER_VERSION = '4.100.3';
export const codeServerDir = join(root, '.tools', 'code-server');
export const codeServerBin = join(codeServerDir, 'node_modules', '.bin', 'code-server');

const DEBIAN_PACKAGES = [
  'prosody',
  'lua-unbound',
  'openssl',
  'chromium',
  'libkrb5-dev',
  'pkg-config',
  'ripgrep',
  'mcabber',
];

// @vscode/ripgrep (a code-server dependency) downloads rg from GitHub in its postinstall, which
// has no route here; it looks in this cache directory first.
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_TARBALL = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

// Written after a verified install; its presence is the fast path.
const MARKER = join(codeServerDir, '.padlock-installed');

class SetupError extends Error {}

function log(msg) {
  console.log(`[setup] ${msg}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new SetupError(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new SetupError(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function missingDebianPackages() {
  // One dpkg-query call for all packages (~10 ms). Unknown packages make dpkg-query exit 1 and
  // print to stderr; those simply do not appear as installed.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...DEBIAN_PACKAGES], {
    encoding: 'utf8',
  });
  if (r.error) throw new SetupError('dpkg-query not found: this setup supports Debian/Ubuntu only');
  const installed = new Set();
  for (const line of r.stdout.split('\n')) {
    const [name, status] = line.trim().split(/\s+/);
    // "ii" = desired install, currently installed. Strip an ":amd64" architecture suffix.
    if (name && status === 'ii') installed.add(name.replace(/:.*$/, ''));
  }
  return DEBIAN_PACKAGES.filter((p) => !installed.has(p));
}

function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return false;
  if (!isRoot()) {
    throw new SetupError(
      `missing Debian packages: ${missing.join(' ')}\n` +
        `        install them as root:  apt-get update && apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
  run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', ...missing], { env });
  return true;
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(stamp) && mtime(stamp) >= mtime(lock)) return false;
  log('npm ci (node_modules missing or older than package-lock.json)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env: npmEnv() });
  return true;
}

function npmEnv() {
  return {
    ...process.env,
    // Running as root: without this npm drops privileges for lifecycle scripts and native
    // builds fail to write into the tree.
    npm_config_unsafe_perm: 'true',
    // node-pty's build runs `npx`, which would otherwise prompt (no stdin in CI).
    npm_config_yes: 'true',
    npm_config_update_notifier: 'false',
  };
}

function codeServerInstalled() {
  if (!existsSync(MARKER) || !existsSync(codeServerBin)) return false;
  return readFileSync(MARKER, 'utf8').trim() === CODE_SERVER_VERSION;
}

function ensureRipgrepCache() {
  // Same lookup as @vscode/ripgrep's postinstall: os.tmpdir() honours $TMPDIR.
  const dir = join(tmpdir(), RIPGREP_CACHE);
  const tarball = join(dir, RIPGREP_TARBALL);
  if (existsSync(tarball)) return;
  if (!existsSync('/usr/bin/rg')) throw new SetupError('/usr/bin/rg missing (Debian package ripgrep)');
  mkdirSync(dir, { recursive: true });
  run('tar', ['czf', tarball, '-C', '/usr/bin', 'rg']);
}

function ensureCodeServer() {
  if (codeServerInstalled()) return false;
  if (existsSync(codeServerBin)) {
    // Installed earlier but never verified (e.g. an interrupted setup): check before reinstalling.
    try {
      verifyCodeServer();
      writeFileSync(MARKER, CODE_SERVER_VERSION + '\n');
      log('code-server already installed (verified)');
      return false;
    } catch {
      log('existing code-server install is broken; reinstalling');
    }
  }
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${codeServerDir} (~1 min, ~300 MB)`);
  mkdirSync(codeServerDir, { recursive: true });
  rmSync(MARKER, { force: true });
  // Its own tiny npm project, so code-server never enters the extension's dependency tree or
  // lockfile.
  writeFileSync(
    join(codeServerDir, 'package.json'),
    JSON.stringify(
      {
        name: 'padlock-code-server',
        private: true,
        description: 'code-server for Padlock Chat tests and demo (installed by scripts/setup.mjs)',
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        // npm 11's install-script policy: approve the two packages whose scripts the install
        // needs (code-server's postinstall installs VS Code's own modules; argon2 compiles).
        allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
      },
      null,
      2,
    ) + '\n',
  );
  ensureRipgrepCache();
  // npm 11 gates dependency install scripts on `allowScripts` (above). In 11.19 unreviewed
  // scripts still run with a warning and only `false` entries are skipped; either way the
  // checks in verifyCodeServer() prove that they ran.
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: codeServerDir,
    env: npmEnv(),
  });
  verifyCodeServer();
  writeFileSync(MARKER, CODE_SERVER_VERSION + '\n');
  log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

function verifyCodeServer() {
  // The postinstall builds/fetches vscode's own node_modules and native modules; if npm had
  // skipped install scripts, the binary would exist but fail to start. `--version` loads the
  // entry point; the native modules are checked by path.
  const r = spawnSync(codeServerBin, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes(CODE_SERVER_VERSION)) {
    throw new SetupError(`code-server does not start:\n${r.stdout}\n${r.stderr}`);
  }
  const vs = join(codeServerDir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  const required = [
    join(vs, 'node-pty/build/Release/pty.node'), // terminals
    join(vs, 'kerberos/build/Release/kerberos.node'), // needs libkrb5-dev
    join(vs, '@vscode/ripgrep/bin/rg'), // from the cache tarball above
    join(codeServerDir, 'node_modules/argon2/lib/binding/napi-v3/argon2.node'), // compiled from source
  ];
  const missing = required.filter((p) => !existsSync(p));
  if (missing.length) {
    throw new SetupError(`code-server install incomplete (install scripts skipped?): missing ${missing.join(', ')}`);
  }
}

/**
 * @param {{ codeServer?: boolean }} [opts]
 * @returns {boolean} whether anything was installed
 */
export function setup(opts = {}) {
  const { codeServer = true } = opts;
  let did = false;
  did = ensureDebianPackages() || did;
  did = ensureNodeModules() || did;
  if (codeServer) did = ensureCodeServer() || did;
  return did;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  try {
    const did = setup({ codeServer: !process.argv.includes('--no-code-server') });
    log(did ? `done in ${((Date.now() - started) / 1000).toFixed(1)} s` : `everything present (${Date.now() - started} ms)`);
  } catch (e) {
    console.error(`[setup] ERROR: ${e instanceof SetupError ? e.message : e?.stack ?? e}`);
    process.exit(1);
  }
}

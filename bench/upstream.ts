/**
 * The @xmpp packages without Padlock's performance patches, for the raw baseline of the
 * round-trip bench: what a developer gets from `npm install @xmpp/client` 0.14.0, with the bug
 * fixes Padlock ships (patches/@xmpp+*.patch without "+perf"): the published stream management
 * is closed by Prosody now and then ("The client says it handled 2 new stanzas, but we sent
 * 1": the counter bug the fixes patch mends), which hung the bench's first run on it, and the
 * published STARTTLS cannot trust the test server's CA without turning verification off. The
 * performance patches (…+perf.patch: per-stanza costs in @xmpp/jid, @xmpp/middleware and
 * @xmpp/stream-management) are part of Padlock's XMPP layer, so the baseline must not have
 * them, as the OTR bench's baseline is the unpatched `otr`.
 *
 * Built offline: node_modules/@xmpp is copied to a temp dir and each performance patch is
 * reversed there (`git apply -R`); the other packages are symlinked from the project.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { client as Client } from '@xmpp/client';

/** Padlock's performance patches to @xmpp, by name (see above). */
const isPerf = (f: string) => /^@xmpp\+.*\+perf\.patch$/.test(f);

export async function upstreamXmpp(root: string): Promise<{ client: typeof Client; reversed: string[]; cleanup: () => void }> {
  const tmp = mkdtempSync(join(tmpdir(), 'padlock-xmpp-upstream-'));
  try {
    const nm = join(tmp, 'node_modules');
    mkdirSync(nm);
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (name === '@xmpp' || name.startsWith('.')) continue;
      symlinkSync(join(root, 'node_modules', name), join(nm, name));
    }
    cpSync(join(root, 'node_modules/@xmpp'), join(nm, '@xmpp'), { recursive: true, dereference: true });
    // Newest first: a package's later patches apply on top of its earlier ones.
    const patches = readdirSync(join(root, 'patches')).filter(isPerf).sort().reverse();
    if (!patches.length) throw new Error('no performance patches found in patches/');
    for (const f of patches) execFileSync('git', ['apply', '-R', '-p1', join(root, 'patches', f)], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    // Each is undone: it would apply again.
    for (const f of patches) execFileSync('git', ['apply', '--check', '-p1', join(root, 'patches', f)], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    const version = JSON.parse(readFileSync(join(nm, '@xmpp/client/package.json'), 'utf8')).version as string;
    if (version !== '0.14.0') throw new Error(`@xmpp/client ${version}: the patches are for 0.14.0`);
    const mod = (await import(pathToFileURL(join(nm, '@xmpp/client/index.js')).href)) as { client: typeof Client };
    return { client: mod.client, reversed: patches, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

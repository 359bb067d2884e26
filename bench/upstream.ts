/**
 * The @xmpp packages as published (0.14.0), for the raw baseline of the round-trip bench: what a
 * developer gets from `npm install @xmpp/client`. Padlock's own copy in node_modules carries
 * the patches in patches/@xmpp+*.patch (fixes and per-stanza costs, listed in the README); those
 * are part of Padlock's XMPP layer, so the baseline must not have them, as the OTR bench's
 * baseline is the unpatched `otr`.
 *
 * Built offline: node_modules/@xmpp is copied to a temp dir and every @xmpp patch is reversed
 * (`git apply -R`), except @xmpp/starttls's, which only hands the TLS options to tls.connect:
 * without it the published client cannot trust the test server's CA short of turning
 * verification off or NODE_EXTRA_CA_CERTS, and it runs once per connection, never per message.
 * The other packages are symlinked from the project's node_modules.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { client as Client } from '@xmpp/client';

/** Kept: no per-message code (see above). */
const KEEP = new Set(['@xmpp+starttls+0.14.0.patch']);

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
    const patches = readdirSync(join(root, 'patches')).filter((f) => f.startsWith('@xmpp+') && !KEEP.has(f));
    for (const f of patches) execFileSync('git', ['apply', '-R', '-p1', join(root, 'patches', f)], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    // Every change of ours is gone but the kept one's (each carries a "Padlock patch" comment).
    const left = execFileSync('grep', ['-rl', 'Padlock patch', join(nm, '@xmpp')], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    if (left.some((f) => !f.includes('/@xmpp/starttls/'))) throw new Error(`patches left in the upstream copy: ${left.join(', ')}`);
    const version = JSON.parse(readFileSync(join(nm, '@xmpp/client/package.json'), 'utf8')).version as string;
    if (version !== '0.14.0') throw new Error(`@xmpp/client ${version}: the patches are for 0.14.0`);
    const mod = (await import(pathToFileURL(join(nm, '@xmpp/client/index.js')).href)) as { client: typeof Client };
    return { client: mod.client, reversed: patches, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

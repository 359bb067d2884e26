/**
 * The demo itself (bundled and started by scripts/demo.mjs). Everything it starts is stopped
 * by PID on Ctrl+C (test/support/cleanup.ts kills servers on SIGINT/SIGTERM/exit).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerBin, startCodeServer } from '../test/support/codeServer';
import { befriend } from '../test/support/demoBot';
import { startOtrPeer } from '../test/support/otrPeer';
import { startProsody } from '../test/support/prosody';
import { writeProvisionFile } from '../test/support/provision';
import { connectClient, xml } from '../test/support/xmppClient';

async function main(): Promise<void> {
  const [vsix, startedAt] = process.argv.slice(2);
  const t0 = Number(startedAt) || Date.now();
  // Throwaway passwords: nobody types them; the extension gets yours through the
  // provisioning file and keeps it in its SecretStorage.
  const pw = () => randomBytes(12).toString('base64url');
  const users = { you: pw(), ada: pw(), grace: pw() };
  const server = await startProsody({ users });
  await befriend(server, { user: 'you', password: users.you, name: 'You' }, { user: 'ada', password: users.ada, name: 'Ada (demo contact)' });
  // Ada runs Padlock's own core with OTR: click the padlock in her chat to go private, and
  // authenticate her with the question of your choice: her answer is always "padlock".
  const bot = await startOtrPeer(server, {
    user: 'ada',
    password: users.ada,
    status: 'Demo contact: say hi, I answer everything',
    smpAnswer: 'padlock',
    reply: (text, isPrivate) =>
      `${isPrivate ? 'Privately received' : 'Received'} ${text.length} character${text.length === 1 ? '' : 's'}: “${text.length > 200 ? `${text.slice(0, 200)}…` : text}”`,
  });

  const dir = mkdtempSync(join(tmpdir(), 'padlock-demo-'));
  const provision = writeProvisionFile(dir, [{ jid: 'you@localhost', password: users.you, host: server.host, port: server.port, caFile: server.caFile }]);
  const extensionsDir = join(dir, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  const inst = spawnSync(codeServerBin, ['--extensions-dir', extensionsDir, '--install-extension', vsix], { encoding: 'utf8' });
  if (inst.status !== 0) throw new Error(`installing the .vsix failed:\n${inst.stdout}\n${inst.stderr}`);
  const folder = join(dir, 'workspace');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'hello.ts'),
    `// Select some code and share it with Ada over a private conversation.\nexport function greet(name: string): string {\n  return \`Hello, \${name}!\`;\n}\n`,
  );
  const cs = await startCodeServer({
    extensionsDir,
    folder,
    env: { PADLOCK_PROVISION_FILE: provision },
    settings: { 'workbench.colorTheme': 'Default Dark Modern' },
  });

  // Grace asks to add you, so the authorisation flow shows too. The server keeps the request
  // and delivers it when you sign in (RFC 6121 §3.1.3).
  const grace = await connectClient({ server, user: 'grace', password: users.grace, resource: 'demo', acceptSubscriptions: true });
  await grace.send(xml('presence', { to: 'you@localhost', type: 'subscribe' }));

  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`
  Padlock Chat demo is running (ready in ${secs} s).

    Open  ${cs.url}

  You are you@localhost, already signed in. Ada (ada@localhost) is a demo contact who answers
  every message and speaks OTR: click the padlock in her chat to go private, and authenticate
  her with any question: her answer is "padlock". Grace (grace@localhost) will ask to add you.
  Prosody listens on
  127.0.0.1:${server.port} with a throwaway certificate your account trusts explicitly.

  Press Ctrl+C to stop everything.
`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('\n[demo] stopping…');
  await Promise.allSettled([grace.stop(), bot.stop()]);
  await cs.stop();
  await server.stop();
}

main().catch((e) => {
  console.error(`[demo] ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});

/**
 * In the real VS Code extension host (code-server): activation, every contributed command
 * registered, signing in against the test Prosody, and no password in settings, globalState,
 * logs or the extension's files.
 *
 * test/browser/host-suite.test.ts starts Prosody and passes PADLOCK_PROVISION_FILE (accounts
 * with passwords, as the demo does) and PADLOCK_TEST_SERVER ({host, port, domain, caFile}).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PadlockApi, PadlockEntry } from '../../src/host/extension';
import type { AccountSession } from '../../src/core/account';

const EXTENSION_ID = 'padlock.padlock-chat';

interface Provision {
  accounts: { jid: string; password: string; host?: string; port?: number; caFile?: string }[];
}

function provision(): Provision {
  const file = process.env.PADLOCK_PROVISION_FILE;
  assert.ok(file, 'PADLOCK_PROVISION_FILE is not set: run through test/browser/host-suite.test.ts');
  return JSON.parse(readFileSync(file, 'utf8')) as Provision;
}

function online(s: AccountSession, api: PadlockApi, timeoutMs = 20_000): Promise<void> {
  if (s.state === 'online') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${s.jid} not online after ${timeoutMs} ms: ${s.state} ${s.error?.message ?? ''}`));
    }, timeoutMs);
    const sub = api.accounts.onDidChange(() => {
      if (s.state !== 'online') return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

/** Every file below `dir` (bounded), for the "no secret on disk" checks. */
function filesBelow(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    try {
      const st = statSync(p);
      if (st.isDirectory()) filesBelow(p, out, depth + 1);
      else if (st.isFile() && st.size < 50 * 1024 * 1024) out.push(p);
    } catch {
      /* vanished */
    }
  }
  return out;
}

suite('extension in the real VS Code host', () => {
  let api: PadlockApi;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<PadlockEntry>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    api = await (await ext.activate()).load();
    await api.ready;
  });

  test('every command contributed in package.json is registered', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 10);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
  });

  test('the provisioned account signs in against the test Prosody, with TLS verified', async () => {
    const p = provision();
    const jid = p.accounts[0].jid;
    const s = api.accounts.get(jid);
    assert.ok(s, `account ${jid} was not provisioned`);
    await online(s, api);
    assert.equal(s.state, 'online');
  });

  test('an account added through the API the Add Account command uses signs in too', async () => {
    const p = provision();
    const second = p.accounts[1];
    assert.ok(second, 'the host suite provisions a second account for this test');
    // Start from a clean slate: remove it if a previous run left it.
    if (api.accounts.get(second.jid)) await api.accounts.removeAccount(second.jid);
    const caPem = second.caFile ? [readFileSync(second.caFile, 'utf8')] : undefined;
    const s = await api.accounts.addAccount({ jid: second.jid, password: second.password, host: second.host, port: second.port, caPem }, false);
    await online(s, api);
    await api.accounts.signOut(s.id);
    assert.equal(s.state, 'signedOut');
  });

  test('no password in settings, globalState, logs or the extension\'s files', async () => {
    const passwords = provision().accounts.map((a) => a.password);
    // Settings (user and workspace), as VS Code resolves them.
    const settings = JSON.stringify(vscode.workspace.getConfiguration().inspect('padlock')) + JSON.stringify(vscode.workspace.getConfiguration('padlock'));
    // globalState: every key the extension wrote.
    const state = JSON.stringify(api.storage.globalState.keys().map((k) => [k, api.storage.globalState.get(k)]));
    assert.ok(state.includes('alice@localhost'), 'globalState holds the account settings (sanity check of this test)');
    // Logs of this window (all extensions' logs, including our output channel) and our files.
    const logRoot = vscode.Uri.joinPath(api.storage.logUri, '..', '..').fsPath;
    const files = [...filesBelow(logRoot), ...filesBelow(api.storage.globalStorageUri.fsPath)];
    assert.ok(files.some((f) => f.includes('padlock')), `no Padlock log file found under ${logRoot}`);
    for (const pw of passwords) {
      assert.ok(!settings.includes(pw), 'a password is in the settings');
      assert.ok(!state.includes(pw), 'a password is in globalState');
      for (const f of files) assert.ok(!readFileSync(f).includes(pw), `a password is in ${f}`);
    }
    // And the settings files on disk.
    const userSettings = join(api.storage.globalStorageUri.fsPath, '..', '..', 'settings.json');
    try {
      const text = readFileSync(userSettings, 'utf8');
      for (const pw of passwords) assert.ok(!text.includes(pw), 'a password is in settings.json');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  });
});

/**
 * The provisioning file: accounts the extension signs in to at activation when the
 * environment variable PADLOCK_PROVISION_FILE names this file (tests and the demo use it to
 * sign in without typing a password). Format:
 *
 *   { "accounts": [ { "jid": "alice@localhost", "password": "…", "host": "127.0.0.1",
 *                     "port": 5222, "caFile": "/abs/ca.pem" } ] }
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProvisionedAccount {
  /** Bare JID. */
  jid: string;
  password: string;
  host: string;
  port: number;
  /** Absolute path of a PEM CA certificate to trust for this account only. */
  caFile?: string;
}

export interface ProvisionFile {
  accounts: ProvisionedAccount[];
}

/** Writes `dir/provision.json` (mode 0600: it holds passwords) and returns its path. */
export function writeProvisionFile(dir: string, accounts: ProvisionedAccount[]): string {
  const file = join(dir, 'provision.json');
  const content: ProvisionFile = { accounts };
  writeFileSync(file, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Accounts on a test server (./prosody.ts) in provisioning form. */
export function accountsFor(
  server: { host: string; port: number; domain: string; caFile: string },
  users: Record<string, string>,
): ProvisionedAccount[] {
  return Object.entries(users).map(([user, password]) => ({
    jid: `${user}@${server.domain}`,
    password,
    host: server.host,
    port: server.port,
    caFile: server.caFile,
  }));
}

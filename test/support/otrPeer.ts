/**
 * An OTR-speaking contact for browser tests and the demo: Padlock's own core (AccountSession
 * with an OtrLayer, in memory) signed in to the test Prosody. It accepts authorisation
 * requests, answers messages (inside the private conversation when there is one) and can
 * answer SMP questions with a fixed secret.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';
import { OtrLayer } from '../../src/core/otr/layer';
import type { OtrPolicy } from '../../src/core/otr/policy';
import { MemoryKeyStore, MemoryTagStore, MemoryTrustStore } from '../../src/core/otr/stores';
import type { ProsodyServer } from './prosody';
import { removeOnExit } from './cleanup';

export interface OtrPeer {
  session: AccountSession;
  otr: OtrLayer;
  /** Plaintext of every message received, with whether it was private. */
  readonly heard: { text: string; private: boolean }[];
  stop(): Promise<void>;
}

export async function startOtrPeer(
  server: Pick<ProsodyServer, 'host' | 'port' | 'domain' | 'caPem'>,
  opts: {
    user: string;
    password: string;
    policy?: OtrPolicy;
    status?: string;
    /** Reply to each message (undefined: no reply). */
    reply?: (text: string, isPrivate: boolean) => string | undefined;
    /** Answer every SMP question or secret request with this (undefined: leave it to the test). */
    smpAnswer?: string;
  },
): Promise<OtrPeer> {
  const jid = `${opts.user}@${server.domain}`;
  const dir = mkdtempSync(join(tmpdir(), `padlock-otr-peer-${opts.user}-`));
  removeOnExit(dir);
  const session = new AccountSession({ id: jid, jid, host: server.host, port: server.port, caPem: [server.caPem] }, { logger: nullLogger, history: new HistoryStore(dir) });
  const otr = new OtrLayer({
    account: session,
    keys: new MemoryKeyStore(),
    trust: new MemoryTrustStore(),
    tags: new MemoryTagStore(),
    policy: opts.policy ?? 'opportunistic',
    logger: nullLogger,
  });
  session.layer = otr;
  const heard: OtrPeer['heard'] = [];
  session.on('subscriptionRequest', ({ jid: from }) => void session.answerRequest(from, 'authorize').catch(() => {}));
  session.on('message', ({ contact, message, incoming }) => {
    if (!incoming) return;
    heard.push({ text: message.text, private: !!message.private });
    const text = opts.reply?.(message.text, !!message.private);
    if (text !== undefined) void session.sendMessage(contact, text).catch(() => {});
  });
  if (opts.smpAnswer !== undefined) {
    otr.on('smp', (e) => {
      if (e.kind === 'asked') void otr.smpRespond(e.contact, opts.smpAnswer!).catch(() => {});
    });
  }
  await otr.ensureKey();
  await session.start(opts.password);
  if (opts.status) await session.setPresence('available', opts.status);
  return {
    session,
    otr,
    heard,
    stop: async () => {
      otr.dispose();
      await session.dispose();
    },
  };
}

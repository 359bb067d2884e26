/**
 * AccountSession.sendMessage without a server: what a message written by the user costs before
 * it leaves (history lines, events for the UI).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AccountSession } from '../../src/core/account';
import { HistoryStore } from '../../src/core/history';
import { nullLogger } from '../../src/core/log';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('AccountSession.sendMessage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'padlock-send-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records the message once, as queued: no separate "queued" status line or event', async () => {
    const history = new HistoryStore(dir);
    const s = new AccountSession({ id: 'me@example.org', jid: 'me@example.org' }, { logger: nullLogger, history });
    const statuses: string[] = [];
    const queueSizes: number[] = [];
    s.on('messageStatus', ({ status }) => statuses.push(status));
    s.on('queue', (n) => queueSizes.push(n));
    const m = await s.sendMessage('bob@example.org', 'hello');
    await history.flush();
    assert.equal(m.status, 'queued');
    assert.deepEqual(statuses, [], 'the message event already said "queued"');
    assert.deepEqual(queueSizes, [1], 'the queue size still reaches the UI');
    const lines = filesUnder(dir).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.equal((JSON.parse(lines[0]!) as { id: string }).id, m.id);
    assert.deepEqual(
      (await s.history('bob@example.org')).map((h) => [h.text, h.status]),
      [['hello', 'queued']],
    );
    await history.close();
  });
});

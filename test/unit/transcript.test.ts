/**
 * SessionTranscript (src/core/transcript.ts): private messages kept out of history on disk
 * still show when a chat is opened later in the same session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionTranscript } from '../../src/core/transcript';
import type { MessageView } from '../../src/shared/protocol';

const msg = (id: string, ts: number, extra: Partial<MessageView> = {}): MessageView => ({ id, ts, direction: 'in', text: id, ...extra });

describe('SessionTranscript', () => {
  it('merges kept messages into history by time, without duplicates', () => {
    const t = new SessionTranscript();
    t.add('bob@x', msg('p1', 15, { private: true }));
    t.add('bob@x', msg('h2', 20));
    const merged = t.merge('bob@x', [msg('h1', 10), msg('h2', 20), msg('h3', 30)]);
    assert.deepEqual(merged.map((m) => m.id), ['h1', 'p1', 'h2', 'h3']);
  });

  it('returns history unchanged for a contact with nothing kept', () => {
    const t = new SessionTranscript();
    const h = [msg('h1', 1)];
    assert.equal(t.merge('carol@x', h), h);
  });

  it('keeps the newest `limit` after merging', () => {
    const t = new SessionTranscript();
    t.add('bob@x', msg('p', 40));
    assert.deepEqual(t.merge('bob@x', [msg('a', 10), msg('b', 20), msg('c', 30)], 2).map((m) => m.id), ['c', 'p']);
  });

  it('updates the status of a kept message, and says when a message is not kept', () => {
    const t = new SessionTranscript();
    t.add('bob@x', msg('p', 1, { direction: 'out', status: 'queued' }));
    assert.equal(t.setStatus('bob@x', 'p', 'delivered'), true);
    assert.equal(t.merge('bob@x', [])[0].status, 'delivered');
    assert.equal(t.setStatus('bob@x', 'other', 'delivered'), false);
    assert.equal(t.setStatus('nobody@x', 'p', 'delivered'), false);
  });

  it('is bounded per contact (oldest dropped)', () => {
    const t = new SessionTranscript(3);
    for (let i = 0; i < 5; i++) t.add('bob@x', msg(`m${i}`, i));
    assert.deepEqual(t.merge('bob@x', []).map((m) => m.id), ['m2', 'm3', 'm4']);
  });
});

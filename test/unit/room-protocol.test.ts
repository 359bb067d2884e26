// Host-side validation of what the room panel and the contact tree send (src/shared/protocol.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_OUTGOING_TEXT, MAX_ROOM_SUBJECT, type RoomRequests, contactsValidators, roomValidators, validateRequest } from '../../src/shared/protocol';

const req = (method: string, params: unknown) => ({ kind: 'request', id: 1, method, params });

describe('room panel requests', () => {
  it('accepts well-formed requests', () => {
    for (const [m, p] of [
      ['ready', {}],
      ['send', { text: 'hi' }],
      ['setSubject', { subject: '' }],
      ['invite', {}],
      ['leave', {}],
      ['rejoin', {}],
      ['bookmark', { bookmarked: true, autojoin: false }],
    ] as const) {
      assert.equal(validateRequest<RoomRequests>(req(m, p), roomValidators).ok, true, m);
    }
  });

  it('refuses bad ones', () => {
    const bad: [string, unknown][] = [
      ['send', { text: '   ' }],
      ['send', { text: 'x'.repeat(MAX_OUTGOING_TEXT + 1) }],
      ['send', { text: 1 }],
      ['setSubject', { subject: 'x'.repeat(MAX_ROOM_SUBJECT + 1) }],
      ['setSubject', {}],
      ['bookmark', { bookmarked: 'yes', autojoin: false }],
      ['bookmark', { bookmarked: true }],
      ['kick', { nick: 'bob' }],
      ['leave', []],
    ];
    for (const [m, p] of bad) assert.equal(validateRequest<RoomRequests>(req(m, p), roomValidators).ok, false, `${m} ${JSON.stringify(p).slice(0, 40)}`);
  });
});

describe('contact tree room actions', () => {
  it('checks account, optional room and the action', () => {
    const v = contactsValidators.roomAction;
    assert.equal(v({ account: 'a@b', action: 'join' }), undefined);
    assert.equal(v({ account: 'a@b', jid: 'room@conference.b', action: 'open' }), undefined);
    assert.notEqual(v({ account: 'a@b', action: 'destroy' }), undefined);
    assert.notEqual(v({ account: 'a@b', jid: 5, action: 'open' }), undefined);
    assert.notEqual(v({ jid: 'r@c', action: 'open' }), undefined);
  });
});

// Pure logic of the padlock (webview/chat/otr.ts) and fingerprint formatting
// (webview/verify/fingerprint.ts): what each OTR state shows and offers, when a draft may be kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OtrStateView, OtrView } from '../../src/shared/protocol';
import { UNAVAILABLE, composerNotice, historyLabel, mayPersistDraft, padlockAccessibleName, padlockActions, padlockLook, padlockTooltip } from '../../webview/chat/otr';
import { fingerprintGroups, formatFingerprint } from '../../webview/verify/fingerprint';

const view = (state: OtrStateView, extra: Partial<OtrView> = {}): OtrView => ({ available: true, state, policy: 'manual', defaultPolicy: 'manual', logging: false, ...extra });
const STATES: OtrStateView[] = ['plaintext', 'starting', 'private-unverified', 'private-verified', 'finished', 'lost'];

test('padlock: open when not private, closed with a warning mark while unverified, closed when verified', () => {
  assert.deepEqual([padlockLook(view('plaintext'), 'Ada').icon, padlockLook(view('plaintext'), 'Ada').label], ['unlock', 'Not private']);
  const unverified = padlockLook(view('private-unverified'), 'Ada');
  assert.equal(unverified.icon, 'lock');
  assert.equal(unverified.badge, 'warning');
  assert.equal(unverified.label, 'Private, unverified');
  const verified = padlockLook(view('private-verified'), 'Ada');
  assert.equal(verified.icon, 'lock');
  assert.equal(verified.badge, undefined);
  assert.equal(verified.label, 'Private and verified');
  assert.equal(padlockLook(view('starting'), 'Ada').spin, true);
  assert.equal(padlockLook(view('finished'), 'Ada').label, 'Ada has ended the private conversation');
  assert.equal(padlockLook({ ...view('plaintext'), available: false }, 'Ada').detail, UNAVAILABLE);
  // Every state has a distinct label (the accessible name tells them apart).
  assert.equal(new Set(STATES.map((s) => padlockLook(view(s), 'Ada').label)).size, STATES.length);
});

test('padlock menu offers what makes sense in each state; nothing outside a 1:1 chat', () => {
  assert.deepEqual(padlockActions(view('plaintext')), ['startPrivate']);
  assert.deepEqual(padlockActions(view('private-unverified')), ['refreshPrivate', 'endPrivate', 'authenticate']);
  assert.deepEqual(padlockActions(view('finished')), ['refreshPrivate', 'endPrivate']);
  assert.deepEqual(padlockActions({ ...view('private-verified'), available: false }), []);
});

test('a draft is kept in webview state only for a plain conversation not meant to be private', () => {
  assert.equal(mayPersistDraft(undefined), true);
  assert.equal(mayPersistDraft(view('plaintext')), true);
  assert.equal(mayPersistDraft(view('plaintext', { policy: 'required' })), false);
  for (const s of STATES.filter((s) => s !== 'plaintext')) assert.equal(mayPersistDraft(view(s)), false, s);
  assert.equal(mayPersistDraft({ ...view('private-verified'), available: false }), true);
});

test('composer notice says why messages wait', () => {
  assert.equal(composerNotice(view('plaintext'), 'Ada'), undefined);
  assert.equal(composerNotice(view('private-verified', { policy: 'required' }), 'Ada'), undefined);
  assert.match(composerNotice(view('finished'), 'Ada')!.text, /Ada has ended the private conversation/);
  assert.deepEqual(composerNotice(view('plaintext', { policy: 'required' }), 'Ada')!.actions, ['startPrivate']);
  assert.ok(composerNotice(view('lost'), 'Ada'));
  assert.equal(historyLabel(view('private-verified')), 'History off for private messages');
  assert.equal(historyLabel(view('private-verified', { logging: true })), 'History on');
});

test('fingerprints: five groups of eight uppercase hex digits, whatever the input spacing', () => {
  const fp = 'c0ffee129a8b7c6d5e4f3a2b1c0d9e8f77665544';
  assert.deepEqual(fingerprintGroups(fp), ['C0FFEE12', '9A8B7C6D', '5E4F3A2B', '1C0D9E8F', '77665544']);
  assert.equal(formatFingerprint('C0FFEE12 9A8B7C6D 5E4F3A2B 1C0D9E8F 77665544'), 'C0FFEE12 9A8B7C6D 5E4F3A2B 1C0D9E8F 77665544');
  assert.deepEqual(fingerprintGroups('not a fingerprint'), []);
  assert.deepEqual(fingerprintGroups(undefined), []);
  assert.equal(formatFingerprint('xyz'), 'xyz');
});

test('padlock tooltip: whole translated sentences, one per line; accessible name says state and history', () => {
  assert.equal(
    padlockTooltip(view('private-unverified', { smp: { initiatedBy: 'them', waitingForUs: true } }), 'Ada'),
    'Private but unverified: authenticate Ada to be sure who you are talking to.\nMessages of this private conversation are not kept in history.\nAda is asking you to authenticate.\nClick for options.',
  );
  assert.equal(padlockTooltip(view('plaintext'), 'Ada'), 'Not private: messages are sent in plaintext.\nClick for options.');
  assert.equal(padlockTooltip(view('private-verified', { logging: true }), 'Ada'), 'Private conversation with Ada, verified.\nMessages of this private conversation are kept in history.\nClick for options.');
  assert.equal(padlockTooltip({ ...view('plaintext'), available: false }, 'Ada'), UNAVAILABLE);
  // Every line is one sentence ending in its own punctuation: nothing is glued or lower-cased.
  for (const s of STATES) for (const line of padlockTooltip(view(s), 'Ada').split('\n')) assert.match(line, /^[A-Z].*[.…]$/, `${s}: ${line}`);
  assert.equal(padlockAccessibleName(view('private-verified'), 'Ada'), 'Private conversation: Private and verified; History off for private messages');
  assert.equal(padlockAccessibleName(view('plaintext'), 'Ada'), 'Private conversation: Not private');
});

// Wording of the Authenticate dialog (webview/verify/texts.ts): as pidgin-otr / Jitsi word it,
// and the result of an SMP run told right on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodLabel, verifiedOptions, dialogTitle, ownFingerprintLabel, resultView, theirFingerprintLabel, verifiedSentence } from '../../webview/verify/texts';

test('the dialog reads like pidgin-otr: title, methods, fingerprints, "I have (not) verified"', () => {
  assert.equal(dialogTitle('Ada'), 'Authenticate Ada');
  assert.deepEqual((['question', 'secret', 'fingerprint'] as const).map(methodLabel), ['Question and answer', 'Shared secret', 'Manual fingerprint verification']);
  assert.equal(ownFingerprintLabel('me@example.org'), 'Fingerprint for you, me@example.org');
  assert.equal(theirFingerprintLabel('Ada'), 'Purported fingerprint for Ada');
  assert.equal(`${verifiedOptions().yes}${verifiedSentence('Ada')}`, 'I have verified that this is in fact the correct fingerprint for Ada.');
  assert.equal(`${verifiedOptions().no}${verifiedSentence('Ada')}`, 'I have not verified that this is in fact the correct fingerprint for Ada.');
});

test('success: the asker learns who the other is; the answerer of a question only that it was authenticated', () => {
  assert.match(resultView({ kind: 'succeeded', initiatedBy: 'us', question: true }, 'Ada')!.head, /Ada is authenticated/);
  assert.match(resultView({ kind: 'succeeded', initiatedBy: 'them', question: true }, 'Ada')!.head, /Ada has authenticated you/);
  assert.match(resultView({ kind: 'succeeded', initiatedBy: 'them', question: true }, 'Ada')!.text, /asking your own question/);
  // A shared secret authenticates both sides.
  assert.match(resultView({ kind: 'succeeded', initiatedBy: 'them' }, 'Ada')!.head, /Ada is authenticated/);
  assert.match(resultView({ kind: 'succeeded', initiatedBy: 'us' }, 'Ada')!.head, /Ada is authenticated/);
});

test('failure and abort are told on both sides, with who cancelled', () => {
  for (const initiatedBy of ['us', 'them'] as const) {
    const f = resultView({ kind: 'failed', initiatedBy }, 'Ada')!;
    assert.equal(f.cls, 'bad');
    assert.match(f.head, /Authentication failed/);
  }
  assert.match(resultView({ kind: 'aborted', initiatedBy: 'them', by: 'us' }, 'Ada')!.head, /You cancelled/);
  assert.match(resultView({ kind: 'aborted', initiatedBy: 'us', by: 'them' }, 'Ada')!.head, /Ada cancelled it/);
  assert.match(resultView({ kind: 'aborted', initiatedBy: 'us' }, 'Ada', true)!.head, /You cancelled/);
  assert.equal(resultView({ kind: 'inProgress', initiatedBy: 'us' }, 'Ada'), undefined);
});

/**
 * Regression test for patches/sasl-scram-sha-1+1.4.0.patch: Hi() (RFC 5802 §2.2) is now one
 * native PBKDF2-HMAC-SHA-1 derivation instead of 10,000 chained WebCrypto HMAC calls. It must
 * give exactly the bytes of PBKDF2, or every SCRAM sign-in would fail.
 */
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bitops = require('sasl-scram-sha-1/lib/bitops.js') as { Hi(text: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SCRAM-SHA-1 Hi() (patched)', () => {
  it('matches the RFC 6070 PBKDF2-HMAC-SHA1 test vectors', async () => {
    const salt = new TextEncoder().encode('salt');
    assert.equal(hex(await bitops.Hi('password', salt, 1)), '0c60c80f961f0e71f3a9b524af6012062fe037a6');
    assert.equal(hex(await bitops.Hi('password', salt, 2)), 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
    assert.equal(hex(await bitops.Hi('password', salt, 4096)), '4b007901b765489abead49d926f721d065a429c1');
  });

  it('matches node:crypto pbkdf2 for a Prosody-like iteration count and a non-ASCII password', async () => {
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
    const pw = 'pässwörd ✓ 密码';
    assert.equal(hex(await bitops.Hi(pw, salt, 10_000)), pbkdf2Sync(Buffer.from(pw, 'utf8'), salt, 10_000, 20, 'sha1').toString('hex'));
  });

  it('is the patched implementation (native PBKDF2, not an HMAC loop)', () => {
    assert.match(bitops.Hi.toString(), /deriveBits/);
  });
});

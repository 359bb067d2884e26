// Pure parts of the OTR core: fingerprint formatting, policy decisions, key packing, fragment
// headers, whitespace tags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { formatFingerprint, normalizeFingerprint } from '../../src/core/otr/fingerprint';
import { generatePackedKey, packFromKeyObjects, parsePackedKey } from '../../src/core/otr/keys';
import { DSA } from '../../src/core/otr/lib';
import { parseFragmentHeader, stripWhitespaceTags } from '../../src/core/otr/layer';
import { decideOutgoing, libraryFlags, type OtrPolicy, type OtrState } from '../../src/core/otr/policy';

describe('fingerprints', () => {
  it('are shown as libotr shows them: 5 groups of 8 uppercase hex', () => {
    assert.equal(formatFingerprint('0123456789abcdef0123456789abcdef01234567'), '01234567 89ABCDEF 01234567 89ABCDEF 01234567');
  });
  it('normalise from any spacing and case, reject anything else', () => {
    assert.equal(normalizeFingerprint('01234567 89ABCDEF 01234567 89ABCDEF 01234567'), '0123456789abcdef0123456789abcdef01234567');
    assert.equal(normalizeFingerprint('01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67'), '0123456789abcdef0123456789abcdef01234567');
    assert.equal(normalizeFingerprint('0123'), undefined);
    assert.equal(normalizeFingerprint('g'.repeat(40)), undefined);
    assert.equal(formatFingerprint('not a fingerprint'), 'not a fingerprint');
  });
});

describe('policy decisions', () => {
  const policies: OtrPolicy[] = ['manual', 'opportunistic', 'required'];
  it('private conversations always encrypt', () => {
    for (const p of policies) for (const st of ['private-unverified', 'private-verified'] as OtrState[]) assert.deepEqual(decideOutgoing(p, st), { action: 'encrypt' });
  });
  it('finished, lost and starting never send plaintext, whatever the policy', () => {
    for (const p of policies) {
      for (const st of ['finished', 'lost', 'starting'] as OtrState[]) assert.equal(decideOutgoing(p, st).action, 'hold', `${p}/${st}`);
    }
    assert.deepEqual(decideOutgoing('manual', 'finished'), { action: 'hold', start: false, notice: 'finished' });
    assert.deepEqual(decideOutgoing('manual', 'lost'), { action: 'hold', start: false, notice: 'lost' });
    assert.deepEqual(decideOutgoing('opportunistic', 'lost'), { action: 'hold', start: true, notice: 'lost' });
  });
  it('plaintext state: manual sends as is, opportunistic adds the tag (until they showed no OTR), required holds and starts', () => {
    assert.deepEqual(decideOutgoing('manual', 'plaintext'), { action: 'plaintext', whitespaceTag: false });
    assert.deepEqual(decideOutgoing('opportunistic', 'plaintext'), { action: 'plaintext', whitespaceTag: true });
    assert.deepEqual(decideOutgoing('opportunistic', 'plaintext', true), { action: 'plaintext', whitespaceTag: false });
    assert.deepEqual(decideOutgoing('required', 'plaintext'), { action: 'hold', start: true, notice: 'waiting' });
  });
  it('library flags follow libotr policies', () => {
    assert.deepEqual(libraryFlags('manual'), { REQUIRE_ENCRYPTION: false, WHITESPACE_START_AKE: false, ERROR_START_AKE: false });
    assert.deepEqual(libraryFlags('opportunistic'), { REQUIRE_ENCRYPTION: false, WHITESPACE_START_AKE: true, ERROR_START_AKE: true });
    assert.deepEqual(libraryFlags('required'), { REQUIRE_ENCRYPTION: true, WHITESPACE_START_AKE: true, ERROR_START_AKE: true });
  });
});

describe('keys', () => {
  it('native DSA keys pack into the library format: 1024/160 bits, sign and verify', async () => {
    const packed = await generatePackedKey();
    const key = parsePackedKey(packed) as unknown as { p: number[]; q: number[]; fingerprint(): string; sign(m: string): [unknown, unknown] };
    assert.match(key.fingerprint(), /^[0-9a-f]{40}$/);
    assert.equal(DSA.parsePrivate(packed).fingerprint(), key.fingerprint(), 'stable through pack/parse');
    const m = 'x'.repeat(32);
    const [r, s] = key.sign(m);
    assert.ok(DSA.verify(key as never, m, r, s));
    assert.ok(!DSA.verify(key as never, 'y'.repeat(32), r, s));
  });
  it('packFromKeyObjects reads PKCS#8/SPKI DER', () => {
    const { privateKey, publicKey } = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
    const buf = Buffer.from(packFromKeyObjects(privateKey, publicKey), 'base64');
    assert.equal(buf.readUInt16BE(0), 0, 'key type 0x0000 (DSA)');
    assert.equal(buf.readUInt32BE(2), 128, 'p is 1024 bits');
    assert.equal(buf.readUInt32BE(2 + 4 + 128), 20, 'q is 160 bits');
  });
  it('rejects malformed packed keys', () => {
    assert.throws(() => parsePackedKey('not base64!'));
    assert.throws(() => parsePackedKey(''));
  });
});

describe('wire helpers', () => {
  it('fragment headers (OTR v3 "Fragmentation")', () => {
    assert.deepEqual(parseFragmentHeader('?OTR|5a73a599|27e31597,00001,00003,piece,'), { k: 1, n: 3 });
    assert.deepEqual(parseFragmentHeader('?OTR,2,3,piece,'), { k: 2, n: 3 });
    assert.equal(parseFragmentHeader('?OTR,4,3,piece,'), undefined);
    assert.equal(parseFragmentHeader('?OTR,0,3,piece,'), undefined);
    assert.equal(parseFragmentHeader('?OTR,1,3,piece'), undefined);
    assert.equal(parseFragmentHeader('hello'), undefined);
  });
  it('whitespace tags are stripped', () => {
    const tag = ' \t  \t\t\t\t \t \t \t  ' + '  \t\t  \t\t' + '  \t\t  \t ';
    assert.equal(stripWhitespaceTags(`hello${tag}`), 'hello');
    assert.equal(stripWhitespaceTags('no tag'), 'no tag');
  });
});

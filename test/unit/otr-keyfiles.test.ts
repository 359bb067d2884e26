/**
 * OTR key files (src/core/otr/keyfiles.ts): Padlock's passphrase-protected export, and the
 * import of a libotr / Pidgin otr.private_key and otr.fingerprints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decryptKeyFile, encryptKeyFile, libotrFingerprintsFor, libotrPrivateKeyFor } from '../../src/core/otr/keyfiles';
import { generatePackedKey, parsePackedKey } from '../../src/core/otr/keys';
import { BigIntLib } from '../../src/core/otr/lib';

const PASS = 'correct horse battery staple';

/** libotr writes MPIs as #HEX# (uppercase, even length). */
function mpi(v: unknown): string {
  let h = BigIntLib.bigInt2str(v as number[], 16).toUpperCase();
  if (h.length % 2) h = `0${h}`;
  return `#${h}#`;
}

function libotrAccount(name: string, protocol: string, packed: string): string {
  const k = parsePackedKey(packed) as unknown as Record<'p' | 'q' | 'g' | 'y' | 'x', unknown>;
  return ` (account\n(name "${name}")\n(protocol ${protocol})\n(private-key \n (dsa \n  (p ${mpi(k.p)})\n  (q ${mpi(k.q)})\n  (g ${mpi(k.g)})\n  (y ${mpi(k.y)})\n  (x ${mpi(k.x)})\n  )\n )\n )\n`;
}

describe('Padlock key file (scrypt + AES-256-GCM)', () => {
  it('round-trips a key with the right passphrase', async () => {
    const packed = await generatePackedKey();
    const file = await encryptKeyFile(packed, PASS, { account: 'alice@example.org', fingerprint: 'X' });
    assert.ok(!file.includes(packed), 'the key is not in the file in the clear');
    assert.equal(JSON.parse(file).format, 'padlock-otr-key');
    assert.equal(await decryptKeyFile(file, PASS), packed);
  });

  it('refuses a wrong passphrase, a tampered file and a file that is not a key file', async () => {
    const file = await encryptKeyFile(await generatePackedKey(), PASS, { account: 'a@b.c', fingerprint: '' });
    await assert.rejects(decryptKeyFile(file, 'wrong passphrase'), /Wrong passphrase/);
    const f = JSON.parse(file);
    f.data = Buffer.from(Buffer.from(f.data, 'base64').map((b: number, i: number) => (i === 0 ? b ^ 1 : b))).toString('base64');
    await assert.rejects(decryptKeyFile(JSON.stringify(f), PASS), /Wrong passphrase, or the file is damaged/);
    await assert.rejects(decryptKeyFile('not json', PASS), /not a Padlock key file/);
    await assert.rejects(decryptKeyFile(JSON.stringify({ format: 'other' }), PASS), /not a Padlock key file/);
    // A hostile cost parameter (memory exhaustion) is refused before any work.
    const g = JSON.parse(file);
    g.kdf.N = 2 ** 30;
    await assert.rejects(decryptKeyFile(JSON.stringify(g), PASS), /unsupported parameters/);
  });
});

describe('libotr / Pidgin files', () => {
  it('picks the key of the right account from otr.private_key (same fingerprint)', async () => {
    const other = await generatePackedKey();
    const mine = await generatePackedKey();
    const text = `(privkeys\n${libotrAccount('someone@else.org', 'prpl-jabber', other)}${libotrAccount('alice@example.org/Pidgin', 'prpl-jabber', mine)})\n`;
    const packed = libotrPrivateKeyFor(text, 'alice@example.org');
    assert.ok(packed, 'found the key');
    assert.equal(parsePackedKey(packed).fingerprint(), parsePackedKey(mine).fingerprint());
    assert.equal(libotrPrivateKeyFor(text, 'nobody@example.org'), undefined);
  });

  it('ignores keys of other protocols for the same name', async () => {
    const text = `(privkeys\n${libotrAccount('alice@example.org', 'prpl-irc', await generatePackedKey())})`;
    assert.equal(libotrPrivateKeyFor(text, 'alice@example.org'), undefined);
  });

  it('reads known fingerprints of the account from otr.fingerprints, with their trust', () => {
    const fp1 = 'a'.repeat(40);
    const fp2 = '0123456789abcdef0123456789ABCDEF01234567';
    const text = [
      `bob@example.org\talice@example.org/Pidgin\tprpl-jabber\t${fp1}\tverified`,
      `carol@example.org/phone\talice@example.org\tprpl-jabber\t${fp2}\t`,
      `dave@example.org\tsomeone@else.org\tprpl-jabber\t${fp1}\tverified`,
      `erin@irc\talice@example.org\tprpl-irc\t${fp1}\tverified`,
      `broken line`,
      `frank@example.org\talice@example.org\tprpl-jabber\tnot-a-fingerprint\tverified`,
    ].join('\n');
    assert.deepEqual(libotrFingerprintsFor(text, 'alice@example.org'), [
      { contact: 'bob@example.org', fingerprint: fp1, verified: true },
      { contact: 'carol@example.org', fingerprint: fp2.toLowerCase(), verified: false },
    ]);
  });
});

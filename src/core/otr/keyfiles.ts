/**
 * OTR key files: Padlock's passphrase-protected export format, and the files of libotr-based
 * clients (Pidgin's otr.private_key and otr.fingerprints), so a user can move their identity
 * and their verified contacts into Padlock. Pure Node, unit-tested.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { bareJid } from '../jid';
import { normalizeFingerprint } from './fingerprint';
import { DSA } from './lib';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

const KDF = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** A key file: JSON with the packed key encrypted by AES-256-GCM under scrypt(passphrase). */
export async function encryptKeyFile(packed: string, passphrase: string, meta: { account: string; fingerprint: string }): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await scrypt(passphrase, salt, 32, KDF);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from('padlock-otr-key-v1'));
  const data = Buffer.concat([c.update(packed, 'utf8'), c.final()]);
  return (
    JSON.stringify(
      {
        format: 'padlock-otr-key',
        version: 1,
        account: meta.account,
        fingerprint: meta.fingerprint,
        kdf: { name: 'scrypt', N: KDF.N, r: KDF.r, p: KDF.p, salt: salt.toString('base64') },
        cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64') },
        data: data.toString('base64'),
      },
      null,
      2,
    ) + '\n'
  );
}

export async function decryptKeyFile(text: string, passphrase: string): Promise<string> {
  let f: {
    format?: string;
    kdf?: { N?: number; r?: number; p?: number; salt?: string };
    cipher?: { iv?: string; tag?: string };
    data?: string;
  };
  try {
    f = JSON.parse(text);
  } catch {
    throw new Error('This is not a Padlock key file.');
  }
  if (f.format !== 'padlock-otr-key' || !f.kdf?.salt || !f.cipher?.iv || !f.cipher.tag || !f.data) throw new Error('This is not a Padlock key file.');
  const N = Number(f.kdf.N);
  if (!Number.isInteger(N) || N < 1024 || N > 1 << 20 || (N & (N - 1)) !== 0) throw new Error('The key file has unsupported parameters.');
  const key = await scrypt(passphrase, Buffer.from(f.kdf.salt, 'base64'), 32, { N, r: Number(f.kdf.r) || 8, p: Number(f.kdf.p) || 1, maxmem: KDF.maxmem * 2 });
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(f.cipher.iv, 'base64'));
  d.setAAD(Buffer.from('padlock-otr-key-v1'));
  d.setAuthTag(Buffer.from(f.cipher.tag, 'base64'));
  try {
    return Buffer.concat([d.update(Buffer.from(f.data, 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new Error('Wrong passphrase, or the file is damaged.');
  }
}

/**
 * The key for `jid` from libotr's otr.private_key: `(privkeys (account (name "…") (protocol
 * prpl-jabber) (private-key (dsa (p #…#) (q #…#) (g #…#) (y #…#) (x #…#)))) …)`.
 * Returns the key in the library's packed form.
 */
export function libotrPrivateKeyFor(text: string, jid: string): string | undefined {
  for (const block of sexpAccounts(text)) {
    const name = /\(name\s+"?([^")\s]+)"?\s*\)/.exec(block)?.[1];
    if (!name || bareJid(name) !== bareJid(jid)) continue;
    if (!/\(protocol\s+"?prpl-jabber"?\s*\)/.test(block) && /\(protocol/.test(block)) continue;
    // With `libotr` the library returns the key's fields ({p, q, g, y, x}), not a key object.
    const fields = DSA.parsePrivate(`(privkeys ${block})`, true) as unknown;
    return new DSA(fields).packPrivate();
  }
  return undefined;
}

function sexpAccounts(text: string): string[] {
  const out: string[] = [];
  let i = text.indexOf('(account');
  while (i >= 0) {
    let depth = 0;
    let j = i;
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) break;
    }
    out.push(text.slice(i, j + 1));
    i = text.indexOf('(account', j);
  }
  return out;
}

/** libotr's otr.fingerprints: `contact \t account \t protocol \t fingerprint-hex [\t verified]`. */
export function libotrFingerprintsFor(text: string, jid: string): { contact: string; fingerprint: string; verified: boolean }[] {
  const out: { contact: string; fingerprint: string; verified: boolean }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [contact, account, protocol, fp, trust] = line.split('\t');
    if (!contact || !account || !fp) continue;
    if (protocol && protocol !== 'prpl-jabber') continue;
    if (bareJid(account) !== bareJid(jid)) continue;
    const n = normalizeFingerprint(fp);
    if (!n) continue;
    out.push({ contact: bareJid(contact), fingerprint: n, verified: !!trust && trust.trim() !== '' });
  }
  return out;
}


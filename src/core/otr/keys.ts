/**
 * OTR long-term keys: 1024-bit DSA (OTR v3 "Public keys, signatures, and fingerprints"), made
 * by OpenSSL through node:crypto instead of the library's pure-JS generator (1-2 s of blocked
 * event loop measured here). `crypto.generateKeyPair` runs in libuv's thread pool, so the
 * extension host's event loop stays free while it works; no worker file is needed.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { DSA, type DsaKey } from './lib';

/** Generates a DSA key (L=1024, N=160, the sizes libotr uses) and returns it in the library's packed form. */
export async function generatePackedKey(): Promise<string> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('dsa', { modulusLength: 1024, divisorLength: 160 }, (err, pub, priv) => (err ? reject(err) : resolve({ publicKey: pub, privateKey: priv }))),
  );
  return packFromKeyObjects(privateKey, publicKey);
}

/** Packs node:crypto DSA key objects into the library's private-key format (see `DsaKey.packPrivate`). */
export function packFromKeyObjects(privateKey: KeyObject, publicKey: KeyObject): string {
  // PKCS#8 PrivateKeyInfo (RFC 5208) with DSA parameters (RFC 3279 §2.3.2):
  //   SEQ { INT 0, SEQ { OID dsa, SEQ { INT p, INT q, INT g } }, OCTET STRING { INT x } }
  const pkcs8 = readDer(privateKey.export({ type: 'pkcs8', format: 'der' }));
  const [, alg, octets] = seq(pkcs8);
  const [, params] = seq(alg!);
  const [p, q, g] = seq(params!).map(int);
  const x = int(readDer(octets!.value));
  // SubjectPublicKeyInfo: SEQ { SEQ { OID, params }, BIT STRING { INT y } }
  const spki = readDer(publicKey.export({ type: 'spki', format: 'der' }));
  const [, bits] = seq(spki);
  const y = int(readDer(bits!.value.subarray(1))); // skip the "unused bits" byte
  const mpi = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  // OTR v3 "DSA public key": SHORT type 0x0000, MPI p, q, g, y; then the library's MPI x.
  const packed = Buffer.concat([Buffer.from([0, 0]), mpi(p!), mpi(q!), mpi(g!), mpi(y), mpi(x)]);
  return packed.toString('base64');
}

/** Restores a packed private key (throws on anything malformed). */
export function parsePackedKey(packed: string): DsaKey {
  if (typeof packed !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(packed) || packed.length > 4096) throw new Error('Not an OTR private key.');
  const key = DSA.parsePrivate(packed);
  const fp = key.fingerprint();
  if (!/^[0-9a-f]{40}$/.test(fp)) throw new Error('Not an OTR private key.');
  return key;
}

interface Der {
  tag: number;
  value: Buffer;
}

function readDer(buf: Buffer, offset = 0): Der & { end: number } {
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + len > buf.length) throw new Error('DER: truncated');
  return { tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

function seq(el: Der): Der[] {
  if (el.tag !== 0x30) throw new Error('DER: expected a SEQUENCE');
  const out: Der[] = [];
  let off = 0;
  while (off < el.value.length) {
    const child = readDer(el.value, off);
    out.push(child);
    off = child.end;
  }
  return out;
}

/** A DER INTEGER as an unsigned big-endian buffer without leading zeros (the MPI form). */
function int(el: Der): Buffer {
  if (el.tag !== 0x02) throw new Error('DER: expected an INTEGER');
  let i = 0;
  while (i < el.value.length - 1 && el.value[i] === 0) i++;
  return el.value.subarray(i);
}

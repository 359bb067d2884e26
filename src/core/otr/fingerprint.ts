/**
 * Fingerprints as libotr-based clients (Pidgin, mcabber, Jitsi) show them: the SHA-1 of the
 * public key (OTR v3 "Fingerprints") as 5 groups of 8 uppercase hex digits.
 */

/** "0123abcd…" (40 hex) → "0123ABCD 4567EF01 …". Returns the input unchanged if it is not a fingerprint. */
export function formatFingerprint(fp: string): string {
  const hex = normalizeFingerprint(fp);
  if (!hex) return fp;
  return hex.toUpperCase().match(/.{8}/g)!.join(' ');
}

/** Any spacing/case of a 40-hex fingerprint → 40 lowercase hex, or undefined. */
export function normalizeFingerprint(fp: string): string | undefined {
  if (typeof fp !== 'string') return undefined;
  const hex = fp.replace(/[\s:]/g, '').toLowerCase();
  return /^[0-9a-f]{40}$/.test(hex) ? hex : undefined;
}

/**
 * OTR fingerprints as libotr-based clients (Pidgin, Jitsi) show them: 40 uppercase hex digits in
 * five groups of eight. Pure; shared by the Authenticate dialog and the Security page.
 */

/** The five groups of a fingerprint, whatever spacing or case it came in; [] if it is not one. */
export function fingerprintGroups(fp: string | undefined): string[] {
  if (!fp) return [];
  const hex = fp.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) return [];
  const out: string[] = [];
  for (let i = 0; i < 40; i += 8) out.push(hex.slice(i, i + 8));
  return out;
}

/** "XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX XXXXXXXX" (what is copied and read aloud). */
export function formatFingerprint(fp: string | undefined): string {
  const g = fingerprintGroups(fp);
  return g.length ? g.join(' ') : (fp ?? '');
}

/**
 * JID handling (RFC 7622). Padlock keeps JIDs as strings: bare `local@domain` for contacts
 * and accounts, full `local@domain/resource` only where a specific client matters
 * (RFC 6121 §5.1 chat-session locking).
 */

import { RecentMap } from './recent';

export interface ParsedJid {
  local: string;
  domain: string;
  resource: string;
}

/** RFC 7622 §3.2-3.4: each part is 1..1023 octets. */
const MAX_PART = 1023;
// Characters RFC 7622 (via PRECIS / RFC 7613) forbids in a localpart.
const LOCAL_FORBIDDEN = /["&'/:<>@\s]/;

/**
 * Recently parsed JIDs. Every message is checked against a handful of JIDs, the same few again
 * and again (its sender, our account, the contact we answer), each parse a dozen string scans
 * (docs/benchmarks.md). Results are frozen, so a caller cannot change what the next one gets.
 * Bounded: the newest 256 to 512 (a busy MUC rotates through more JIDs than fit, which only
 * costs the parse).
 */
const parsed = new RecentMap<string, Readonly<ParsedJid> | null>(256);

export function parseJid(input: string): Readonly<ParsedJid> | undefined {
  if (typeof input !== 'string') return undefined;
  const hit = parsed.get(input);
  if (hit !== undefined) return hit ?? undefined;
  const p = parseJidUncached(input);
  parsed.set(input, p ? Object.freeze(p) : null);
  return p;
}

function parseJidUncached(input: string): ParsedJid | undefined {
  const s = input.trim();
  const slash = s.indexOf('/');
  const resource = slash >= 0 ? s.slice(slash + 1) : '';
  const bare = slash >= 0 ? s.slice(0, slash) : s;
  const at = bare.lastIndexOf('@');
  const local = at >= 0 ? bare.slice(0, at) : '';
  const domain = (at >= 0 ? bare.slice(at + 1) : bare).toLowerCase().replace(/\.$/, '');
  const octets = (x: string) => Buffer.byteLength(x, 'utf8');
  if (!domain || octets(domain) > MAX_PART || /[\s@/<>"&']/.test(domain)) return undefined;
  if (at >= 0 && (!local || octets(local) > MAX_PART || LOCAL_FORBIDDEN.test(local))) return undefined;
  if (slash >= 0 && (!resource || octets(resource) > MAX_PART)) return undefined;
  if (/[\u0000-\u001f\u007f]/.test(s)) return undefined;
  // Localparts are case-insensitive (RFC 7613 UsernameCaseMapped); domains too.
  return { local: local.toLowerCase(), domain, resource };
}

export function bareJid(input: string): string {
  const p = parseJid(input);
  if (!p) return input;
  return p.local ? `${p.local}@${p.domain}` : p.domain;
}

/** A JID a user may type for an account or a contact: must have a local part and no resource. */
export function isValidBareUserJid(input: string): boolean {
  const p = parseJid(input);
  return !!p && !!p.local && !p.resource;
}

export function resourceOf(input: string): string {
  return parseJid(input)?.resource ?? '';
}

export function localOf(input: string): string {
  return parseJid(input)?.local ?? input;
}

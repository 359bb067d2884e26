/**
 * Pure text logic for the webviews: splitting a message into displayable segments, labels and
 * time formatting. No DOM here, so test/unit/render.test.ts runs it in plain Node.
 *
 * The segments are data; the views turn them into text nodes, `<a>` and `<pre><code>` — never
 * into HTML. Only three pieces of markup are recognised, the ones chat users type by habit:
 * ```fenced code``` (with an optional language), `inline code` and http(s) URLs. Anything else
 * (HTML, Markdown images, ...) stays literal text.
 */
import type { ConnectionState, PresenceShow } from '../../src/shared/protocol';
import { l10n } from './l10n';

export type Segment =
  | { kind: 'text'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'code'; text: string; lang?: string }
  | { kind: 'inlineCode'; text: string };

const FENCE = '```';
/** A language tag right after the opening fence: `js`, `c++`, `objective-c`, `c#`, `shell-session`. */
const LANG = /^[A-Za-z0-9][A-Za-z0-9_+#.-]{0,31}$/;

/**
 * Splits a message. Linear in the input (indexOf scans and one non-backtracking regex per
 * text run), so a 1 MB message is segmented in milliseconds.
 */
export function segmentText(text: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf(FENCE, pos);
    if (open < 0) break;
    const block = readFence(text, open);
    if (!block) {
      // No closing fence: everything from here on is ordinary text (with inline code).
      break;
    }
    inline(text.slice(pos, open), out);
    out.push(block.lang ? { kind: 'code', text: block.code, lang: block.lang } : { kind: 'code', text: block.code });
    pos = block.end;
  }
  inline(text.slice(pos), out);
  return mergeText(out);
}

function readFence(text: string, open: number): { code: string; lang?: string; end: number } | undefined {
  let start = open + FENCE.length;
  // Runs of more than three backticks belong to the fence (```` is still a fence opener).
  while (text[start] === '`') start++;
  let lang: string | undefined;
  // Only a short first line can be a language tag; looking no further keeps many fences on one
  // long line linear.
  const nlRel = text.slice(start, start + 40).indexOf('\n');
  if (nlRel >= 0) {
    const firstLine = text.slice(start, start + nlRel).trim();
    if (firstLine === '' || LANG.test(firstLine)) {
      lang = firstLine || undefined;
      start += nlRel + 1;
    }
  }
  const close = text.indexOf(FENCE, start);
  if (close < 0) return undefined;
  let end = close + FENCE.length;
  while (text[end] === '`') end++;
  let code = text.slice(start, close);
  if (code.endsWith('\n')) code = code.slice(0, code.endsWith('\r\n') ? -2 : -1);
  if (!code && !lang) return undefined; // "``````" is not a code block worth drawing.
  return { code, lang, end };
}

/** Inline code spans on one line, then links in what is left. */
function inline(text: string, out: Segment[]): void {
  let flushed = 0; // text before this index has been emitted
  let search = 0;
  // Next newline after the current backtick, searched again only once passed (keeps it linear).
  let nl = -1;
  while (search < text.length) {
    const open = text.indexOf('`', search);
    if (open < 0) break;
    const close = text.indexOf('`', open + 1);
    if (close < 0) break;
    if (nl !== Infinity && nl <= open) {
      nl = text.indexOf('\n', open + 1);
      if (nl < 0) nl = Infinity;
    }
    if (nl < close || close === open + 1) {
      // Not a span (crosses a line, or is empty): `open` stays text; `close` may open the next span.
      search = close;
      continue;
    }
    links(text.slice(flushed, open), out);
    out.push({ kind: 'inlineCode', text: text.slice(open + 1, close) });
    flushed = search = close + 1;
  }
  links(text.slice(flushed), out);
}

// No nested quantifiers: linear time. Stops at whitespace, quotes, angle brackets and backticks,
// which never appear unescaped in a URL anyway (RFC 3986 §2).
const URL_RE = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/gi;
const TRAILING_CHARS = `.,;:!?'"*_~]}>`;

function links(text: string, out: Segment[]): void {
  if (!text) return;
  let last = 0;
  URL_RE.lastIndex = 0;
  for (let m = URL_RE.exec(text); m; m = URL_RE.exec(text)) {
    const url = trimUrl(m[0]);
    const href = safeHref(url);
    if (!href) continue;
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
    out.push({ kind: 'link', text: url, href });
    last = m.index + url.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
}

/** Drops sentence punctuation after a URL, but keeps a closing parenthesis that has its opener (Wikipedia-style links). */
function trimUrl(url: string): string {
  // Counted once and updated while trimming, so a URL ending in a million ")" stays linear.
  let opens = count(url, '(');
  let closes = count(url, ')');
  let end = url.length;
  while (end > 0) {
    const last = url[end - 1]!;
    if (last === ')') {
      if (opens >= closes) break;
      closes--;
    } else if (!TRAILING_CHARS.includes(last)) {
      break;
    }
    end--;
  }
  return url.slice(0, end);
}

function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** The href to use for a link, or undefined if it is not a well-formed http(s) URL. */
export function safeHref(candidate: string): string | undefined {
  let u: URL;
  try {
    u = new URL(candidate);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!u.hostname) return undefined;
  return u.href;
}

function mergeText(segs: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    const prev = out[out.length - 1];
    if (s.kind === 'text' && !s.text) continue;
    if (s.kind === 'text' && prev?.kind === 'text') prev.text += s.text;
    else out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Long messages

/** Above this many characters a message is shown cut, with a "Show all" toggle. */
export const DISPLAY_LIMIT = 4000;
/** Above this many lines, likewise (a 3,000-line paste would otherwise fill the panel). */
export const DISPLAY_LINE_LIMIT = 60;

/** What part of a long message to draw first; `undefined` when the whole text fits. */
export function truncateForDisplay(text: string, maxChars = DISPLAY_LIMIT, maxLines = DISPLAY_LINE_LIMIT): string | undefined {
  let cut = text.length > maxChars ? maxChars : -1;
  // Find the maxLines-th newline without splitting the whole text.
  let nl = -1;
  for (let i = 0; i < maxLines; i++) {
    nl = text.indexOf('\n', nl + 1);
    if (nl < 0 || (cut >= 0 && nl > cut)) break;
  }
  if (nl >= 0 && (cut < 0 || nl < cut)) cut = nl;
  if (cut < 0) return undefined;
  // Do not split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return text.slice(0, cut);
}

// ---------------------------------------------------------------------------------------------
// Labels

export const PRESENCE_LABEL: Record<PresenceShow, string> = {
  available: l10n.t('Available'),
  chat: l10n.t('Free for chat'),
  away: l10n.t('Away'),
  xa: l10n.t('Extended away'),
  dnd: l10n.t('Busy'),
  offline: l10n.t('Offline'),
};

export { PRESENCE_ICON } from '../../src/shared/presence';

export function connectionLabel(state: ConnectionState, error?: string): string {
  switch (state) {
    case 'online':
      return l10n.t('Online');
    case 'connecting':
      return l10n.t('Connecting…');
    case 'reconnecting':
      return error ? l10n.t('Reconnecting… ({0})', error) : l10n.t('Reconnecting…');
    case 'error':
      return error ? l10n.t('Error: {0}', error) : l10n.t('Error');
    case 'signedOut':
      return l10n.t('Signed out');
  }
}

export const CONNECTION_ICON: Record<ConnectionState, string> = {
  online: 'pass',
  connecting: 'loading',
  reconnecting: 'sync',
  error: 'error',
  signedOut: 'debug-disconnect',
};

// ---------------------------------------------------------------------------------------------
// Time. Local time zone and the user's locale (undefined = the webview's navigator language).

function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** "14:05" — the time shown on each message. */
export function formatTime(ts: number, locale?: string): string {
  return new Date(ts).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

/** Day separator: "Today", "Yesterday", or a date ("Monday, 3 March 2025"). */
export function formatDay(ts: number, now: number = Date.now(), locale?: string): string {
  const day = startOfDay(ts);
  const today = startOfDay(now);
  if (day === today) return l10n.t('Today');
  // One calendar day earlier (not 24 h: DST days have 23 or 25 hours).
  const y = new Date(today);
  y.setDate(y.getDate() - 1);
  if (day === y.getTime()) return l10n.t('Yesterday');
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return new Date(ts).toLocaleDateString(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: sameYear ? undefined : 'numeric',
  });
}

/** Full date and time, for tooltips. */
export function formatFull(ts: number, locale?: string): string {
  return new Date(ts).toLocaleString(locale, { dateStyle: 'full', timeStyle: 'medium' });
}

/** Messages closer than this from the same sender share one header. */
export const GROUP_GAP_MS = 5 * 60_000;

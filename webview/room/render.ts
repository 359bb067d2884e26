/**
 * Pure logic of the room panel (no DOM), unit-tested in test/unit/room-render.test.ts:
 * nickname colours, mention highlighting, occupant ordering and labels.
 */
import type { OccupantView, RoomAffiliationView, RoomRoleView } from '../../src/shared/protocol';
import { l10n } from '../shared/l10n';

/** Number of nickname colours (classes nick-c0 … nick-c7 in media/room.css, from theme colours). */
export const NICK_COLORS = 8;

/**
 * A stable colour index for a nickname: FNV-1a over its UTF-16 code units. The same nick has
 * the same colour in every room and session; distinct nicks spread over the palette.
 * Long nicks are hashed over their first 1,024 code units (identity is not at stake here).
 */
export function nickColor(nick: string, colors = NICK_COLORS): number {
  let h = 0x811c9dc5;
  const n = Math.min(nick.length, 1024);
  for (let i = 0; i < n; i++) {
    h ^= nick.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % colors;
}

export interface MentionPart {
  text: string;
  mention: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits `text` around mentions of `nick`: case-insensitive, on word boundaries in the Unicode
 * sense (as src/core/muc.ts isMention), so "bob" is found in "hi Bob!" and "@bob:" but not in
 * "bobby". Joining the parts' texts gives `text` back unchanged.
 */
export function mentionParts(text: string, nick: string): MentionPart[] {
  if (!nick || !text || nick.length > text.length) return text ? [{ text, mention: false }] : [];
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRegExp(nick)}(?![\\p{L}\\p{N}_])`, 'giu');
  const out: MentionPart[] = [];
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    if (m.index > last) out.push({ text: text.slice(last, m.index), mention: false });
    out.push({ text: m[0], mention: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), mention: false });
  return out;
}

export const ROLE_RANK: Record<RoomRoleView, number> = { moderator: 0, participant: 1, visitor: 2, none: 3 };

export const ROLE_LABEL: Record<RoomRoleView, string> = {
  moderator: l10n.t('Moderators'),
  participant: l10n.t('Participants'),
  visitor: l10n.t('Visitors'),
  none: l10n.t('Others'),
};

export const AFFILIATION_LABEL: Record<RoomAffiliationView, string> = {
  owner: l10n.t('Owner'),
  admin: l10n.t('Admin'),
  member: l10n.t('Member'),
  outcast: l10n.t('Banned'),
  none: '',
};

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** Occupant list order: by role (moderators first), then nickname. */
export function compareOccupants(a: OccupantView, b: OccupantView): number {
  return ROLE_RANK[a.role] - ROLE_RANK[b.role] || collator.compare(a.displayNick, b.displayNick) || (a.nick < b.nick ? -1 : a.nick > b.nick ? 1 : 0);
}

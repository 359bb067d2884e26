/**
 * Presence as icons, shared by the webviews and the host's quick picks (codicon names).
 */
import type { PresenceShow } from './protocol';

/**
 * Presence codicons. The shapes differ as well as the colours (set in CSS), so the states are
 * told apart in high-contrast themes and by colour-blind users.
 */
export const PRESENCE_ICON: Record<PresenceShow, string> = {
  available: 'circle-filled',
  chat: 'comment',
  away: 'clock',
  xa: 'watch',
  dnd: 'circle-slash',
  offline: 'circle-outline',
};

/**
 * The actions of a contact row (its "More actions…" menu and context menu), as pure data so
 * unit tests can check them without a DOM. Like Jitsi Desktop's and Pidgin's buddy menus, the
 * private-conversation actions sit beside message / rename / move / remove: Start, Refresh and
 * End Private Conversation, and Authenticate (the contact's OTR state is in the chat's padlock;
 * each action is harmless when it does not apply: Refresh starts, End does nothing).
 */
import type { ContactAction, ContactView } from '../../src/shared/protocol';
import { l10n } from '../shared/l10n';

export interface ContactMenuEntry {
  label: string;
  icon: string;
  hint?: string;
  danger?: boolean;
  /** 'open' opens the chat; anything else is sent as a contactAction. */
  action: ContactAction | 'open';
}

export function canRerequest(c: ContactView): boolean {
  return c.pendingOut || c.denied || c.subscription === 'none' || c.subscription === 'from';
}

export function contactMenu(c: ContactView): ContactMenuEntry[] {
  const items: ContactMenuEntry[] = [
    { label: l10n.t('Send message'), icon: 'comment', hint: l10n.t('Enter'), action: 'open' },
    { label: l10n.t('Start Private Conversation'), icon: 'lock', action: 'startPrivate' },
    { label: l10n.t('Refresh Private Conversation'), icon: 'sync', action: 'refreshPrivate' },
    { label: l10n.t('End Private Conversation'), icon: 'unlock', action: 'endPrivate' },
    { label: l10n.t('Authenticate {0}…', c.name), icon: 'shield', action: 'authenticate' },
    { label: l10n.t('Rename…'), icon: 'edit', hint: 'F2', action: 'rename' },
    { label: l10n.t('Move to group…'), icon: 'folder', action: 'move' },
  ];
  if (canRerequest(c)) items.push({ label: l10n.t('Re-request authorisation'), icon: 'refresh', action: 'rerequest' });
  items.push({ label: l10n.t('Remove…'), icon: 'trash', hint: l10n.t('Delete'), danger: true, action: 'remove' });
  return items;
}

/**
 * Pure logic of the chat panel's padlock (OTR state -> what to show and offer). No DOM, so
 * test/unit/webview-otr.test.ts runs it in plain Node.
 *
 * After Jitsi Desktop: an open padlock when not private, a closed one with an orange warning mark
 * while the contact is unverified, a plain closed one once verified.
 */
import type { OtrPolicyView, OtrView, SystemAction } from '../../src/shared/protocol';
import { l10n } from '../shared/l10n';

export type PadlockTone = 'plain' | 'busy' | 'warn' | 'ok' | 'ended' | 'lost' | 'off';

export interface PadlockLook {
  /** Main codicon. */
  icon: string;
  /** Small overlay mark on the icon. */
  badge?: 'warning' | 'ended';
  spin?: boolean;
  /** Short state text: visible beside the padlock and part of its accessible name. */
  label: string;
  /** Longer explanation for the tooltip: a whole sentence, full stop included. */
  detail: string;
  tone: PadlockTone;
}

/**
 * The protocol's OtrView says which policy is in force, not whether it is the contact's own or
 * the global default. These two optional fields are a proposed protocol addition (see the
 * report of the padlock work); the menu works without them.
 */
export type OtrViewExt = OtrView;

export const POLICY_LABEL: Record<OtrPolicyView, string> = {
  manual: l10n.t('Manual'),
  opportunistic: l10n.t('Opportunistic'),
  required: l10n.t('Required'),
};

export const POLICY_HINT: Record<OtrPolicyView, string> = {
  manual: l10n.t('start private conversations only when I ask'),
  opportunistic: l10n.t('start automatically with contacts whose clients support it'),
  required: l10n.t('never send a message in plaintext'),
};

export const UNAVAILABLE = l10n.t('Private conversations (OTR) are for two people only');

export function padlockLook(otr: OtrView | undefined, name: string): PadlockLook {
  if (!otr) return { icon: 'unlock', label: l10n.t('Not private'), detail: l10n.t('Not private.'), tone: 'plain' };
  if (!otr.available) return { icon: 'unlock', label: l10n.t('Not private'), detail: UNAVAILABLE, tone: 'off' };
  switch (otr.state) {
    case 'plaintext':
      return {
        icon: 'unlock',
        label: l10n.t('Not private'),
        detail: otr.policy === 'required' ? l10n.t('Not private: your policy requires a private conversation before messages are sent.') : l10n.t('Not private: messages are sent in plaintext.'),
        tone: 'plain',
      };
    case 'starting':
      return { icon: 'sync', spin: true, label: l10n.t('Starting private conversation…'), detail: l10n.t('Starting a private conversation with {0}…', name), tone: 'busy' };
    case 'private-unverified':
      return {
        icon: 'lock',
        badge: 'warning',
        label: l10n.t('Private, unverified'),
        detail: l10n.t('Private but unverified: authenticate {0} to be sure who you are talking to.', name),
        tone: 'warn',
      };
    case 'private-verified':
      return { icon: 'lock', label: l10n.t('Private and verified'), detail: l10n.t('Private conversation with {0}, verified.', name), tone: 'ok' };
    case 'finished':
      return {
        icon: 'lock',
        badge: 'ended',
        label: l10n.t('{0} has ended the private conversation', name),
        detail: l10n.t('{0} has ended the private conversation: end or refresh yours.', name),
        tone: 'ended',
      };
    case 'lost':
      return { icon: 'debug-disconnect', label: l10n.t('Private conversation lost'), detail: l10n.t('The private conversation was lost: refresh it to go on privately.'), tone: 'lost' };
  }
}

/** The conversation actions the padlock menu offers in a state (the policy items come after). */
export function padlockActions(otr: OtrView): SystemAction[] {
  if (!otr.available) return [];
  switch (otr.state) {
    case 'plaintext':
      return ['startPrivate'];
    case 'starting':
      return ['refreshPrivate', 'endPrivate'];
    case 'private-unverified':
    case 'private-verified':
      return ['refreshPrivate', 'endPrivate', 'authenticate'];
    case 'finished':
      return ['refreshPrivate', 'endPrivate'];
    case 'lost':
      return ['refreshPrivate', 'endPrivate'];
  }
}

export function actionLabel(action: SystemAction, name: string): string {
  switch (action) {
    case 'startPrivate':
      return l10n.t('Start private conversation');
    case 'refreshPrivate':
      return l10n.t('Refresh private conversation');
    case 'endPrivate':
      return l10n.t('End private conversation');
    case 'authenticate':
      return l10n.t('Authenticate {0}…', name);
    case 'resendPrivate':
      return l10n.t('Resend privately');
  }
}

export const ACTION_ICON: Record<SystemAction, string> = {
  startPrivate: 'lock',
  refreshPrivate: 'refresh',
  endPrivate: 'unlock',
  authenticate: 'shield',
  resendPrivate: 'sync',
};

export function isPrivate(otr: OtrView | undefined): boolean {
  return !!otr && (otr.state === 'private-unverified' || otr.state === 'private-verified');
}

/**
 * Whether the unsent draft may be kept in the webview's state (which VS Code writes to disk):
 * only for a plain conversation that is not meant to be private. Anything typed for a private
 * conversation (starting, private, just ended or lost, or required by policy) stays in memory.
 */
export function mayPersistDraft(otr: OtrView | undefined): boolean {
  if (!otr || !otr.available) return true;
  return otr.state === 'plaintext' && otr.policy !== 'required';
}

/** "History off for private messages" / "History on", shown while private. */
export function historyLabel(otr: OtrView): string {
  return otr.logging ? l10n.t('History on') : l10n.t('History off for private messages');
}

/**
 * The padlock's tooltip: whole sentences, one per line, each translated as a unit (no
 * lower-casing or punctuation glued on here, which breaks in other languages).
 */
export function padlockTooltip(otr: OtrView | undefined, name: string): string {
  if (!otr || !otr.available) return UNAVAILABLE;
  const look = padlockLook(otr, name);
  const lines = [look.detail];
  if (isPrivate(otr)) lines.push(otr.logging ? l10n.t('Messages of this private conversation are kept in history.') : l10n.t('Messages of this private conversation are not kept in history.'));
  if (otr.smp?.waitingForUs) lines.push(l10n.t('{0} is asking you to authenticate.', name));
  lines.push(l10n.t('Click for options.'));
  return lines.join('\n');
}

/** The padlock's accessible name: its state and, while private, whether history is kept. */
export function padlockAccessibleName(otr: OtrView | undefined, name: string): string {
  if (!otr || !otr.available) return UNAVAILABLE;
  const look = padlockLook(otr, name);
  return isPrivate(otr) ? l10n.t('Private conversation: {0}; {1}', look.label, historyLabel(otr)) : l10n.t('Private conversation: {0}', look.label);
}

/** Why messages wait (shown above the composer), with what the user can do about it. */
export function composerNotice(otr: OtrView | undefined, name: string): { text: string; level: 'info' | 'warning'; actions: SystemAction[] } | undefined {
  if (!otr || !otr.available) return undefined;
  switch (otr.state) {
    case 'finished':
      return {
        text: l10n.t('{0} has ended the private conversation. Messages you send now wait until you end or refresh yours; nothing is sent in plaintext.', name),
        level: 'warning',
        actions: ['refreshPrivate', 'endPrivate'],
      };
    case 'lost':
      return {
        text: l10n.t('The private conversation was lost. Messages you send now wait until it is refreshed; nothing is sent in plaintext.'),
        level: 'warning',
        actions: ['refreshPrivate', 'endPrivate'],
      };
    case 'starting':
      return otr.policy === 'required'
        ? { text: l10n.t('Starting a private conversation: your messages wait until it is up (your policy requires it).'), level: 'info', actions: [] }
        : undefined;
    case 'plaintext':
      return otr.policy === 'required'
        ? {
            text: l10n.t('Your policy requires a private conversation with {0}: messages wait until one has started and are never sent in plaintext.', name),
            level: 'info',
            actions: ['startPrivate'],
          }
        : undefined;
    default:
      return undefined;
  }
}

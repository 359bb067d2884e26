/**
 * Pure logic of the chat panel's padlock (OTR state -> what to show and offer). No DOM, so
 * test/unit/webview-otr.test.ts runs it in plain Node.
 *
 * After Jitsi Desktop: an open padlock when not private, a closed one with an orange warning mark
 * while the contact is unverified, a plain closed one once verified.
 */
import type { OtrPolicyView, OtrView, SystemAction } from '../../src/shared/protocol';

export type PadlockTone = 'plain' | 'busy' | 'warn' | 'ok' | 'ended' | 'lost' | 'off';

export interface PadlockLook {
  /** Main codicon. */
  icon: string;
  /** Small overlay mark on the icon. */
  badge?: 'warning' | 'ended';
  spin?: boolean;
  /** Short state text: visible beside the padlock and part of its accessible name. */
  label: string;
  /** Longer explanation for the tooltip. */
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
  manual: 'Manual',
  opportunistic: 'Opportunistic',
  required: 'Required',
};

export const POLICY_HINT: Record<OtrPolicyView, string> = {
  manual: 'start private conversations only when I ask',
  opportunistic: 'start automatically with contacts whose clients support it',
  required: 'never send a message in plaintext',
};

export const UNAVAILABLE = 'Private conversations (OTR) are for two people only';

export function padlockLook(otr: OtrView | undefined, name: string): PadlockLook {
  if (!otr) return { icon: 'unlock', label: 'Not private', detail: 'Not private', tone: 'plain' };
  if (!otr.available) return { icon: 'unlock', label: 'Not private', detail: UNAVAILABLE, tone: 'off' };
  switch (otr.state) {
    case 'plaintext':
      return {
        icon: 'unlock',
        label: 'Not private',
        detail: otr.policy === 'required' ? 'Not private: your policy requires a private conversation before messages are sent' : 'Not private: messages are sent in plaintext',
        tone: 'plain',
      };
    case 'starting':
      return { icon: 'sync', spin: true, label: 'Starting private conversation…', detail: `Starting a private conversation with ${name}…`, tone: 'busy' };
    case 'private-unverified':
      return {
        icon: 'lock',
        badge: 'warning',
        label: 'Private, unverified',
        detail: `Private but unverified: authenticate ${name} to be sure who you are talking to`,
        tone: 'warn',
      };
    case 'private-verified':
      return { icon: 'lock', label: 'Private and verified', detail: `Private conversation with ${name}, verified`, tone: 'ok' };
    case 'finished':
      return {
        icon: 'lock',
        badge: 'ended',
        label: `${name} has ended the private conversation`,
        detail: `${name} has ended the private conversation: end or refresh yours`,
        tone: 'ended',
      };
    case 'lost':
      return { icon: 'debug-disconnect', label: 'Private conversation lost', detail: 'The private conversation was lost: refresh it to go on privately', tone: 'lost' };
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
      return 'Start private conversation';
    case 'refreshPrivate':
      return 'Refresh private conversation';
    case 'endPrivate':
      return 'End private conversation';
    case 'authenticate':
      return `Authenticate ${name}…`;
    case 'resendPrivate':
      return 'Resend privately';
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
  return otr.logging ? 'History on' : 'History off for private messages';
}

/** Why messages wait (shown above the composer), with what the user can do about it. */
export function composerNotice(otr: OtrView | undefined, name: string): { text: string; level: 'info' | 'warning'; actions: SystemAction[] } | undefined {
  if (!otr || !otr.available) return undefined;
  switch (otr.state) {
    case 'finished':
      return {
        text: `${name} has ended the private conversation. Messages you send now wait until you end or refresh yours; nothing is sent in plaintext.`,
        level: 'warning',
        actions: ['refreshPrivate', 'endPrivate'],
      };
    case 'lost':
      return {
        text: 'The private conversation was lost. Messages you send now wait until it is refreshed; nothing is sent in plaintext.',
        level: 'warning',
        actions: ['refreshPrivate', 'endPrivate'],
      };
    case 'starting':
      return otr.policy === 'required'
        ? { text: 'Starting a private conversation: your messages wait until it is up (your policy requires it).', level: 'info', actions: [] }
        : undefined;
    case 'plaintext':
      return otr.policy === 'required'
        ? {
            text: `Your policy requires a private conversation with ${name}: messages wait until one has started and are never sent in plaintext.`,
            level: 'info',
            actions: ['startPrivate'],
          }
        : undefined;
    default:
      return undefined;
  }
}

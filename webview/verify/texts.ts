/**
 * Wording of the Authenticate dialog, pure so unit tests can check it. It follows pidgin-otr's
 * "Authenticate Buddy" dialog (also Jitsi's): "Authenticate X", the three methods "Question and
 * answer", "Shared secret" and "Manual fingerprint verification", "I have / I have not verified
 * that this is in fact the correct fingerprint for X", and results as pidgin-otr reports them
 * on both sides (with a question only the asking side learns who the other is).
 */
import type { VerifyState } from '../../src/shared/protocol';

export type Method = 'question' | 'secret' | 'fingerprint';

export const METHOD_LABELS: Record<Method, string> = {
  question: 'Question and answer',
  secret: 'Shared secret',
  fingerprint: 'Manual fingerprint verification',
};

export const dialogTitle = (name: string): string => `Authenticate ${name}`;
export const ownFingerprintLabel = (accountJid: string): string => `Fingerprint for you, ${accountJid}`;
export const theirFingerprintLabel = (name: string): string => `Purported fingerprint for ${name}`;
export const VERIFIED_OPTIONS = { no: 'I have not', yes: 'I have' } as const;
export const verifiedSentence = (name: string): string => ` verified that this is in fact the correct fingerprint for ${name}.`;

export interface ResultView {
  cls: 'ok' | 'bad' | 'warn';
  icon: string;
  head: string;
  text: string;
}

/** What the dialog says about a finished SMP run, on either side. */
export function resultView(r: NonNullable<VerifyState['result']>, name: string, weAborted = false): ResultView | undefined {
  const n = name;
  switch (r.kind) {
    case 'succeeded':
      if (r.initiatedBy === 'them' && r.question)
        return {
          cls: 'ok',
          icon: 'pass-filled',
          head: `Authentication successful: ${n} has authenticated you`,
          text: `You may want to authenticate ${n} as well by asking your own question.`,
        };
      return {
        cls: 'ok',
        icon: 'pass-filled',
        head: `Authentication successful: ${n} is authenticated`,
        text: `From now on the padlock shows the private conversation with ${n} as verified, as long as ${n} uses this key.`,
      };
    case 'failed':
      return {
        cls: 'bad',
        icon: 'error',
        head: 'Authentication failed: the answers did not match',
        text:
          'Check over another channel that you both used the same answer or secret, written exactly alike (capitals, spaces), and try again. ' +
          `If it fails again, you may not be talking to ${n}: do not share anything sensitive.`,
      };
    case 'aborted': {
      const byUs = r.by ? r.by === 'us' : weAborted;
      return {
        cls: 'warn',
        icon: 'circle-slash',
        head: byUs ? 'You cancelled the authentication' : `Authentication aborted: ${n} cancelled it, or it was interrupted`,
        text: `${n} is not authenticated. You can start again at any time.`,
      };
    }
    default:
      return undefined;
  }
}

/**
 * Wording of the Authenticate dialog, pure so unit tests can check it. It follows pidgin-otr's
 * "Authenticate Buddy" dialog (also Jitsi's): "Authenticate X", the three methods "Question and
 * answer", "Shared secret" and "Manual fingerprint verification", "I have / I have not verified
 * that this is in fact the correct fingerprint for X", and results as pidgin-otr reports them
 * on both sides (with a question only the asking side learns who the other is).
 */
import type { VerifyState } from '../../src/shared/protocol';
import { l10n } from '../shared/l10n';

export type Method = 'question' | 'secret' | 'fingerprint';

/** Looked up when called (not at import), so the page's bundle is in place. */
export const methodLabel = (m: Method): string =>
  ({
    question: l10n.t('Question and answer'),
    secret: l10n.t('Shared secret'),
    fingerprint: l10n.t('Manual fingerprint verification'),
  })[m];

export const dialogTitle = (name: string): string => l10n.t('Authenticate {0}', name);
export const ownFingerprintLabel = (accountJid: string): string => l10n.t('Fingerprint for you, {0}', accountJid);
export const theirFingerprintLabel = (name: string): string => l10n.t('Purported fingerprint for {0}', name);
export const verifiedOptions = (): { no: string; yes: string } => ({ no: l10n.t('I have not'), yes: l10n.t('I have') });
export const verifiedSentence = (name: string): string => l10n.t(' verified that this is in fact the correct fingerprint for {0}.', name);

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
          head: l10n.t('Authentication successful: {0} has authenticated you', n),
          text: l10n.t('You may want to authenticate {0} as well by asking your own question.', n),
        };
      return {
        cls: 'ok',
        icon: 'pass-filled',
        head: l10n.t('Authentication successful: {0} is authenticated', n),
        text: l10n.t('From now on the padlock shows the private conversation with {0} as verified, as long as {0} uses this key.', n),
      };
    case 'failed':
      return {
        cls: 'bad',
        icon: 'error',
        head: l10n.t('Authentication failed: the answers did not match'),
        text:l10n.t(
          'Check over another channel that you both used the same answer or secret, written exactly alike (capitals, spaces), and try again. If it fails again, you may not be talking to {0}: do not share anything sensitive.',
          n,
        ),
      };
    case 'aborted': {
      const byUs = r.by ? r.by === 'us' : weAborted;
      return {
        cls: 'warn',
        icon: 'circle-slash',
        head: byUs ? l10n.t('You cancelled the authentication') : l10n.t('Authentication aborted: {0} cancelled it, or it was interrupted', n),
        text: l10n.t('{0} is not authenticated. You can start again at any time.', n),
      };
    }
    default:
      return undefined;
  }
}

/**
 * What to do with an outgoing message, as a pure function of the policy and the state of the
 * private conversation (unit-tested on its own). Policies follow libotr's:
 *   manual         answer OTR requests, never start on our own (OTRL_POLICY_MANUAL)
 *   opportunistic  advertise with the whitespace tag and start when the contact shows OTR
 *                  support (OTRL_POLICY_OPPORTUNISTIC; OTR v3 "Tagged plaintext messages")
 *   required       never send plaintext (OTRL_POLICY_ALWAYS / REQUIRE_ENCRYPTION)
 */
export type OtrPolicy = 'manual' | 'opportunistic' | 'required';
export const OTR_POLICIES: readonly OtrPolicy[] = ['manual', 'opportunistic', 'required'];

export type OtrState = 'plaintext' | 'starting' | 'private-unverified' | 'private-verified' | 'finished' | 'lost';

export type OutgoingDecision =
  /** Send as is. */
  | { action: 'plaintext'; whitespaceTag: boolean }
  /** Encrypt in the private conversation. */
  | { action: 'encrypt' }
  /** Keep it in the queue; `start` asks for a private conversation first; `notice` says why. */
  | { action: 'hold'; start: boolean; notice?: 'waiting' | 'finished' | 'lost' };

export function isPrivate(state: OtrState): boolean {
  return state === 'private-unverified' || state === 'private-verified';
}

/**
 * @param theySentPlaintext  they wrote to us in plaintext without a whitespace tag, i.e. they
 *   do not speak OTR: stop advertising (libotr stops sending the tag then as well).
 * @param requirePrivate  this one message must only go out encrypted, whatever the policy (a
 *   shared code snippet): it is treated as under 'required' — held, and a private conversation
 *   is asked for.
 */
export function decideOutgoing(policy: OtrPolicy, state: OtrState, theySentPlaintext = false, requirePrivate = false): OutgoingDecision {
  switch (state) {
    case 'private-unverified':
    case 'private-verified':
      return { action: 'encrypt' };
    // OTR v3 "Sending messages" in MSGSTATE_FINISHED: "Inform the user that the message cannot
    // be sent at this time. Store the plaintext message." — never in the clear.
    case 'finished':
      return { action: 'hold', start: false, notice: 'finished' };
    // The contact lost our private conversation (restarted, another instance): not in the clear either.
    case 'lost':
      return { action: 'hold', start: policy !== 'manual', notice: 'lost' };
    // A private conversation was asked for (by us or them): wait for it rather than leak.
    case 'starting':
      return { action: 'hold', start: false, notice: 'waiting' };
    case 'plaintext':
    default:
      if (policy === 'required' || requirePrivate) return { action: 'hold', start: true, notice: 'waiting' };
      return { action: 'plaintext', whitespaceTag: policy === 'opportunistic' && !theySentPlaintext };
  }
}

/** Library flags for a policy (the `otr` library's names, which follow libotr's). */
export function libraryFlags(policy: OtrPolicy): { REQUIRE_ENCRYPTION: boolean; WHITESPACE_START_AKE: boolean; ERROR_START_AKE: boolean } {
  return {
    REQUIRE_ENCRYPTION: policy === 'required',
    WHITESPACE_START_AKE: policy !== 'manual',
    ERROR_START_AKE: policy !== 'manual',
  };
}

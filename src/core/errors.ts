/**
 * What can go wrong when signing in, classified so the UI can say it plainly and decide
 * whether retrying makes sense.
 */
export type ConnectErrorKind =
  /** SASL failure (RFC 6120 §6.5): wrong password, unknown account, disabled account. */
  | 'auth'
  /** TLS: the certificate did not verify. `fingerprint256` lets the user pin it. */
  | 'certificate'
  /** TCP/DNS: refused, unreachable, timed out. Retried with backoff. */
  | 'network'
  /** The server closed the stream with an error (RFC 6120 §4.9). */
  | 'stream'
  | 'other';

export class ConnectError extends Error {
  constructor(
    readonly kind: ConnectErrorKind,
    message: string,
    readonly code?: string,
    /** SHA-256 of the server's certificate, "AB:CD:…" (only for kind = certificate). */
    public fingerprint256?: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }

  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'stream';
  }
}

const TLS_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server uses a self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is signed by an untrusted root',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'the server certificate is signed by an unknown authority',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is not valid for this domain',
  CERT_REVOKED: 'the server certificate was revoked',
  ERR_PADLOCK_PIN_MISMATCH: 'the server certificate does not match the pinned certificate',
};

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'server name not found',
  EAI_AGAIN: 'server name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ERR_PADLOCK_CONNECT_TIMEOUT: 'connection timed out',
};

const SASL_TEXT: Record<string, string> = {
  'not-authorized': 'wrong password or unknown account',
  'account-disabled': 'the account is disabled',
  'credentials-expired': 'the password has expired',
  'invalid-mechanism': 'the server offers no supported sign-in mechanism',
  'temporary-auth-failure': 'the server could not check the password right now',
};

/** Turns whatever @xmpp/client or Node threw into a ConnectError with a plain-language message. */
export function classifyError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = err as { name?: string; code?: string; condition?: string; message?: string; text?: string } | undefined;
  const code = e?.code;
  // Condition names come from the server: look them up as own keys only, never through the
  // prototype ("constructor", "toString"...).
  const has = (table: Record<string, string>, k: string | undefined): k is string => typeof k === 'string' && Object.hasOwn(table, k);
  if (e?.name === 'StreamError') {
    const cond = typeof e.condition === 'string' ? e.condition.slice(0, 100) : 'undefined-condition';
    // RFC 6120 §4.9.3.12 host-unknown, §4.9.3.14 improper-addressing, etc. are configuration
    // problems; system-shutdown and friends are worth a retry.
    const fatal = ['host-unknown', 'not-authorized', 'policy-violation', 'improper-addressing', 'conflict'];
    return new ConnectError(fatal.includes(cond) ? 'other' : 'stream', `The server closed the connection (${cond}).`, cond);
  }
  if (e?.name === 'SASLError' || has(SASL_TEXT, e?.condition)) {
    const cond: string = typeof e?.condition === 'string' ? e.condition.slice(0, 100) : 'not-authorized';
    const text = Object.hasOwn(SASL_TEXT, cond) ? SASL_TEXT[cond] : cond;
    return new ConnectError(cond === 'temporary-auth-failure' ? 'stream' : 'auth', `Sign-in failed: ${text}.`, cond);
  }
  if (has(TLS_CODES, code)) {
    return new ConnectError('certificate', `The server's certificate was refused: ${TLS_CODES[code]}.`, code);
  }
  if (has(NET_CODES, code)) {
    return new ConnectError('network', `Server unreachable: ${NET_CODES[code]}.`, code);
  }
  if (e?.name === 'TimeoutError') return new ConnectError('network', 'Server unreachable: no answer in time.', 'timeout');
  return new ConnectError('other', `Connection failed: ${e?.message ?? String(err)}`, code);
}

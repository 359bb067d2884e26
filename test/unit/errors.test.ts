// Sign-in error classification (src/core/errors.ts). The inputs mimic what @xmpp/client and
// Node throw: SASLError / StreamError (name + condition), TLS and socket errors (code).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectError, classifyError } from '../../src/core/errors';

function xmppError(name: string, condition: string, text = ''): Error {
  const e = new Error(condition + (text ? ` - ${text}` : '')) as Error & { condition: string; text: string };
  e.name = name;
  e.condition = condition;
  e.text = text;
  return e;
}

function nodeError(code: string, message = `connect ${code}`): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

describe('errors: SASL (RFC 6120 §6.5)', () => {
  const cases: Array<[string, string, string]> = [
    ['not-authorized', 'auth', 'Sign-in failed: wrong password or unknown account.'],
    ['account-disabled', 'auth', 'Sign-in failed: the account is disabled.'],
    ['credentials-expired', 'auth', 'Sign-in failed: the password has expired.'],
    ['invalid-mechanism', 'auth', 'Sign-in failed: the server offers no supported sign-in mechanism.'],
    ['temporary-auth-failure', 'stream', 'Sign-in failed: the server could not check the password right now.'],
  ];
  for (const [condition, kind, message] of cases) {
    it(`${condition} → ${kind}`, () => {
      const e = classifyError(xmppError('SASLError', condition));
      assert.ok(e instanceof ConnectError);
      assert.equal(e.kind, kind);
      assert.equal(e.message, message);
      assert.equal(e.code, condition);
      assert.equal(e.name, 'ConnectError');
      assert.equal(e.retryable, kind === 'stream');
    });
  }

  it('an unknown SASL condition is still an auth failure, named by its condition', () => {
    const e = classifyError(xmppError('SASLError', 'malformed-request'));
    assert.equal(e.kind, 'auth');
    assert.equal(e.message, 'Sign-in failed: malformed-request.');
    assert.equal(e.retryable, false);
  });

  it('a SASLError without condition reads as not-authorized', () => {
    const e = new Error('auth failed');
    e.name = 'SASLError';
    const c = classifyError(e);
    assert.equal(c.kind, 'auth');
    assert.equal(c.code, 'not-authorized');
  });
});

describe('errors: TLS certificates', () => {
  const cases: Array<[string, RegExp]> = [
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /self-signed/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /untrusted root/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /unknown authority/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /unknown authority/],
    ['CERT_HAS_EXPIRED', /has expired/],
    ['CERT_NOT_YET_VALID', /not yet valid/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /not valid for this domain/],
    ['CERT_REVOKED', /revoked/],
    ['ERR_PADLOCK_PIN_MISMATCH', /pinned certificate/],
  ];
  for (const [code, text] of cases) {
    it(`${code} → certificate, not retryable`, () => {
      const e = classifyError(nodeError(code));
      assert.equal(e.kind, 'certificate');
      assert.equal(e.code, code);
      assert.match(e.message, /^The server's certificate was refused: /);
      assert.match(e.message, text);
      assert.equal(e.retryable, false);
      assert.equal(e.fingerprint256, undefined);
    });
  }
});

describe('errors: network', () => {
  const cases: Array<[string, string]> = [
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'server name not found'],
    ['EAI_AGAIN', 'server name lookup failed'],
    ['ETIMEDOUT', 'connection timed out'],
    ['EHOSTUNREACH', 'host unreachable'],
    ['ENETUNREACH', 'network unreachable'],
    ['ECONNRESET', 'connection reset'],
    ['EPIPE', 'connection closed'],
    ['ERR_PADLOCK_CONNECT_TIMEOUT', 'connection timed out'],
  ];
  for (const [code, text] of cases) {
    it(`${code} → network, retryable`, () => {
      const e = classifyError(nodeError(code));
      assert.equal(e.kind, 'network');
      assert.equal(e.message, `Server unreachable: ${text}.`);
      assert.equal(e.code, code);
      assert.equal(e.retryable, true);
    });
  }

  it('a TimeoutError (no answer from the server) is a retryable network error', () => {
    const t = new Error('timeout');
    t.name = 'TimeoutError';
    const e = classifyError(t);
    assert.equal(e.kind, 'network');
    assert.equal(e.code, 'timeout');
    assert.equal(e.retryable, true);
  });
});

describe('errors: stream errors (RFC 6120 §4.9)', () => {
  for (const condition of ['host-unknown', 'policy-violation', 'improper-addressing', 'conflict']) {
    it(`${condition} is a configuration problem: other, not retried`, () => {
      const e = classifyError(xmppError('StreamError', condition));
      assert.equal(e.kind, 'other');
      assert.equal(e.message, `The server closed the connection (${condition}).`);
      assert.equal(e.code, condition);
      assert.equal(e.retryable, false);
    });
  }

  for (const condition of ['system-shutdown', 'connection-timeout', 'reset', 'see-other-host', 'internal-server-error']) {
    it(`${condition} is worth a retry`, () => {
      const e = classifyError(xmppError('StreamError', condition));
      assert.equal(e.kind, 'stream');
      assert.equal(e.message, `The server closed the connection (${condition}).`);
      assert.equal(e.retryable, true);
    });
  }

  it('a StreamError without condition is undefined-condition', () => {
    const s = new Error('closed');
    s.name = 'StreamError';
    const e = classifyError(s);
    assert.equal(e.kind, 'stream');
    assert.equal(e.code, 'undefined-condition');
  });

  it(
    'stream error not-authorized is a stream error, not a wrong password',
    () => {
      const e = classifyError(xmppError('StreamError', 'not-authorized'));
      assert.equal(e.kind, 'other');
      assert.equal(e.message, 'The server closed the connection (not-authorized).');
    },
  );

  it(
    'a condition named like an Object.prototype member is not a SASL condition',
    () => {
      const e = classifyError(xmppError('StreamError', 'constructor'));
      assert.equal(e.kind, 'stream');
      assert.equal(e.message, 'The server closed the connection (constructor).');
    },
  );
});

describe('errors: everything else', () => {
  it('an unknown Error → other, with its message, not retryable', () => {
    const e = classifyError(new Error('something odd'));
    assert.equal(e.kind, 'other');
    assert.equal(e.message, 'Connection failed: something odd');
    assert.equal(e.code, undefined);
    assert.equal(e.retryable, false);
  });

  it('an unknown code is kept', () => {
    const e = classifyError(nodeError('EWEIRD', 'weird'));
    assert.equal(e.kind, 'other');
    assert.equal(e.code, 'EWEIRD');
    assert.equal(e.message, 'Connection failed: weird');
  });

  it('non-Error values', () => {
    assert.equal(classifyError('plain string').message, 'Connection failed: plain string');
    assert.equal(classifyError(undefined).message, 'Connection failed: undefined');
    assert.equal(classifyError(null).kind, 'other');
    assert.equal(classifyError(42).message, 'Connection failed: 42');
  });

  it('a ConnectError passes through unchanged', () => {
    const c = new ConnectError('certificate', 'pinned', 'ERR_X', 'AB:CD');
    assert.equal(classifyError(c), c);
    assert.equal(c.fingerprint256, 'AB:CD');
  });

  it('retryable only for network and stream', () => {
    const kinds = ['auth', 'certificate', 'network', 'stream', 'other'] as const;
    assert.deepEqual(
      kinds.filter((k) => new ConnectError(k, 'x').retryable),
      ['network', 'stream'],
    );
  });
});

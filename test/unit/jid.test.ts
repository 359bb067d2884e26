// JID parsing and validation (src/core/jid.ts, RFC 7622).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bareJid, isValidBareUserJid, localOf, parseJid, resourceOf } from '../../src/core/jid';

describe('jid: parseJid', () => {
  it('splits local, domain and resource', () => {
    assert.deepEqual(parseJid('juliet@example.com/balcony'), { local: 'juliet', domain: 'example.com', resource: 'balcony' });
    assert.deepEqual(parseJid('juliet@example.com'), { local: 'juliet', domain: 'example.com', resource: '' });
    assert.deepEqual(parseJid('example.com'), { local: '', domain: 'example.com', resource: '' });
    assert.deepEqual(parseJid('example.com/service'), { local: '', domain: 'example.com', resource: 'service' });
  });

  it('folds the case of local and domain, keeps the resource as written', () => {
    assert.deepEqual(parseJid('Juliet@Example.COM/Balcony Laptop'), { local: 'juliet', domain: 'example.com', resource: 'Balcony Laptop' });
  });

  it('the resource is everything after the first slash, "@" and "/" included (RFC 7622 §3.4)', () => {
    assert.deepEqual(parseJid('a@example.com/res@x/y'), { local: 'a', domain: 'example.com', resource: 'res@x/y' });
  });

  it('trims surrounding whitespace and a trailing dot of the domain', () => {
    assert.deepEqual(parseJid('  a@example.com \n'), { local: 'a', domain: 'example.com', resource: '' });
    assert.deepEqual(parseJid('a@Example.com.'), { local: 'a', domain: 'example.com', resource: '' });
  });

  it('accepts parts of exactly 1023 characters', () => {
    const p = parseJid(`${'l'.repeat(1023)}@${'d'.repeat(1023)}/${'r'.repeat(1023)}`)!;
    assert.equal(p.local.length, 1023);
    assert.equal(p.domain.length, 1023);
    assert.equal(p.resource.length, 1023);
  });

  const invalid: Array<[string, string]> = [
    ['', 'empty'],
    ['   ', 'blank'],
    ['@example.com', 'empty local'],
    ['a@', 'empty domain'],
    ['a@/res', 'empty domain with resource'],
    ['a@example.com/', 'empty resource'],
    ['/res', 'no domain'],
    ['a@b@example.com', '"@" in local (two @)'],
    ['al ice@example.com', 'space in local'],
    ['a@exa mple.com', 'space in domain'],
    ['a@example.com.\t.org', 'tab in domain'],
    ['a"b@example.com', 'quote in local'],
    ["a'b@example.com", 'apostrophe in local'],
    ['a&b@example.com', 'ampersand in local'],
    ['a<b@example.com', '< in local'],
    ['a>b@example.com', '> in local'],
    ['a:b@example.com', 'colon in local'],
    ['a\u0000@example.com', 'NUL in local'],
    ['a@exam\u0001ple.com', 'control char in domain'],
    ['a@example.com/re\u0007s', 'BEL in resource'],
    ['a@example.com/res\u007f', 'DEL in resource'],
    [`${'l'.repeat(1024)}@example.com`, 'local over 1023'],
    [`a@${'d'.repeat(1024)}`, 'domain over 1023'],
    [`a@example.com/${'r'.repeat(1024)}`, 'resource over 1023'],
  ];
  for (const [input, why] of invalid) {
    it(`rejects ${why}`, () => {
      assert.equal(parseJid(input), undefined);
    });
  }

  it('rejects non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['a@b']]) assert.equal(parseJid(v as unknown as string), undefined);
  });

  it(
    'measures the 1023 limit in octets, as RFC 7622 §3.1 and the comment say',
    () => {
      assert.equal(parseJid(`${'é'.repeat(600)}@example.com`), undefined);
    },
  );
});

describe('jid: helpers', () => {
  it('bareJid drops the resource and folds case; an invalid input is returned unchanged', () => {
    assert.equal(bareJid('Romeo@Example.NET/Orchard'), 'romeo@example.net');
    assert.equal(bareJid('Example.NET/x'), 'example.net');
    assert.equal(bareJid('not a jid@x'), 'not a jid@x');
    assert.equal(bareJid(''), '');
  });

  it('resourceOf and localOf', () => {
    assert.equal(resourceOf('a@example.com/Phone'), 'Phone');
    assert.equal(resourceOf('a@example.com'), '');
    assert.equal(resourceOf('bad jid/x'), '');
    assert.equal(localOf('Alice@example.com/x'), 'alice');
    assert.equal(localOf('example.com'), '');
    assert.equal(localOf('bad jid@x'), 'bad jid@x');
  });

  it('isValidBareUserJid: a local part, a domain, no resource', () => {
    assert.equal(isValidBareUserJid('alice@example.com'), true);
    assert.equal(isValidBareUserJid(' Alice@Example.com '), true);
    assert.equal(isValidBareUserJid('alice@localhost'), true);
    assert.equal(isValidBareUserJid('example.com'), false);
    assert.equal(isValidBareUserJid('alice@example.com/res'), false);
    assert.equal(isValidBareUserJid('alice@'), false);
    assert.equal(isValidBareUserJid('alice smith@example.com'), false);
    assert.equal(isValidBareUserJid(''), false);
  });
  it('parseJid remembers recent results: the same answer, frozen, for valid and invalid JIDs, and past its bound', () => {
    const first = parseJid('Carol@Example.com/Desk');
    const again = parseJid('Carol@Example.com/Desk');
    assert.deepEqual(first, { local: 'carol', domain: 'example.com', resource: 'Desk' });
    assert.equal(again, first, 'the remembered result');
    assert.ok(Object.isFrozen(first));
    assert.throws(() => {
      (first as { local: string }).local = 'mallory';
    }, TypeError);
    assert.equal(parseJid('Carol@Example.com/Desk')?.local, 'carol');
    assert.equal(parseJid('bad jid@x'), undefined);
    assert.equal(parseJid('bad jid@x'), undefined, 'an invalid JID stays invalid when remembered');
    // More distinct JIDs than the cache holds: answers stay right.
    for (let i = 0; i < 2000; i++) assert.equal(parseJid(`u${i}@example.com`)?.local, `u${i}`);
    assert.equal(parseJid('Carol@Example.com/Desk')?.resource, 'Desk');
  });
});

// Log redaction (src/core/log.ts): what reaches the output channel must hold no credentials
// and no conversation content. Inputs are serialised stanzas as @xmpp/client logs them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { xml } from '@xmpp/client';
import { clip, redact } from '../../src/core/log';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
// base64("\0juliet\0hunter2")
const PLAIN = Buffer.from('\0juliet\0hunter2').toString('base64');

describe('log: redact SASL and passwords', () => {
  it('removes the payload of auth, response, challenge and success', () => {
    for (const name of ['auth', 'response', 'challenge', 'success']) {
      const line = xml(name, { xmlns: SASL, mechanism: 'PLAIN' }, PLAIN).toString();
      const out = redact(line);
      assert.equal(out, `<${name} xmlns="${SASL}" mechanism="PLAIN">[redacted]</${name}>`);
      assert.ok(!out.includes(PLAIN));
    }
  });

  it('redacts SCRAM exchanges in a line with several elements', () => {
    const line =
      `<auth xmlns="${SASL}" mechanism="SCRAM-SHA-1">biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==</auth>` +
      `<challenge xmlns="${SASL}">cj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQWUxMjQ2OTViLTY5YTktNGRlNi05YzMwLWI1MWIzODA4YzU5ZQ==</challenge>` +
      `<response xmlns="${SASL}">Yz1iaXdzLHI9b01zVEFBd0FBQUFNQUFBQU5QMFRBQUFBQUFCUFUwQUE=</response>` +
      `<success xmlns="${SASL}">dj1wTk5ERlZFUXh1WHhDb1NFaVc4R0VaKzFSU289</success>`;
    const out = redact(line);
    assert.equal(
      out,
      `<auth xmlns="${SASL}" mechanism="SCRAM-SHA-1">[redacted]</auth><challenge xmlns="${SASL}">[redacted]</challenge>` +
        `<response xmlns="${SASL}">[redacted]</response><success xmlns="${SASL}">[redacted]</success>`,
    );
  });

  it('removes <password> (XEP-0077, XEP-0078) wherever it is', () => {
    const iq = xml(
      'iq',
      { type: 'set', id: 'reg1' },
      xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'juliet'), xml('password', {}, 's3cr&t<pass>')),
    ).toString();
    const out = redact(iq);
    assert.ok(!out.includes('s3cr'), out);
    assert.ok(out.includes('<password>[redacted]</password>'), out);
    assert.ok(out.includes('<username>juliet</username>'), 'other fields stay readable');
  });

  it('leaves elements that only start like the secret ones alone', () => {
    const line = '<authzid>juliet</authzid><passwords-policy>8</passwords-policy><responses>3</responses>';
    assert.equal(redact(line), line);
  });

  it(
    'removes SASL2 (XEP-0388) initial responses and FAST tokens (XEP-0484), which @xmpp/client 0.14 uses when offered',
    () => {
      const sasl2 = xml(
        'authenticate',
        { xmlns: 'urn:xmpp:sasl:2', mechanism: 'PLAIN' },
        xml('initial-response', {}, PLAIN),
        xml('user-agent', { id: 'd4565fa7-4d72-4749-b3d3-740edbf87770' }, xml('software', {}, 'Padlock')),
      ).toString();
      assert.ok(!redact(sasl2).includes(PLAIN), redact(sasl2));
      const success = xml(
        'success',
        { xmlns: 'urn:xmpp:sasl:2' },
        xml('authorization-identifier', {}, 'juliet@example.com/x'),
        xml('token', { xmlns: 'urn:xmpp:fast:0', expiry: '2030-01-01T00:00:00Z', token: 'WXZzciBwYmFhcmdvZ' }),
      ).toString();
      assert.ok(!redact(success).includes('WXZzciBwYmFhcmdvZ'), redact(success));
    },
  );
});

describe('log: redact message bodies', () => {
  it('elides bodies, keeping the rest of the stanza', () => {
    const m = xml(
      'message',
      { to: 'romeo@example.net', type: 'chat', id: 'm1' },
      xml('body', {}, 'meet me at the orchard'),
      xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }),
    ).toString();
    assert.equal(
      redact(m),
      '<message to="romeo@example.net" type="chat" id="m1"><body>[…]</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>',
    );
  });

  it('elides multi-line, attributed and OTR bodies, each separately', () => {
    const line =
      '<message><body xml:lang="en">line one\nline two\r\nline three</body></message>' +
      '<message><body>?OTR:AAMDbase64ciphertext.</body><origin-id id="keep-me"/></message>';
    const out = redact(line);
    assert.equal(out, '<message><body xml:lang="en">[…]</body></message><message><body>[…]</body><origin-id id="keep-me"/></message>');
  });

  it('escaped markup inside a body does not end the elision early', () => {
    const m = xml('message', {}, xml('body', {}, 'secret </body> still secret <body> more')).toString();
    const out = redact(m);
    assert.equal(out, '<message><body>[…]</body></message>');
  });

  it('text without XML is unchanged', () => {
    assert.equal(redact('connected to example.com:5222'), 'connected to example.com:5222');
  });
});

describe('log: clip', () => {
  it('keeps short strings and cuts long ones with their length', () => {
    assert.equal(clip('short'), 'short');
    assert.equal(clip('x'.repeat(300)), 'x'.repeat(300));
    assert.equal(clip('x'.repeat(301)), `${'x'.repeat(300)}… (301 chars)`);
    assert.equal(clip('abcdef', 3), 'abc… (6 chars)');
  });

  it('redact before clip: a body cut by clip is already elided', () => {
    const m = xml('message', {}, xml('body', {}, 'private '.repeat(100))).toString();
    const out = clip(redact(m), 40);
    assert.ok(!out.includes('private'), out);
  });
});

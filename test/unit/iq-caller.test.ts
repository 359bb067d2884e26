/**
 * Regression test for patches/@xmpp+iq+0.14.0.patch: an IQ error reply that arrives while the
 * request is still being written must reach the caller as a rejection, and must not also be
 * reported as an unhandled rejection (which fails test runs and pollutes the host's log).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/client';
// @ts-expect-error untyped ESM module, bundled by esbuild
import iqCaller from '@xmpp/iq/caller.js';

describe('@xmpp/iq caller (patched)', () => {
  it('an error reply during send rejects the request and is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (r: unknown) => unhandled.push(r);
    process.on('unhandledRejection', onUnhandled);
    try {
      const entity = new EventEmitter();
      let onStanza: ((ctx: Record<string, unknown>, next: () => unknown) => unknown) | undefined;
      const middleware = { use: (fn: typeof onStanza) => (onStanza = fn), filter: () => {} };
      const caller = iqCaller({ entity, middleware });
      Object.assign(entity, {
        // The server answers before our write callback has fired.
        async send(stanza: { attrs: { id: string } }) {
          const reply = xml('iq', { type: 'error', id: stanza.attrs.id }, xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
          // The fields @xmpp/middleware's IncomingContext gives a handler.
          await onStanza!({ stanza: reply, entity, name: 'iq', type: 'error', id: stanza.attrs.id }, () => {});
          await new Promise((r) => setImmediate(r)); // let the rejection surface if unhandled
        },
      });
      await assert.rejects(caller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:private' })), 5000), /item-not-found/);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

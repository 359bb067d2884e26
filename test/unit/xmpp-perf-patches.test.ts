/**
 * Regression tests for the per-stanza costs patched out of @xmpp (patches/@xmpp+jid+0.14.0+001+perf.patch,
 * patches/@xmpp+middleware+0.14.0+001+perf.patch; the stream-management ones are in
 * stream-management.test.ts). Each keeps the library's results and fails against the
 * unpatched file: the work it removes is counted, not timed.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { xml } from '@xmpp/client';
// @ts-expect-error untyped ESM module, bundled by esbuild
import { detect } from '@xmpp/jid/lib/escaping.js';
// @ts-expect-error untyped ESM module, bundled by esbuild
import middleware from '@xmpp/middleware';

/** Upstream's detect(), verbatim in effect: remove the XEP-0106 escapes, look for what needs one. */
function upstreamDetect(local: string): boolean {
  if (!local) return false;
  let tmp = local;
  for (const seq of ['\\20', '\\22', '\\26', '\\27', '\\2f', '\\3a', '\\3c', '\\3e', '\\40', '\\5c']) tmp = tmp.replaceAll(seq, '');
  return tmp.search(/[ "&'/:<>@\\]/g) !== -1;
}

/** Counts calls of a String.prototype method while fn runs. */
function counting(method: 'replaceAll', fn: () => void): number {
  const proto = String.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const orig = proto[method]!;
  let n = 0;
  proto[method] = function (this: string, ...a: unknown[]) {
    n++;
    return orig.apply(this, a);
  };
  try {
    fn();
  } finally {
    proto[method] = orig;
  }
  return n;
}

describe('@xmpp/jid detect(): XEP-0106 escaping check', () => {
  it('gives upstream results on ordinary, escaped and hostile local parts', () => {
    const alphabet = ['a', 'Z', '0', '.', '-', '_', 'é', '☃', ' ', '"', '&', "'", '/', ':', '<', '>', '@', '\\', '\\20', '\\5c', '\\40', '\\2', '\\x'];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const cases = ['', 'alice', 'a\\20b', 'd\\27artagnan', 'x\\5c', 'a b', 'a\\', '\\', 'c\\3a\\40', 'tom&jerry'];
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const len = Math.floor(rnd() * 8);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      cases.push(s);
    }
    for (const c of cases) assert.equal(detect(c), upstreamDetect(c), JSON.stringify(c));
  });

  it('answers an ordinary local part without rewriting it (every stanza parses two JIDs each way)', () => {
    const calls = counting('replaceAll', () => {
      for (const local of ['alice', 'bob.smith', 'o1', 'user_42', 'émile']) assert.equal(detect(local), false);
    });
    assert.equal(calls, 0, 'upstream runs ten replaceAll() per call (~6 µs)');
  });
});

describe('@xmpp/middleware: the composed chain', () => {
  function fakeEntity() {
    return Object.assign(new EventEmitter(), { jid: null, options: { domain: 'localhost' } });
  }

  it('runs the middleware in order, including middleware added after the first stanza', async () => {
    const entity = fakeEntity();
    const mw = middleware({ entity });
    const seen: string[] = [];
    mw.use((ctx: { stanza: { attrs: { id: string } } }, next: () => Promise<void>) => {
      seen.push(`1:${ctx.stanza.attrs.id}`);
      return next();
    });
    entity.emit('element', xml('message', { id: 'm1', from: 'a@localhost/x' }));
    mw.use((ctx: { stanza: { attrs: { id: string } } }, next: () => Promise<void>) => {
      seen.push(`2:${ctx.stanza.attrs.id}`);
      return next();
    });
    entity.emit('element', xml('message', { id: 'm2', from: 'a@localhost/x' }));
    const out: string[] = [];
    mw.filter((ctx: { stanza: { attrs: { id: string } } }, next: () => Promise<void>) => {
      out.push(ctx.stanza.attrs.id);
      return next();
    });
    entity.emit('send', xml('message', { id: 'o1', to: 'a@localhost' }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['1:m1', '1:m2', '2:m2']);
    assert.deepEqual(out, ['o1']);
  });

  it('builds the chain once per change of the list, not once per stanza', () => {
    const entity = fakeEntity();
    const mw = middleware({ entity });
    mw.use((_ctx: unknown, next: () => Promise<void>) => next());
    // koa-compose flattens the list with Array.prototype.reduce each time it composes.
    const reduce = Array.prototype.reduce;
    let composes = 0;
    Array.prototype.reduce = function (this: unknown[], ...a: Parameters<typeof reduce>) {
      if (this.length && typeof this[0] === 'function') composes++;
      return (reduce as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof reduce;
    try {
      for (let i = 0; i < 20; i++) entity.emit('element', xml('message', { id: `m${i}`, from: 'a@localhost/x' }));
      mw.use((_ctx: unknown, next: () => Promise<void>) => next());
      for (let i = 0; i < 20; i++) entity.emit('element', xml('message', { id: `n${i}`, from: 'a@localhost/x' }));
    } finally {
      Array.prototype.reduce = reduce;
    }
    assert.equal(composes, 2, 'once for the first list, once after use() changed it (upstream: 40)');
  });
});

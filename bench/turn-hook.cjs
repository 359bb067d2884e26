// A diagnostic for the round-trip bench, loaded with `node bench/run.mjs xmpp -- --require
// ./bench/turn-hook.cjs`: per TLS socket of this process, the time from a read that brings a
// <message> to the next <message> this process writes on that socket (the echo, or the next
// message of the loop). That is one client's turn, without the network or the server: the
// part of a round trip a client library (raw @xmpp/client or Padlock's layer) adds. Prints,
// when the process exits, p50/p90 per socket (after its first 100 turns: warm-up). Run one
// pair at a time (BENCH_XMPP_ONLY=same or plain, BENCH_XMPP_BLOCKS=1): the two sockets are
// then A (its turn includes the bench loop's own wait for the echo) and B (the echo).
'use strict';
const tls = require('node:tls');
const { performance } = require('node:perf_hooks');

const turns = new Map(); // socket → turn times (ms)
const since = new WeakMap();
const { emit, write } = tls.TLSSocket.prototype;

tls.TLSSocket.prototype.emit = function (event, data, ...rest) {
  if (event === 'data' && String(data).includes('<message')) since.set(this, performance.now());
  return emit.call(this, event, data, ...rest);
};
tls.TLSSocket.prototype.write = function (data, ...rest) {
  const t = since.get(this);
  if (t !== undefined && String(data).includes('<message')) {
    if (!turns.has(this)) turns.set(this, []);
    turns.get(this).push(performance.now() - t);
    since.delete(this);
  }
  return write.call(this, data, ...rest);
};

process.on('exit', () => {
  for (const all of turns.values()) {
    const xs = all.slice(100).sort((a, b) => a - b);
    if (xs.length < 100) continue;
    const at = (q) => (xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] * 1000).toFixed(0);
    process.stderr.write(`turn: n=${xs.length} p50 ${at(0.5)} µs, p90 ${at(0.9)} µs\n`);
  }
});

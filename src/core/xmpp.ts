/**
 * One XMPP client connection (RFC 6120) for one account, on top of @xmpp/client.
 *
 * What this adds to the library:
 *  - TLS trust per account: an extra CA (e.g. a company or test CA) and/or one pinned
 *    certificate, passed to tls.connect through our patch of @xmpp/starttls. Verification is
 *    never switched off (RFC 6120 §13.7.2).
 *  - Its own reconnect policy with exponential backoff and jitter, replacing the library's
 *    fixed 1 s loop; wrong passwords and refused certificates stop instead of retrying.
 *  - Stream management (XEP-0198) results surfaced per stanza id (`acked`, `unacked`) so the
 *    outgoing queue knows what the server has really received.
 *  - Errors classified into plain-language ConnectErrors.
 */
import tls from 'node:tls';
import { client, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { Emitter } from './emitter';
import { ConnectError, classifyError } from './errors';
import { clip, type Logger, redact } from './log';
import type { ConnectionState } from '../shared/protocol';

export { xml };
export type { Element };

export interface TrustOptions {
  /** Extra trust anchors (PEM) for this account only, e.g. a self-hosted server's CA. */
  caPem?: string[];
  /** A certificate the user pinned after seeing its fingerprint ("AB:CD:…", SHA-256). */
  pinnedFingerprint256?: string;
  pinnedPem?: string;
}

export interface ConnectionOptions extends TrustOptions {
  /** Bare JID of the account. */
  jid: string;
  password: string;
  /** Server host and port when the domain has no SRV records (RFC 6120 §3.2.1). */
  host?: string;
  port?: number;
  /** XEP-0368 direct TLS instead of STARTTLS. */
  directTls?: boolean;
  resource?: string;
  logger: Logger;
  /** Give up one connection attempt after this long. */
  attemptTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap, in ms. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

interface ConnectionEvents {
  state: { state: ConnectionState; error?: ConnectError };
  /** Session (re-)established. `resumed`: XEP-0198 resumption, roster and presence survived. */
  online: { resumed: boolean };
  stanza: Element;
  /** The server acknowledged this stanza id (XEP-0198 <a/>). */
  acked: string;
  /** The stream died before the server acknowledged this stanza id; it must be sent again. */
  unacked: string;
}

type XmppClient = ReturnType<typeof client>;

export class XmppConnection extends Emitter<ConnectionEvents> {
  private readonly xmpp: XmppClient;
  private _state: ConnectionState = 'signedOut';
  private _error?: ConnectError;
  private wantOnline = false;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private attempting?: Promise<void>;
  private readonly log: Logger;
  readonly jid: string;

  constructor(private readonly opts: ConnectionOptions) {
    super();
    this.jid = opts.jid;
    this.log = opts.logger;
    const [local, domain] = splitBare(opts.jid);
    const service = opts.host
      ? `${opts.directTls ? 'xmpps' : 'xmpp'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port ?? (opts.directTls ? 5223 : 5222)}`
      : undefined;
    this.xmpp = client({
      service,
      domain,
      username: local,
      password: opts.password,
      // RFC 6120 §7.7.2.1: a random resource per session unless the user chose one.
      resource: opts.resource,
      tls: tlsOptions(opts),
    } as Parameters<typeof client>[0]);
    // We run our own reconnect policy (backoff, no retry on wrong password).
    this.xmpp.reconnect.stop();

    this.xmpp.on('error', (err: unknown) => {
      // Every error also surfaces through a rejected attempt or a disconnect; this listener
      // exists so an 'error' event can never throw out of the emitter and crash the host.
      this.log.debug(`[${this.jid}] error: ${clip(String((err as Error)?.message ?? err))}`);
    });
    this.xmpp.on('connect', () => {
      // Nagle's algorithm adds ~40 ms to every chat round trip (RECIPES: 45 ms -> 1.5 ms).
      const s = this.xmpp.socket as unknown as { setNoDelay?: (v: boolean) => void };
      s?.setNoDelay?.(true);
    });
    this.xmpp.on('stanza', (el: Element) => this.emit('stanza', el));
    // Serialising and redacting every stanza costs more than the rest of a message's path
    // (bench/xmpp.ts profile): only when debug lines are actually written.
    const debugOn = () => this.log.debugEnabled?.() ?? true;
    this.xmpp.on('element', (el: Element) => debugOn() && this.log.debug(`[${this.jid}] <- ${clip(redact(el.toString()), 2000)}`));
    this.xmpp.on('send', (el: Element) => debugOn() && this.log.debug(`[${this.jid}] -> ${clip(redact(el.toString()), 2000)}`));
    this.xmpp.on('disconnect', () => this.onDisconnect());
    const sm = this.xmpp.streamManagement;
    sm.on('ack', (stanza: Element) => stanza.attrs.id && this.emit('acked', String(stanza.attrs.id)));
    sm.on('fail', (stanza: Element) => stanza.attrs.id && this.emit('unacked', String(stanza.attrs.id)));
    sm.on('resumed', () => {
      this.log.info(`[${this.jid}] stream resumed (XEP-0198)`);
      if (this._state !== 'online' && this.wantOnline) {
        this.attempt = 0;
        this.setState('online');
        this.emit('online', { resumed: true });
      }
    });
  }

  get state(): ConnectionState {
    return this._state;
  }
  get error(): ConnectError | undefined {
    return this._error;
  }
  /** The full JID bound for this session. */
  get fullJid(): string | undefined {
    return this.xmpp.jid?.toString();
  }
  /** XEP-0198 is on: a stanza counts as sent only when acknowledged. */
  get smEnabled(): boolean {
    return !!this.xmpp.streamManagement.enabled;
  }

  /**
   * Signs in. Resolves when online. Rejects with a ConnectError when the first attempt fails;
   * for network errors a retry is already scheduled (state `reconnecting`).
   */
  async start(): Promise<void> {
    if (this.wantOnline && (this._state === 'online' || this._state === 'connecting')) {
      return this.attempting;
    }
    this.wantOnline = true;
    this.attempt = 0;
    this.setState('connecting');
    return this.runAttempt();
  }

  /** Signs out: the library sends </stream:stream> after our unavailable presence. */
  async stop(): Promise<void> {
    this.wantOnline = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      if (this.xmpp.status !== 'offline') await withTimeout(this.xmpp.stop(), 3000);
    } catch (err) {
      this.log.debug(`[${this.jid}] stop: ${String(err)}`);
    }
    this.rejectPendingIqs();
    this.setState('signedOut');
  }

  /**
   * No answer can come on a closed stream (RFC 6120 §4.4), but the library keeps waiting for
   * one until the request's timeout: a caller would hear of it 15 s after signing out, and the
   * timer would keep the process alive that long. Answer them now.
   */
  private rejectPendingIqs(): void {
    const handlers = (this.xmpp.iqCaller as unknown as { handlers?: Map<string, { reject(e: Error): void }> }).handlers;
    if (!handlers) return;
    for (const [id, deferred] of handlers) {
      handlers.delete(id);
      deferred.reject(Object.assign(new Error('Signed out before the server answered.'), { code: 'ERR_PADLOCK_SIGNED_OUT' }));
    }
  }

  async send(el: Element): Promise<void> {
    await this.xmpp.send(el);
  }

  /** An IQ request with a reply matched by id (RFC 6120 §8.2.3), with a timeout. */
  async iq(el: Element, timeoutMs = 15_000): Promise<Element> {
    return this.xmpp.iqCaller.request(el, timeoutMs);
  }

  /** Handles IQ set/get of a namespace (roster pushes, ...). Returning nothing = empty result. */
  onIq(type: 'get' | 'set', ns: string, name: string, handler: (stanza: Element) => Element | void | Promise<Element | void>): void {
    const callee = this.xmpp.iqCallee as unknown as {
      get(ns: string, name: string, h: (ctx: { stanza: Element }) => unknown): void;
      set(ns: string, name: string, h: (ctx: { stanza: Element }) => unknown): void;
    };
    callee[type](ns, name, async (ctx) => (await handler(ctx.stanza)) ?? true);
  }

  dispose(): void {
    void this.stop();
    this.removeAllListeners();
  }

  // -------------------------------------------------------------------------------------------

  private setState(state: ConnectionState, error?: ConnectError): void {
    this._error = error;
    if (state === this._state && !error) return;
    this._state = state;
    this.emit('state', { state, error });
  }

  private runAttempt(): Promise<void> {
    const p = this.doAttempt();
    this.attempting = p;
    return p;
  }

  private async doAttempt(): Promise<void> {
    const x = this.xmpp;
    const timeoutMs = this.opts.attemptTimeoutMs ?? 20_000;
    const ready = new Promise<void>((resolve, reject) => {
      const onOnline = () => done();
      const onResumed = () => done();
      const onError = (err: unknown) => done(err);
      const timer = setTimeout(() => done(Object.assign(new Error('timeout'), { code: 'ERR_PADLOCK_CONNECT_TIMEOUT' })), timeoutMs);
      const done = (err?: unknown) => {
        clearTimeout(timer);
        x.off('online', onOnline);
        x.off('error', onError);
        x.streamManagement.off('resumed', onResumed);
        if (err) reject(err);
        else resolve();
      };
      x.on('online', onOnline);
      x.on('error', onError);
      x.streamManagement.on('resumed', onResumed);
    });
    try {
      if (x.status === 'offline') {
        await Promise.all([x.start(), ready]);
      } else {
        // After an unexpected disconnect: reconnect on the same entity, so stream management
        // can resume the session (XEP-0198 §5) and re-send what the server did not ack.
        const { service, domain, lang } = x.options as { service?: string; domain: string; lang?: string };
        await Promise.all([
          (async () => {
            await x.connect(service as string);
            await x.open({ domain, lang });
          })(),
          ready,
        ]);
      }
      if (!this.wantOnline) return;
      this.attempt = 0;
      if (this._state !== 'online') {
        this.setState('online');
        // 'online' was emitted by the library before our state changed; tell listeners now.
        this.emit('online', { resumed: false });
      }
      this.log.info(`[${this.jid}] online as ${this.fullJid}`);
    } catch (raw) {
      ready.catch(() => {});
      let err = classifyError(raw);
      this.log.warn(`[${this.jid}] sign-in failed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
      if (err.kind === 'certificate') err = await this.withFingerprint(err);
      // Close whatever half-open stream is left, keeping stream-management state for resume.
      await this.closeSocket();
      if (!this.wantOnline) return;
      if (err.retryable) {
        this.setState('reconnecting', err);
        this.scheduleRetry();
      } else {
        this.wantOnline = false;
        this.setState('error', err);
        // Forget any stream-management session: a fresh sign-in starts a new one.
        try {
          await withTimeout(x.stop(), 2000);
        } catch {
          /* already closed */
        }
      }
      throw err;
    }
  }

  private async withFingerprint(err: ConnectError): Promise<ConnectError> {
    const [, domain] = splitBare(this.jid);
    try {
      const { probeCertificate } = await import('./certProbe');
      const cert = await probeCertificate({
        host: this.opts.host ?? domain,
        port: this.opts.port ?? (this.opts.directTls ? 5223 : 5222),
        domain,
        directTls: this.opts.directTls,
      });
      err.fingerprint256 = cert.fingerprint256;
      (err as ConnectError & { pem?: string }).pem = cert.pem;
    } catch (e) {
      this.log.warn(`[${this.jid}] could not read the certificate: ${String((e as Error).message)}`);
    }
    return err;
  }

  private async closeSocket(): Promise<void> {
    const x = this.xmpp;
    if (x.status === 'disconnect' || x.status === 'offline') return;
    try {
      await withTimeout(x.disconnect(), 2000);
    } catch {
      /* socket already gone */
    }
  }

  private onDisconnect(): void {
    if (!this.wantOnline || this._state !== 'online') return;
    this.log.warn(`[${this.jid}] connection lost`);
    this.setState('reconnecting', new ConnectError('network', 'Connection lost. Reconnecting…', 'lost'));
    this.scheduleRetry();
  }

  /** Exponential backoff with full jitter, capped (1 s, 2 s, 4 s … 60 s). */
  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const initial = this.opts.backoffInitialMs ?? 1000;
    const max = this.opts.backoffMaxMs ?? 60_000;
    const cap = Math.min(max, initial * 2 ** this.attempt);
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
    this.attempt++;
    this.log.info(`[${this.jid}] reconnecting in ${delay} ms (attempt ${this.attempt})`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.wantOnline) return;
      this.runAttempt().catch(() => {
        /* state and next retry already set by doAttempt */
      });
    }, delay);
  }

  /** Retry now (e.g. the user clicked "Sign in" while reconnecting). */
  retryNow(): void {
    if (this._state === 'reconnecting' && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.attempt = 0;
      this.runAttempt().catch(() => {});
    }
  }
}

function splitBare(jid: string): [string, string] {
  const at = jid.lastIndexOf('@');
  return [jid.slice(0, at), jid.slice(at + 1)];
}

export function tlsOptions(t: TrustOptions): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = {};
  const extra = [...(t.caPem ?? []), ...(t.pinnedPem ? [t.pinnedPem] : [])];
  // `ca` replaces Node's default store, so keep the public roots alongside the extras.
  if (extra.length) o.ca = [...tls.rootCertificates, ...extra];
  const pin = t.pinnedFingerprint256?.toUpperCase();
  if (pin) {
    // A pinned leaf may be signed by a CA we do not know; X509_V_FLAG_PARTIAL_CHAIN lets the
    // leaf itself be the trust anchor (Node >= 20.18 / 22.9).
    (o as tls.ConnectionOptions & { allowPartialTrustChain?: boolean }).allowPartialTrustChain = true;
    // The pinned certificate is trusted for this account even if its names do not match the
    // domain (that is what the user saw and accepted); any other certificate is checked as usual.
    o.checkServerIdentity = (host, cert) => (cert.fingerprint256?.toUpperCase() === pin ? undefined : tls.checkServerIdentity(host, cert));
  }
  return o;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

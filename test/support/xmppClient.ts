/**
 * A tiny scripted XMPP client for tests and the demo bot, on @xmpp/client (the library the
 * extension uses). It talks to a real server (./prosody.ts) over STARTTLS with certificate
 * verification ON: the test CA is passed to tls.connect through our patch of @xmpp/starttls
 * (patches/@xmpp+starttls+*.patch spreads `options.tls` into the TLS options).
 *
 * Everything a test waits for is an event (a stanza arriving), never a sleep. Received stanzas
 * are buffered, so `waitForMessage` also finds a message that arrived before it was called.
 */
import { client, xml as xmlFactory } from '@xmpp/client';

/** The small part of an @xmpp/xml Element the tests use (independent of any @types package). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  children: Array<XmlElement | string>;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildren(name: string, xmlns?: string): XmlElement[];
  getChildText(name: string, xmlns?: string): string | null;
  getText(): string;
  is(name: string, xmlns?: string): boolean;
  toString(): string;
}

type XmlChild = XmlElement | string | undefined | null;
/** `xml(name, attrs, ...children)` from @xmpp/client, typed locally. */
export const xml = xmlFactory as unknown as (
  name: string,
  attrs?: Record<string, string | undefined> | null,
  ...children: XmlChild[]
) => XmlElement;

/** The parts of the @xmpp/client entity used here. */
interface RawClient {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: XmlElement): Promise<void>;
  on(event: string, fn: (...args: never[]) => void): void;
  jid?: { toString(): string; bare(): { toString(): string } };
  socket?: { setNoDelay?(v: boolean): void; destroy?(): void } | null;
  reconnect: { stop(): void };
  iqCaller: { request(el: XmlElement, timeoutMs?: number): Promise<XmlElement> };
  /** Incoming middleware (koa-style): a test can hold or drop what the client receives. */
  middleware: { use(fn: (ctx: { stanza: XmlElement }, next: () => Promise<unknown>) => unknown): void };
}

export interface ServerLike {
  host: string;
  port: number;
  domain: string;
  caPem: string;
}

export interface ClientOptions {
  server: ServerLike;
  /** Local part (or a bare JID "user@domain"). */
  user: string;
  password: string;
  resource?: string;
  /** Send initial presence when online (default true): needed to receive chat messages. */
  presence?: boolean;
  /** Approve every subscription request and subscribe back (default false). */
  acceptSubscriptions?: boolean;
  /** TLS options override, e.g. `{ ca: [otherCa] }` to test refusals. Default: trust server.caPem. */
  tls?: Record<string, unknown>;
}

export interface ReceivedMessage {
  from: string;
  to: string;
  type: string;
  id: string | undefined;
  body: string | null;
  el: XmlElement;
}

export interface ScriptClient {
  /** Full JID of this session. */
  readonly jid: string;
  readonly bareJid: string;
  /** The underlying @xmpp/client entity, for anything not covered here. */
  readonly xmpp: RawClient;
  /** Every stanza received so far, in order. */
  readonly received: readonly XmlElement[];
  send(el: XmlElement): Promise<void>;
  /** Sends a `type=chat` message (override with extra.type); returns its id. */
  sendMessage(
    to: string,
    body: string,
    extra?: { type?: string; id?: string; children?: XmlElement[] },
  ): Promise<string>;
  sendPresence(attrs?: Record<string, string>, ...children: XmlElement[]): Promise<void>;
  /** Sends a subscription request (`<presence type="subscribe"/>`). */
  subscribe(jid: string): Promise<void>;
  /** An IQ request; resolves with the result or rejects with the error stanza. */
  iq(el: XmlElement, timeoutMs?: number): Promise<XmlElement>;
  /** The first not-yet-returned message with a body matching `predicate` (buffered or future). */
  waitForMessage(predicate?: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  /** The first not-yet-returned stanza matching `predicate` (buffered or future). */
  waitForStanza(predicate: (el: XmlElement) => boolean, timeoutMs?: number): Promise<XmlElement>;
  stop(): Promise<void>;
}

let counter = 0;
const nextId = () => `t${Date.now().toString(36)}${(counter++).toString(36)}`;

function toMessage(el: XmlElement): ReceivedMessage {
  return {
    from: el.attrs.from ?? '',
    to: el.attrs.to ?? '',
    type: el.attrs.type ?? 'normal',
    id: el.attrs.id,
    body: el.getChildText('body'),
    el,
  };
}

export async function connectClient(opts: ClientOptions): Promise<ScriptClient> {
  const { server } = opts;
  const username = opts.user.includes('@') ? opts.user.split('@')[0]! : opts.user;
  const raw = client({
    service: `xmpp://${server.host}:${server.port}`,
    domain: server.domain,
    username,
    password: opts.password,
    resource: opts.resource,
    // Verification stays on: only the test CA is trusted (RECIPES: never rejectUnauthorized:false).
    tls: opts.tls ?? { ca: [server.caPem] },
  } as never) as unknown as RawClient;
  // Tests decide when to reconnect; the library's fixed 1 s loop would hide failures.
  raw.reconnect.stop();

  const received: XmlElement[] = [];
  const consumed = new WeakSet<XmlElement>();
  const waiters = new Set<(el: XmlElement) => boolean>();
  let lastError: unknown;
  // Connection history, quoted in timeout errors: "no message" is often "disconnected".
  const history: string[] = [];
  const t0 = Date.now();
  raw.on('status', (status: never) => history.push(`+${Date.now() - t0}ms ${String(status)}`));

  // Without an 'error' listener an error event would throw out of the emitter.
  raw.on('error', (err: never) => {
    lastError = err;
    history.push(`+${Date.now() - t0}ms error: ${(err as Error)?.message ?? String(err)}`);
  });
  raw.on('connect', () => {
    // Nagle's algorithm adds ~40 ms per round trip on loopback (RECIPES).
    raw.socket?.setNoDelay?.(true);
  });
  raw.on('stanza', (el: never) => {
    const stanza = el as XmlElement;
    received.push(stanza);
    if (opts.acceptSubscriptions && stanza.is('presence') && stanza.attrs.type === 'subscribe' && stanza.attrs.from) {
      const from = stanza.attrs.from;
      void raw.send(xml('presence', { to: from, type: 'subscribed' })).catch(() => {});
      void raw.send(xml('presence', { to: from, type: 'subscribe' })).catch(() => {});
    }
    for (const w of waiters) if (w(stanza)) break;
  });

  try {
    await raw.start();
  } catch (e) {
    await raw.stop().catch(() => {});
    throw e instanceof Error ? e : new Error(String(lastError ?? e));
  }
  if (opts.presence ?? true) await raw.send(xml('presence'));

  const waitForStanza = (predicate: (el: XmlElement) => boolean, timeoutMs = 10_000): Promise<XmlElement> => {
    for (const el of received) {
      if (!consumed.has(el) && predicate(el)) {
        consumed.add(el);
        return Promise.resolve(el);
      }
    }
    return new Promise((resolve, reject) => {
      const waiter = (el: XmlElement): boolean => {
        if (consumed.has(el) || !predicate(el)) return false;
        consumed.add(el);
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(el);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `${jid}: no matching stanza within ${timeoutMs} ms; last received:\n${received.slice(-5).join('\n')}\n` +
              `connection history: ${history.slice(-8).join(', ')}`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const jid = raw.jid!.toString();
  const self: ScriptClient = {
    jid,
    bareJid: raw.jid!.bare().toString(),
    xmpp: raw,
    received,
    send: (el) => raw.send(el),
    sendMessage: async (to, body, extra = {}) => {
      const id = extra.id ?? nextId();
      await raw.send(xml('message', { to, type: extra.type ?? 'chat', id }, xml('body', {}, body), ...(extra.children ?? [])));
      return id;
    },
    sendPresence: (attrs = {}, ...children) => raw.send(xml('presence', attrs, ...children)),
    subscribe: (to) => raw.send(xml('presence', { to, type: 'subscribe' })),
    iq: (el, timeoutMs) => raw.iqCaller.request(el, timeoutMs),
    waitForMessage: async (predicate = () => true, timeoutMs) =>
      toMessage(
        await waitForStanza((el) => {
          if (!el.is('message') || el.attrs.type === 'error' || el.getChildText('body') === null) return false;
          return predicate(toMessage(el));
        }, timeoutMs),
      ),
    waitForStanza,
    stop: async () => {
      // A clean </stream:stream>; if the server is already gone, don't wait for its reply.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        raw.stop().catch(() => {}),
        new Promise<void>((r) => {
          timer = setTimeout(r, 2000);
        }),
      ]);
      clearTimeout(timer);
      raw.socket?.destroy?.();
    },
  };
  return self;
}

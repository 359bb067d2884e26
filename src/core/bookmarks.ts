/**
 * Room bookmarks: XEP-0402 (PEP Native Bookmarks, node `urn:xmpp:bookmarks:1`, one item per
 * room) with a fallback to XEP-0048 (bookmarks in XEP-0049 private XML storage,
 * `jabber:iq:private` / `storage:bookmarks`, one document holding all of them).
 *
 * Which store is used is decided once per session from the account's disco#info (XEP-0030):
 * XEP-0402 when the server says it keeps both formats in sync (`urn:xmpp:bookmarks:1#compat`,
 * XEP-0402 §5.3), or offers PEP with publish-options (XEP-0402 §3: a client MUST NOT publish
 * without `pubsub#publish-options`, or the items could end up world-readable); otherwise
 * private storage, which every server with XEP-0049 offers.
 *
 * Parsing is pure and unit-tested; I/O goes through the small `IqSender` interface.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { bareJid, parseJid } from './jid';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1'; // XEP-0402
export const NS_BOOKMARKS2_COMPAT = 'urn:xmpp:bookmarks:1#compat'; // XEP-0402 §5.3
export const NS_PRIVATE = 'jabber:iq:private'; // XEP-0049
export const NS_BOOKMARKS1 = 'storage:bookmarks'; // XEP-0048
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub'; // XEP-0060
export const NS_PUBSUB_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info'; // XEP-0030
export const NS_DATA = 'jabber:x:data'; // XEP-0004

/** Caps on what we keep from a (possibly hostile or broken) store. */
export const MAX_BOOKMARKS = 1000;
const MAX_NAME = 256;
const MAX_NICK = 1023; // RFC 7622 resourcepart
const MAX_PASSWORD = 1024;

export interface Bookmark {
  /** Bare room JID. */
  jid: string;
  name?: string;
  /** Join this room when signing in. */
  autojoin: boolean;
  nick?: string;
  password?: string;
}

export type BookmarkFormat = 'pep' | 'private';

export interface IqSender {
  iq(el: Element, timeoutMs?: number): Promise<Element>;
}

function cap(s: string | null | undefined, n: number): string | undefined {
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  return t ? t.slice(0, n) : undefined;
}

/** XEP-0402 / XEP-0048: autojoin is an xs:boolean, "true" or "1". */
function xsBoolean(v: unknown): boolean {
  return v === 'true' || v === '1';
}

function roomJidOf(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const p = parseJid(raw);
  // A room address has a local part and no resource.
  if (!p || !p.local || p.resource) return undefined;
  return bareJid(raw);
}

/** XEP-0402 §3: `<items node='urn:xmpp:bookmarks:1'><item id='ROOM'><conference …/></item>…`. */
export function parseBookmarks2(items: Element | undefined): Bookmark[] {
  const out = new Map<string, Bookmark>();
  for (const item of items?.getChildren('item') ?? []) {
    if (out.size >= MAX_BOOKMARKS) break;
    const jid = roomJidOf(item.attrs.id);
    const conf = item.getChild('conference', NS_BOOKMARKS2);
    if (!jid || !conf) continue;
    out.set(jid, {
      jid,
      name: cap(conf.attrs.name as string | undefined, MAX_NAME),
      autojoin: xsBoolean(conf.attrs.autojoin),
      nick: cap(conf.getChildText('nick'), MAX_NICK),
      password: cap(conf.getChildText('password'), MAX_PASSWORD),
    });
  }
  return [...out.values()];
}

/** XEP-0048 §3: `<storage xmlns='storage:bookmarks'><conference jid=… autojoin=… name=…><nick/><password/></conference>…`. */
export function parseBookmarks1(storage: Element | undefined): Bookmark[] {
  const out = new Map<string, Bookmark>();
  for (const conf of storage?.getChildren('conference') ?? []) {
    if (out.size >= MAX_BOOKMARKS) break;
    const jid = roomJidOf(conf.attrs.jid);
    if (!jid) continue;
    out.set(jid, {
      jid,
      name: cap(conf.attrs.name as string | undefined, MAX_NAME),
      autojoin: xsBoolean(conf.attrs.autojoin),
      nick: cap(conf.getChildText('nick'), MAX_NICK),
      password: cap(conf.getChildText('password'), MAX_PASSWORD),
    });
  }
  return [...out.values()];
}

function conferenceChildren(b: Bookmark): Element[] {
  const c: Element[] = [];
  if (b.nick) c.push(xml('nick', {}, b.nick));
  if (b.password) c.push(xml('password', {}, b.password));
  return c;
}

/** XEP-0402 §3.1 publish with the publish-options of §3 (private, persistent, many items). */
export function publishBookmark2(b: Bookmark): Element {
  const field = (v: string, value: string, type?: string) => xml('field', { var: v, ...(type ? { type } : {}) }, xml('value', {}, value));
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml(
        'publish',
        { node: NS_BOOKMARKS2 },
        xml(
          'item',
          { id: b.jid },
          xml('conference', { xmlns: NS_BOOKMARKS2, autojoin: b.autojoin ? 'true' : 'false', ...(b.name ? { name: b.name } : {}) }, ...conferenceChildren(b)),
        ),
      ),
      xml(
        'publish-options',
        {},
        xml(
          'x',
          { xmlns: NS_DATA, type: 'submit' },
          field('FORM_TYPE', NS_PUBSUB_PUBLISH_OPTIONS, 'hidden'),
          field('pubsub#persist_items', 'true'),
          field('pubsub#max_items', 'max'),
          field('pubsub#send_last_published_item', 'never'),
          field('pubsub#access_model', 'whitelist'),
        ),
      ),
    ),
  );
}

/** XEP-0402 §3.3 removal: retract the item (notify so the other clients of the account see it). */
export function retractBookmark2(jid: string): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node: NS_BOOKMARKS2, notify: 'true' }, xml('item', { id: jid }))));
}

export function getBookmarks2(): Element {
  return xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_BOOKMARKS2 })));
}

export function getBookmarks1(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_BOOKMARKS1 })));
}

/** XEP-0048 §3 / XEP-0049: the whole document is replaced; `keep` are other children (urls). */
export function setBookmarks1(list: Bookmark[], keep: Element[] = []): Element {
  const confs = list.map((b) =>
    xml('conference', { jid: b.jid, autojoin: b.autojoin ? 'true' : 'false', ...(b.name ? { name: b.name } : {}) }, ...conferenceChildren(b)),
  );
  return xml('iq', { type: 'set' }, xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_BOOKMARKS1 }, ...keep, ...confs)));
}

function conditionOf(err: unknown): string {
  return typeof (err as { condition?: unknown })?.condition === 'string' ? (err as { condition: string }).condition : '';
}

/**
 * The account's bookmarks. `format` 'auto' picks XEP-0402 or XEP-0048 from disco#info; tests
 * and users with odd servers can force one.
 */
export class BookmarkStore {
  private resolved?: BookmarkFormat;
  private list: Bookmark[] = [];
  private loaded = false;
  /** XEP-0048: children of <storage/> that are not conferences (URLs), kept on rewrite. */
  private others: Element[] = [];

  constructor(
    private readonly session: IqSender & { jid: string },
    private readonly format: BookmarkFormat | 'auto' = 'auto',
  ) {}

  get bookmarks(): readonly Bookmark[] {
    return this.list;
  }

  /** Which store is in use (after `load`). */
  get storeFormat(): BookmarkFormat | undefined {
    return this.resolved;
  }

  /** Forget the decision (a new session may be on an upgraded server). */
  reset(): void {
    this.resolved = undefined;
    this.loaded = false;
  }

  async detect(): Promise<BookmarkFormat> {
    if (this.format !== 'auto') return (this.resolved = this.format);
    if (this.resolved) return this.resolved;
    try {
      const res = await this.session.iq(xml('iq', { type: 'get', to: bareJid(this.session.jid) }, xml('query', { xmlns: NS_DISCO_INFO })));
      const q = res.getChild('query', NS_DISCO_INFO);
      const features = new Set((q?.getChildren('feature') ?? []).map((f) => String(f.attrs.var)));
      const pep = (q?.getChildren('identity') ?? []).some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep');
      this.resolved = features.has(NS_BOOKMARKS2_COMPAT) || (pep && features.has(NS_PUBSUB_PUBLISH_OPTIONS)) ? 'pep' : 'private';
    } catch {
      this.resolved = 'private';
    }
    return this.resolved;
  }

  async load(): Promise<Bookmark[]> {
    const format = await this.detect();
    if (format === 'pep') {
      try {
        const res = await this.session.iq(getBookmarks2());
        this.list = parseBookmarks2(res.getChild('pubsub', NS_PUBSUB)?.getChild('items'));
      } catch (err) {
        // XEP-0060 §6.5.9.11: no node yet means no bookmarks yet.
        if (conditionOf(err) !== 'item-not-found') throw err;
        this.list = [];
      }
    } else {
      const res = await this.session.iq(getBookmarks1());
      const storage = res.getChild('query', NS_PRIVATE)?.getChild('storage', NS_BOOKMARKS1);
      this.list = parseBookmarks1(storage);
      this.others = (storage?.children ?? []).filter((c): c is Element => typeof c !== 'string' && c.name !== 'conference');
    }
    this.loaded = true;
    return [...this.list];
  }

  /** Adds or replaces the bookmark of `b.jid`. */
  async add(b: Bookmark): Promise<void> {
    const jid = roomJidOf(b.jid);
    if (!jid) throw new Error('A bookmark needs a room address like room@conference.example.org.');
    const clean: Bookmark = {
      jid,
      autojoin: !!b.autojoin,
      name: cap(b.name, MAX_NAME),
      nick: cap(b.nick, MAX_NICK),
      password: cap(b.password, MAX_PASSWORD),
    };
    const format = await this.detect();
    // XEP-0048 replaces the whole document: never write without having read it (a server
    // with XEP-0402 compat, like Prosody's mod_bookmarks, would also drop the PEP items).
    if (!this.loaded) await this.load();
    const next = [...this.list.filter((x) => x.jid !== jid), clean];
    if (next.length > MAX_BOOKMARKS) throw new Error(`At most ${MAX_BOOKMARKS} bookmarks.`);
    if (format === 'pep') await this.session.iq(publishBookmark2(clean));
    else await this.session.iq(setBookmarks1(next, this.others));
    this.list = next;
  }

  async remove(roomJid: string): Promise<void> {
    const jid = roomJidOf(roomJid) ?? roomJid;
    const format = await this.detect();
    if (!this.loaded) await this.load();
    const next = this.list.filter((x) => x.jid !== jid);
    if (format === 'pep') {
      try {
        await this.session.iq(retractBookmark2(jid));
      } catch (err) {
        if (conditionOf(err) !== 'item-not-found') throw err;
      }
    } else {
      await this.session.iq(setBookmarks1(next, this.others));
    }
    this.list = next;
  }
}

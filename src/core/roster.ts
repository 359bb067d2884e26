/**
 * Roster and presence state for one account (RFC 6121), as a pure model: it consumes parsed
 * stanzas and tells what changed; it sends nothing. AccountSession does the I/O.
 *
 * Subscription states (RFC 6121 §3 and Appendix A): `none`, `to` (we see them), `from` (they
 * see us), `both`; `ask="subscribe"` marks our request as pending, shown as
 * "Waiting for authorisation" as in Jitsi.
 */
import type { Element } from '@xmpp/xml';
import { Emitter } from './emitter';
import { bareJid, localOf, resourceOf } from './jid';
import type { AuthRequestView, ContactView, PresenceShow, Subscription } from '../shared/protocol';

export const NS_ROSTER = 'jabber:iq:roster';

export interface RosterItem {
  jid: string;
  name?: string;
  groups: string[];
  subscription: Subscription;
  /** RFC 6121 §2.1.2.2: our subscription request is pending. */
  ask: boolean;
}

export interface ResourcePresence {
  show: PresenceShow;
  status?: string;
  priority: number;
}

export type PresenceEvent =
  | { kind: 'available' | 'unavailable'; jid: string; resource: string }
  | { kind: 'subscribe'; jid: string; preApproved: boolean }
  | { kind: 'subscribed' | 'unsubscribe'; jid: string }
  | { kind: 'unsubscribed'; jid: string; denied: boolean }
  | { kind: 'error'; jid: string; condition: string }
  | { kind: 'ignored'; reason: string };

interface RosterEvents {
  changed: void;
}

const SHOWS: Record<string, PresenceShow> = { chat: 'chat', away: 'away', xa: 'xa', dnd: 'dnd' };
/** Order for picking the "best" resource when a contact is signed in several times. */
const SHOW_RANK: Record<PresenceShow, number> = { chat: 5, available: 4, away: 3, dnd: 2, xa: 1, offline: 0 };

export class Roster extends Emitter<RosterEvents> {
  readonly items = new Map<string, RosterItem>();
  /** bare JID -> resource -> presence. Only available resources are kept. */
  readonly presence = new Map<string, Map<string, ResourcePresence>>();
  /** Incoming subscription requests waiting for an answer: bare JID -> arrival time. */
  readonly requests = new Map<string, number>();
  /** Contacts that denied our request, until we ask again. */
  readonly denied = new Set<string>();
  /** JIDs we have asked (ask="subscribe" seen or request sent), to recognise a denial. */
  private readonly asked = new Set<string>();
  /** RFC 6121 §2.6 roster versioning: the last `ver` the server gave us. */
  version?: string;

  constructor(readonly account: string) {
    super();
  }

  /** Full roster from the reply to our roster get (RFC 6121 §2.1.3). */
  applyRosterResult(result: Element): void {
    const query = result.getChild('query', NS_ROSTER);
    // A result without <query/> means "your cached version is current" (RFC 6121 §2.6.3).
    if (!query) return;
    this.items.clear();
    for (const el of query.getChildren('item')) {
      const item = parseItem(el);
      if (item && item.subscription !== 'remove') this.setItem(item);
    }
    this.version = query.attrs.ver as string | undefined;
    this.emit('changed', undefined);
  }

  /**
   * Roster push (RFC 6121 §2.1.6). Returns false if the push must be ignored: it is only
   * legitimate from our own bare JID or from the server (no 'from'), else anyone could
   * rewrite our roster (§2.1.6, security).
   */
  applyPush(stanza: Element, ownBare: string): boolean {
    const from = stanza.attrs.from as string | undefined;
    if (from && bareJid(from) !== bareJid(ownBare)) return false;
    const query = stanza.getChild('query', NS_ROSTER);
    const items = query?.getChildren('item') ?? [];
    // §2.1.6: a push MUST contain exactly one item.
    if (items.length !== 1) return false;
    const item = parseItem(items[0]);
    if (!item) return false;
    if (item.subscription === 'remove') {
      this.items.delete(item.jid);
      this.presence.delete(item.jid);
      this.denied.delete(item.jid);
      this.asked.delete(item.jid);
    } else {
      this.setItem(item);
    }
    if (query?.attrs.ver) this.version = query.attrs.ver as string;
    this.emit('changed', undefined);
    return true;
  }

  private setItem(item: RosterItem): void {
    if (item.ask) {
      this.asked.add(item.jid);
      this.denied.delete(item.jid);
    }
    if (item.subscription === 'to' || item.subscription === 'both') {
      this.asked.delete(item.jid);
      this.denied.delete(item.jid);
    }
    this.items.set(item.jid, item);
  }

  /** Remember that we sent a subscription request (before the server's push arrives). */
  markAsked(jid: string): void {
    this.asked.add(jid);
    this.denied.delete(jid);
    this.emit('changed', undefined);
  }

  /** Presence stanzas (RFC 6121 §3 subscriptions, §4 availability). */
  applyPresence(stanza: Element, ownBare: string): PresenceEvent {
    const fromFull = stanza.attrs.from as string | undefined;
    if (!fromFull) return { kind: 'ignored', reason: 'no from' };
    const jid = bareJid(fromFull);
    const type = (stanza.attrs.type as string | undefined) ?? 'available';
    const resource = resourceOf(fromFull);
    switch (type) {
      case 'available': {
        if (jid === bareJid(ownBare)) return { kind: 'ignored', reason: 'own presence' };
        const showText = stanza.getChildText('show')?.trim() ?? '';
        const status = stanza.getChildText('status') ?? undefined;
        const priority = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
        let res = this.presence.get(jid);
        if (!res) this.presence.set(jid, (res = new Map()));
        res.set(resource, {
          show: SHOWS[showText] ?? 'available',
          status: status ? status.slice(0, 1024) : undefined,
          priority: Number.isFinite(priority) ? Math.max(-128, Math.min(127, priority)) : 0,
        });
        this.emit('changed', undefined);
        return { kind: 'available', jid, resource };
      }
      case 'unavailable': {
        const res = this.presence.get(jid);
        if (resource) res?.delete(resource);
        else res?.clear();
        if (res && res.size === 0) this.presence.delete(jid);
        this.emit('changed', undefined);
        return { kind: 'unavailable', jid, resource };
      }
      case 'subscribe': {
        const item = this.items.get(jid);
        // §3.1.3: if they are already allowed to see us, the request is pre-approved.
        const preApproved = item?.subscription === 'from' || item?.subscription === 'both';
        if (!preApproved && !this.requests.has(jid)) {
          this.requests.set(jid, Date.now());
          this.emit('changed', undefined);
        }
        return { kind: 'subscribe', jid, preApproved };
      }
      case 'subscribed': {
        this.asked.delete(jid);
        this.denied.delete(jid);
        this.emit('changed', undefined);
        return { kind: 'subscribed', jid };
      }
      case 'unsubscribed': {
        // §3.2: a reply to our pending request is a denial; otherwise they revoked our
        // subscription (§3.3).
        const wasAsked = this.asked.has(jid) || !!this.items.get(jid)?.ask;
        this.asked.delete(jid);
        if (wasAsked) this.denied.add(jid);
        this.presence.delete(jid);
        this.emit('changed', undefined);
        return { kind: 'unsubscribed', jid, denied: wasAsked };
      }
      case 'unsubscribe':
        this.requests.delete(jid);
        this.emit('changed', undefined);
        return { kind: 'unsubscribe', jid };
      case 'error': {
        const cond = stanza.getChild('error')?.children.find((c) => typeof c !== 'string') as Element | undefined;
        return { kind: 'error', jid, condition: cond?.name ?? 'undefined-condition' };
      }
      case 'probe':
        return { kind: 'ignored', reason: 'probe is for servers' };
      default:
        return { kind: 'ignored', reason: `unknown presence type` };
    }
  }

  /** Answered (either way) or withdrawn: no longer pending. */
  clearRequest(jid: string): void {
    if (this.requests.delete(jid)) this.emit('changed', undefined);
  }

  /** The contact's presence as one value: the best available resource (RFC 6121 §4.7.2.3 priority first). */
  aggregate(jid: string): { show: PresenceShow; status?: string; resource?: string } {
    const res = this.presence.get(jid);
    if (!res || res.size === 0) return { show: 'offline' };
    let best: [string, ResourcePresence] | undefined;
    for (const entry of res) {
      if (
        !best ||
        entry[1].priority > best[1].priority ||
        (entry[1].priority === best[1].priority && SHOW_RANK[entry[1].show] > SHOW_RANK[best[1].show])
      ) {
        best = entry;
      }
    }
    return { show: best![1].show, status: best![1].status, resource: best![0] };
  }

  /** Forget presence (we went offline: RFC 6121 §4.6 says presence is no longer known). */
  clearPresence(): void {
    this.presence.clear();
    this.emit('changed', undefined);
  }

  displayName(jid: string): string {
    return this.items.get(jid)?.name || localOf(jid) || jid;
  }

  contactViews(unread: (jid: string) => number): ContactView[] {
    const out: ContactView[] = [];
    for (const item of this.items.values()) {
      const p = this.aggregate(item.jid);
      out.push({
        account: this.account,
        jid: item.jid,
        name: this.displayName(item.jid),
        groups: item.groups,
        presence: p.show,
        status: p.status,
        subscription: item.subscription,
        pendingOut: item.ask || (this.asked.has(item.jid) && item.subscription !== 'to' && item.subscription !== 'both'),
        denied: this.denied.has(item.jid),
        unread: unread(item.jid),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  requestViews(): AuthRequestView[] {
    return [...this.requests].map(([jid, at]) => ({ account: this.account, jid, at }));
  }
}

export function parseItem(el: Element): RosterItem | undefined {
  const raw = el.attrs.jid as string | undefined;
  if (!raw) return undefined;
  const jid = bareJid(raw);
  const sub = (el.attrs.subscription as string | undefined) ?? 'none';
  const subscription: Subscription = (['none', 'to', 'from', 'both', 'remove'] as const).includes(sub as Subscription)
    ? (sub as Subscription)
    : 'none';
  const groups = [...new Set(el.getChildren('group').map((g) => g.text().trim()).filter(Boolean))].map((g) => g.slice(0, 256));
  const name = (el.attrs.name as string | undefined)?.slice(0, 256);
  return { jid, name: name || undefined, groups, subscription, ask: el.attrs.ask === 'subscribe' };
}

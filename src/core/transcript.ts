/**
 * Messages of this session that are not in history on disk: private (OTR) messages while
 * logging of private conversations is off (issue 3 item 7), and notices that are not
 * persisted. They live in memory only, so a chat opened after they arrived (from a
 * notification's "Open", or after closing the panel) still shows them, and they vanish when
 * the extension host stops, which is what "not logged" promises.
 */
import type { MessageStatus, MessageView } from '../shared/protocol';

export class SessionTranscript {
  private readonly byContact = new Map<string, MessageView[]>();

  constructor(private readonly perContact = 500) {}

  add(contact: string, m: MessageView): void {
    let list = this.byContact.get(contact);
    if (!list) this.byContact.set(contact, (list = []));
    list.push(m);
    if (list.length > this.perContact) list.splice(0, list.length - this.perContact);
  }

  /** Updates a kept message's delivery status; false when it is not kept here. */
  setStatus(contact: string, id: string, status: MessageStatus): boolean {
    const list = this.byContact.get(contact);
    const i = list?.findIndex((m) => m.id === id) ?? -1;
    if (!list || i < 0) return false;
    list[i] = { ...list[i], status };
    return true;
  }

  has(contact: string, id: string): boolean {
    return this.byContact.get(contact)?.some((m) => m.id === id) ?? false;
  }

  /** `history` (oldest first) with the kept messages merged in by time, newest `limit` kept. */
  merge(contact: string, history: MessageView[], limit?: number): MessageView[] {
    const kept = this.byContact.get(contact);
    if (!kept?.length) return history;
    const ids = new Set(history.map((m) => m.id));
    const merged = [...history, ...kept.filter((m) => !ids.has(m.id))].sort((a, b) => a.ts - b.ts);
    return limit !== undefined && merged.length > limit ? merged.slice(merged.length - limit) : merged;
  }

  clear(contact?: string): void {
    if (contact === undefined) this.byContact.clear();
    else this.byContact.delete(contact);
  }
}

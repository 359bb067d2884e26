/**
 * Helpers shared by the conversation panels (1:1 chat, group chat): the scroll position near
 * the newest message, the day separator, a message's time, a system line, and the composer
 * (its size, length counter, sending).
 */
import { MAX_OUTGOING_TEXT } from '../../src/shared/protocol';
import { h, icon, type Child } from './dom';
import { formatDay, formatFull, formatTime, sameDay } from './render';
import { l10n } from './l10n';

/** Within this many pixels of the bottom counts as "at the bottom" (sub-pixel zoom, rounding). */
export const BOTTOM_SLACK = 24;

export function distanceFromBottom(scroller: HTMLElement): number {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
}

export function atBottom(scroller: HTMLElement): boolean {
  return distanceFromBottom(scroller) <= BOTTOM_SLACK;
}

/**
 * The "New messages" button over the message list: counts what arrived below while the user
 * was scrolled up, and takes them to the newest message when clicked.
 */
export class JumpToLatest {
  readonly button: HTMLButtonElement;
  private unseen = 0;

  constructor(private readonly scroller: HTMLElement) {
    this.button = h('button', { class: 'jump-latest', hidden: true, on: { click: () => this.scrollToBottom() } }, icon('arrow-down'), h('span', null, l10n.t('New messages')));
  }

  /** Shows the newest message: nothing is unseen any more. */
  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.seen();
  }

  /** The user is at the bottom (scrolled there): nothing is unseen any more. */
  seen(): void {
    this.unseen = 0;
    this.button.hidden = true;
  }

  /** `n` messages arrived below what the user looks at. */
  add(n: number): void {
    this.unseen += n;
    this.button.hidden = false;
    this.button.lastElementChild!.textContent = this.unseen === 1 ? l10n.t('1 new message') : l10n.t('{0} new messages', this.unseen);
  }
}

/** A day separator in the message list (its label is read out as the separator's name). */
export function daySeparator(ts: number): HTMLElement {
  return h('div', { class: 'day', role: 'separator', 'aria-label': formatDay(ts) }, h('span', null, formatDay(ts)));
}

/**
 * DOM for messages[from, to): each row from `render(i)`, remembered in `rows` by message id, and
 * a day separator before the first message of each day (before the first of the range as well
 * when `dayFirst`, even if the message before it, not in the DOM, is of the same day).
 */
export function renderRange<M extends { id: string; ts: number }>(
  messages: readonly M[],
  from: number,
  to: number,
  render: (i: number) => HTMLElement,
  rows: Map<string, HTMLElement>,
  dayFirst: boolean,
): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (let i = from; i < to; i++) {
    const m = messages[i]!;
    const prev = messages[i - 1];
    if ((i === from && dayFirst) || !prev || !sameDay(prev.ts, m.ts)) frag.appendChild(daySeparator(m.ts));
    const el = render(i);
    rows.set(m.id, el);
    frag.appendChild(el);
  }
  return frag;
}

/** A message's time of day, with the full date and time as its tooltip (and machine-readable). */
export function timeElement(ts: number): HTMLElement {
  return h('time', { class: 'time', datetime: new Date(ts).toISOString(), title: formatFull(ts) }, formatTime(ts));
}

/** A line of ours in the message list (not a message from anyone): an icon for its level, `text`, its time. */
export function systemRow(m: { id: string; ts: number; level?: 'info' | 'warning' | 'error' }, ...text: Child[]): HTMLElement {
  const level = m.level ?? 'info';
  return h(
    'div',
    { class: ['system', `system-${level}`], role: 'listitem', 'data-id': m.id },
    icon(level === 'error' ? 'error' : level === 'warning' ? 'warning' : 'info'),
    h('span', { class: 'system-text' }, ...text),
    timeElement(m.ts),
  );
}

/** Grows the composer with its text, up to `maxFraction` of the window's height. */
export function autosize(textarea: HTMLTextAreaElement, maxFraction: number): void {
  // CSSOM style writes are allowed under the CSP (no style attribute in markup).
  textarea.style.height = 'auto';
  textarea.style.height = `${Math.min(textarea.scrollHeight + 2, Math.max(80, window.innerHeight * maxFraction))}px`;
}

/** Shows the length near the limit (MAX_OUTGOING_TEXT); returns true when over it. */
export function updateCounter(textarea: HTMLTextAreaElement, counter: HTMLElement): boolean {
  const n = textarea.value.length;
  const over = n > MAX_OUTGOING_TEXT;
  counter.textContent = n > MAX_OUTGOING_TEXT * 0.9 ? `${n.toLocaleString()} / ${MAX_OUTGOING_TEXT.toLocaleString()}` : '';
  counter.classList.toggle('over', over);
  counter.title = over ? l10n.t('Too long to send as one message') : '';
  return over;
}

/** The composer of a conversation panel, as sendComposed() uses it. */
export interface Composer {
  textarea: HTMLTextAreaElement;
  autosize(): void;
  /** Shows the length near the limit; true when over it (see updateCounter above). */
  updateCounter(): boolean;
  systemLine(text: string, level: 'error'): void;
}

/**
 * Sends what is in the composer: a text over the limit is refused with an error line; otherwise
 * the box is cleared at once (`cleared`: the user can go on typing) and `send` is awaited. If it
 * fails, nothing is lost: the text goes back into the box, before anything typed since
 * (`restored`), with an error line.
 */
export async function sendComposed(
  c: Composer,
  text: string,
  hooks: { cleared(): void; send(text: string): Promise<void>; restored?(): void },
): Promise<void> {
  if (c.updateCounter()) {
    c.systemLine(l10n.t('The message is too long ({0} characters; at most {1}).', text.length.toLocaleString(), MAX_OUTGOING_TEXT.toLocaleString()), 'error');
    return;
  }
  c.textarea.value = '';
  c.autosize();
  c.updateCounter();
  hooks.cleared();
  try {
    await hooks.send(text);
  } catch (err) {
    c.textarea.value = c.textarea.value ? `${text}\n${c.textarea.value}` : text;
    c.autosize();
    c.updateCounter();
    hooks.restored?.();
    c.systemLine(l10n.t('The message was not sent: {0} Your text is back in the message box.', (err as Error).message), 'error');
  }
}

/** Enter sends (Shift+Enter, Alt+Enter: a new line). */
export function sendOnEnter(textarea: HTMLTextAreaElement, send: () => void): void {
  textarea.addEventListener('keydown', (e) => {
    // isComposing / keyCode 229: Enter confirms an IME composition (Chinese, Japanese, ...) and must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
}

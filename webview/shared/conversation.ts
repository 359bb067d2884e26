/**
 * Helpers shared by the conversation panels (1:1 chat, group chat): the scroll position near
 * the newest message, the day separator, and the composer's size and length counter.
 */
import { MAX_OUTGOING_TEXT } from '../../src/shared/protocol';
import { h } from './dom';
import { formatDay } from './render';
import { l10n } from './l10n';

/** Within this many pixels of the bottom counts as "at the bottom" (sub-pixel zoom, rounding). */
export const BOTTOM_SLACK = 24;

export function distanceFromBottom(scroller: HTMLElement): number {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
}

export function atBottom(scroller: HTMLElement): boolean {
  return distanceFromBottom(scroller) <= BOTTOM_SLACK;
}

/** A day separator in the message list (its label is read out as the separator's name). */
export function daySeparator(ts: number): HTMLElement {
  return h('div', { class: 'day', role: 'separator', 'aria-label': formatDay(ts) }, h('span', null, formatDay(ts)));
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

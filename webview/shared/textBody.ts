/**
 * The body of a plain-text message, shared by the chat and room panels. Remote text becomes
 * text nodes only (links with http(s) hrefs checked by segmentText); long texts are cut with a
 * "Show all" toggle, so a 1 MB paste cannot freeze the page.
 */
import { h } from './dom';
import { type Segment, segmentText, truncateForDisplay } from './render';
import { l10n } from './l10n';

/** Appends a run of plain text (the room panel marks mentions in it; the chat adds a text node). */
export type TextWriter = (target: HTMLElement, text: string) => void;

const plainText: TextWriter = (target, text) => {
  target.appendChild(document.createTextNode(text));
};

export function renderSegments(target: HTMLElement, segs: Segment[], writeText: TextWriter = plainText): void {
  segs.forEach((s, i) => {
    switch (s.kind) {
      case 'text': {
        // A code block is a block of its own: the line breaks around its fences would show as
        // empty lines under white-space: pre-wrap.
        let t = s.text;
        if (segs[i - 1]?.kind === 'code') t = t.replace(/^\r?\n/, '');
        if (segs[i + 1]?.kind === 'code') t = t.replace(/\r?\n$/, '');
        if (t) writeText(target, t);
        break;
      }
      case 'link':
        // href is validated to http(s) by segmentText. VS Code intercepts link clicks in
        // webviews and opens them through its opener (with its link-protection prompt).
        target.appendChild(h('a', { href: s.href, title: s.href, rel: 'noopener noreferrer nofollow' }, s.text));
        break;
      case 'inlineCode':
        target.appendChild(h('code', { class: 'inline-code' }, s.text));
        break;
      case 'code':
        target.appendChild(h('div', { class: 'code-block' }, s.lang ? h('div', { class: 'code-lang' }, s.lang) : null, h('pre', null, h('code', { 'data-lang': s.lang }, s.text))));
        break;
    }
  });
}

export function renderTextBody(text: string, writeText: TextWriter = plainText): HTMLElement {
  const body = h('div', { class: 'msg-body' });
  const cut = truncateForDisplay(text);
  if (cut === undefined) {
    renderSegments(body, segmentText(text), writeText);
    return body;
  }
  const content = h('div', { class: 'msg-text' });
  let expanded = false;
  const toggle = h('button', { class: 'text-button show-all', 'aria-expanded': 'false' });
  const draw = () => {
    content.replaceChildren();
    renderSegments(content, segmentText(expanded ? text : cut), writeText);
    if (!expanded) content.appendChild(h('span', { class: 'ellipsis', 'aria-hidden': 'true' }, '…'));
    toggle.textContent = expanded ? l10n.t('Show less') : l10n.t('Show all ({0} characters)', text.length.toLocaleString());
    toggle.setAttribute('aria-expanded', String(expanded));
  };
  toggle.addEventListener('click', () => {
    expanded = !expanded;
    draw();
  });
  draw();
  body.append(content, toggle);
  return body;
}

/**
 * Tiny DOM helpers for the webviews.
 *
 * Everything the webviews show comes from the network (names, status texts, message bodies), so
 * text only ever enters the page through `textContent` / `createTextNode`. There is deliberately
 * no way to pass markup here; test/unit/webview-safety.test.ts greps webview/ to keep it so.
 */

export type Child = Node | string | number | null | undefined | false;

/** Attribute values: `false`/`undefined`/`null` leave the attribute out, `true` sets it empty. */
export type AttrValue = string | number | boolean | null | undefined;

export interface Attrs {
  /** Space-separated class names (falsy entries of an array are skipped). */
  class?: string | Array<string | false | null | undefined>;
  /** Event listeners, e.g. `{ on: { click: (e) => ... } }`. */
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
  [attr: string]: AttrValue | Attrs['class'] | Attrs['on'];
}

/**
 * Creates an element. Attributes go through `setAttribute`, so values are never parsed as markup;
 * `style` is rejected because the webview CSP has no `'unsafe-inline'` for styles (use classes, or
 * the CSSOM: `el.style.height = ...`).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (name === 'on') {
        for (const [type, fn] of Object.entries(value as NonNullable<Attrs['on']>)) {
          if (fn) el.addEventListener(type, fn as EventListener);
        }
      } else if (name === 'class') {
        const cls = Array.isArray(value) ? value.filter(Boolean).join(' ') : (value as string | undefined);
        if (cls) el.className = cls;
      } else if (name === 'style') {
        throw new Error('h(): inline style attributes are blocked by the CSP; use a class');
      } else if (/^on/i.test(name)) {
        // An `onclick="..."` attribute would be an inline script: never allowed.
        throw new Error(`h(): attribute ${name} is not allowed; use { on: { ... } }`);
      } else {
        setAttr(el, name, value as AttrValue);
      }
    }
  }
  append(el, ...children);
  return el;
}

export function setAttr(el: Element, name: string, value: AttrValue): void {
  if (value === false || value === undefined || value === null) el.removeAttribute(name);
  else el.setAttribute(name, value === true ? '' : String(value));
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children (text as text nodes). */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** `<span class="codicon codicon-NAME">` — decorative unless a label is given. */
export function icon(name: string, label?: string, extraClass?: string): HTMLSpanElement {
  return h('span', {
    class: ['codicon', `codicon-${name}`, extraClass],
    'aria-hidden': label ? undefined : 'true',
    role: label ? 'img' : undefined,
    'aria-label': label,
    title: label,
  });
}

/** Screen-reader announcements through one polite live region per page. */
let liveRegion: HTMLElement | undefined;
export function announce(text: string): void {
  if (!liveRegion) {
    liveRegion = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(liveRegion);
  }
  // Clearing first makes repeated identical texts be announced again.
  liveRegion.textContent = '';
  const region = liveRegion;
  setTimeout(() => (region.textContent = text), 50);
}

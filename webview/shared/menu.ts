/**
 * A small context menu (WAI-ARIA menu pattern): opened from a button, right-click, Shift+F10 or
 * the Menu key; Up/Down/Home/End move, Enter/Space activate, Escape/Tab close. Focus returns to
 * whatever opened it, so keyboard users never lose their place in the tree.
 */
import { h, icon } from './dom';

export interface MenuItem {
  label: string;
  icon?: string;
  /** Shown right-aligned, e.g. "F2". */
  hint?: string;
  danger?: boolean;
  run: () => void;
}

let open: { el: HTMLElement; restore: HTMLElement | null; cleanup: () => void } | undefined;

export function closeMenu(restoreFocus = true): void {
  if (!open) return;
  const { el, restore, cleanup } = open;
  open = undefined;
  cleanup();
  el.remove();
  if (restoreFocus && restore?.isConnected) restore.focus();
}

export function isMenuOpen(): boolean {
  return open !== undefined;
}

/** Opens at a point (right-click) or under an anchor element. */
export function showMenu(items: MenuItem[], at: { x: number; y: number } | HTMLElement, label: string): void {
  closeMenu(false);
  if (items.length === 0) return;
  const restore = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const entries = items.map((item) =>
    h(
      'div',
      {
        role: 'menuitem',
        tabindex: '-1',
        class: ['menu-item', item.danger && 'danger'],
        on: {
          click: (e) => {
            e.stopPropagation();
            closeMenu();
            item.run();
          },
          mousemove: (e) => (e.currentTarget as HTMLElement).focus(),
        },
      },
      item.icon ? icon(item.icon, undefined, 'menu-icon') : h('span', { class: 'menu-icon' }),
      h('span', { class: 'menu-label' }, item.label),
      item.hint ? h('span', { class: 'menu-hint', 'aria-hidden': 'true' }, item.hint) : null,
    ),
  );
  const el = h('div', { class: 'menu', role: 'menu', 'aria-label': label }, ...entries);
  document.body.appendChild(el);

  // Place it inside the viewport (CSSOM styles are allowed by the CSP; style attributes are not).
  const r = at instanceof HTMLElement ? at.getBoundingClientRect() : { left: at.x, bottom: at.y, top: at.y };
  const w = el.offsetWidth;
  const ht = el.offsetHeight;
  const x = Math.max(0, Math.min(r.left, window.innerWidth - w - 4));
  const y = r.bottom + ht > window.innerHeight ? Math.max(0, r.top - ht) : r.bottom;
  el.style.left = `${x}px`;
  el.style.top = `${y}px`;

  const focusAt = (i: number) => entries[(i + entries.length) % entries.length]!.focus();
  el.addEventListener('keydown', (e) => {
    const i = entries.indexOf(document.activeElement as HTMLDivElement);
    switch (e.key) {
      case 'ArrowDown':
        focusAt(i + 1);
        break;
      case 'ArrowUp':
        focusAt(i < 0 ? -1 : i - 1);
        break;
      case 'Home':
        focusAt(0);
        break;
      case 'End':
        focusAt(-1);
        break;
      case 'Enter':
      case ' ':
        if (i >= 0) entries[i]!.click();
        break;
      case 'Escape':
        closeMenu();
        break;
      case 'Tab':
        closeMenu();
        break;
      default:
        // Type to jump, like native menus.
        if (e.key.length === 1) {
          const k = e.key.toLowerCase();
          const j = items.findIndex((it, n) => n > i && it.label.toLowerCase().startsWith(k));
          const first = j >= 0 ? j : items.findIndex((it) => it.label.toLowerCase().startsWith(k));
          if (first >= 0) focusAt(first);
        }
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  });

  const onDown = (e: MouseEvent) => {
    if (!el.contains(e.target as Node)) closeMenu(false);
  };
  const onBlur = () => closeMenu(false);
  // Deferred so the click that opened the menu does not close it again.
  setTimeout(() => document.addEventListener('mousedown', onDown, true));
  window.addEventListener('blur', onBlur);
  window.addEventListener('resize', onBlur);
  open = {
    el,
    restore,
    cleanup: () => {
      document.removeEventListener('mousedown', onDown, true);
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('resize', onBlur);
    },
  };
  focusAt(0);
}

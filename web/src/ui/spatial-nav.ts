// Arrow keys across the grids, as a TV remote expects: on a poster, a library card or a tile, the arrows move the
// focus to the nearest card in that direction (across rows and between rows), and Enter opens it. Anywhere else
// the arrows keep their usual meaning (scrolling, sliders, text fields, the player's own keys).
import { useEffect } from 'react';

/** The lists whose entries the arrows move between. */
export const GRID_SELECTOR = '.poster-grid, .poster-row, .library-list, .tiles, .episode-list, .track-list';

type Direction = 'left' | 'right' | 'up' | 'down';

const directions: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
};

/** The first link or button of each entry of every grid on the page. */
function candidates(): HTMLElement[] {
  const found: HTMLElement[] = [];
  for (const list of document.querySelectorAll<HTMLElement>(GRID_SELECTOR)) {
    for (const entry of list.children) {
      const target = entry.querySelector<HTMLElement>('a[href], button:not([disabled])');
      if (target !== null && target.offsetParent !== null) found.push(target);
    }
  }
  return found;
}

/** The nearest candidate whose centre lies in the direction: distance along it, plus the drift across it, weighted. */
export function nearest(
  from: DOMRect,
  others: { element: HTMLElement; rect: DOMRect }[],
  direction: Direction,
): HTMLElement | null {
  const cx = from.left + from.width / 2;
  const cy = from.top + from.height / 2;
  let best: HTMLElement | null = null;
  let bestScore = Infinity;
  for (const { element, rect } of others) {
    const x = rect.left + rect.width / 2 - cx;
    const y = rect.top + rect.height / 2 - cy;
    const along = direction === 'left' ? -x : direction === 'right' ? x : direction === 'up' ? -y : y;
    const across = direction === 'left' || direction === 'right' ? Math.abs(y) : Math.abs(x);
    // Strictly ahead, and not merely overlapping (cards of one row share their vertical centre).
    if (along <= 1) continue;
    if ((direction === 'left' || direction === 'right') && across > Math.max(from.height, rect.height) / 2) continue;
    const score = along + across * 2;
    if (score < bestScore) {
      bestScore = score;
      best = element;
    }
  }
  return best;
}

export function useSpatialNavigation(enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      const direction = directions[event.key];
      if (
        direction === undefined ||
        event.defaultPrevented ||
        event.altKey ||
        event.ctrlKey ||
        event.metaKey ||
        event.shiftKey
      )
        return;
      const active = document.activeElement;
      if (!(active instanceof HTMLElement) || active.closest(GRID_SELECTOR) === null) return;
      const others = candidates()
        .filter((element) => element !== active)
        .map((element) => ({ element, rect: element.getBoundingClientRect() }));
      const target = nearest(active.getBoundingClientRect(), others, direction);
      if (target === null) return;
      event.preventDefault();
      target.focus();
      target.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled]);
}

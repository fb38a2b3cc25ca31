// Light and dark: the app follows the system's `prefers-color-scheme` unless the person chose one on the account
// page. The choice lives in this browser only (localStorage) and is applied before the first render.

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'hearth-theme';

export function storedTheme(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** Sets `data-theme` on <html>: absent for "system", so the stylesheet's media query decides. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Storage refused (private mode): the choice holds for this page only.
  }
  applyTheme(choice);
}

/**
 * Light/dark theme: the `dark` class on <html> (Tailwind's class strategy). An explicit choice is
 * kept in localStorage; without one the app follows the operating system's colour scheme, live.
 */
export type Theme = "light" | "dark";

export const themeStorageKey = "datanika.theme";
const darkQuery = "(prefers-color-scheme: dark)";

const listeners = new Set<() => void>();
let current: Theme = "light";
let mediaQuery: MediaQueryList | null = null;

function isTheme(value: unknown): value is Theme {
  return value === "light" || value === "dark";
}

export function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(themeStorageKey);
    return isTheme(value) ? value : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  return mediaQuery?.matches ? "dark" : "light";
}

function apply(theme: Theme): void {
  current = theme;
  document.documentElement.classList.toggle("dark", theme === "dark");
  for (const listener of listeners) listener();
}

function onSystemChange(): void {
  if (storedTheme() === null) apply(systemTheme());
}

/** Applies the stored or the system theme; call once before the first render. */
export function initTheme(): Theme {
  mediaQuery?.removeEventListener("change", onSystemChange);
  mediaQuery = window.matchMedia(darkQuery);
  mediaQuery.addEventListener("change", onSystemChange);
  apply(storedTheme() ?? systemTheme());
  return current;
}

/** Applies and remembers an explicit choice. */
export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem(themeStorageKey, theme);
  } catch {
    // Storage may be unavailable; the choice still applies to this tab.
  }
  apply(theme);
}

export function getTheme(): Theme {
  return current;
}

export function subscribeTheme(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

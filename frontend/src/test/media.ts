/** A controllable `window.matchMedia` for jsdom, which has none. */
type Listener = (event: MediaQueryListEvent) => void;

let prefersDark = false;
const lists = new Set<{ query: string; listeners: Set<Listener>; list: MediaQueryList }>();

function matches(query: string): boolean {
  return query.includes("prefers-color-scheme: dark") ? prefersDark : false;
}

export function installMatchMedia(): void {
  window.matchMedia = (query: string): MediaQueryList => {
    const listeners = new Set<Listener>();
    const list = {
      media: query,
      get matches() {
        return matches(query);
      },
      onchange: null,
      addEventListener: (_type: string, listener: Listener) => listeners.add(listener),
      removeEventListener: (_type: string, listener: Listener) => listeners.delete(listener),
      addListener: (listener: Listener) => listeners.add(listener),
      removeListener: (listener: Listener) => listeners.delete(listener),
      dispatchEvent: () => true,
    } as unknown as MediaQueryList;
    lists.add({ query, listeners, list });
    return list;
  };
}

/** Changes the operating system's colour scheme and notifies the listeners, as a browser would. */
export function setSystemPrefersDark(dark: boolean): void {
  prefersDark = dark;
  for (const { query, listeners, list } of lists) {
    const event = { matches: matches(query), media: query } as MediaQueryListEvent;
    for (const listener of listeners) listener.call(list, event);
  }
}

export function resetMatchMedia(): void {
  prefersDark = false;
  lists.clear();
}

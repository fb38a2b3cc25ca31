import { useEffect, useRef } from 'react';

// The account page's sections load their own data; a change to one factor (a passkey added, the app
// removed) changes what the others show, so they listen for this one event and reload.

const changed = 'hearth:factors-changed';

export function notifyFactorsChanged(): void {
  window.dispatchEvent(new Event(changed));
}

export function useFactorsChanged(callback: () => void): void {
  const latest = useRef(callback);
  latest.current = callback;
  useEffect(() => {
    const listener = () => latest.current();
    window.addEventListener(changed, listener);
    return () => window.removeEventListener(changed, listener);
  }, []);
}

import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api.ts';

export interface Loaded<T> {
  data: T | null;
  /** The failure itself, so a page can tell "not found" from "cannot reach the server". */
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/**
 * Loads when a key changes (an item page reused for the next item) and on demand; an answer for an old
 * key, or after unmounting, is dropped.
 */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ key: string; data: T | null; error: unknown; loading: boolean }>({
    key,
    data: null,
    error: null,
    loading: true,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const latest = useRef(0);

  const run = useCallback(async (forKey: string, keepData: boolean) => {
    const mine = ++latest.current;
    setState((current) => ({
      key: forKey,
      data: keepData && current.key === forKey ? current.data : null,
      error: null,
      loading: true,
    }));
    try {
      const data = await loadRef.current();
      if (mine === latest.current) setState({ key: forKey, data, error: null, loading: false });
    } catch (error) {
      if (mine === latest.current) setState((current) => ({ ...current, key: forKey, error, loading: false }));
    }
  }, []);

  useEffect(() => {
    void run(key, false);
    return () => {
      latest.current += 1;
    };
  }, [key, run]);

  const reload = useCallback(() => run(key, true), [key, run]);
  const current = state.key === key;
  return {
    data: current ? state.data : null,
    error: current ? state.error : null,
    loading: !current || state.loading,
    reload,
  };
}

/** True for the answer the API gives an unknown item or library, and one the person may not see (S70). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

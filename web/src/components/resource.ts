import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api.ts';

export interface Resource<T> {
  data: T | null;
  /** The failure to load, as a sentence for people. */
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads data when the component mounts and on demand; answers that arrive after unmounting are dropped. */
export function useResource<T>(load: () => Promise<T>): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const mounted = useRef(true);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (!mounted.current) return;
      setData(value);
      setError(null);
    } catch (caught) {
      if (mounted.current) setError(errorText(caught));
    } finally {
      if (mounted.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    mounted.current = true;
    void reload();
    return () => {
      mounted.current = false;
    };
  }, [reload]);

  return { data, error, loading, reload };
}

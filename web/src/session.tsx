import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, onSignedOut, type Me } from './api.ts';

export type SessionState =
  | { status: 'loading' }
  | {
      status: 'signed-out' /** Set when a session ended without the person asking (revoked elsewhere, expired). */;
      ended: boolean;
    }
  | { status: 'signed-in'; user: Me };

interface SessionApi {
  state: SessionState;
  /** Asks the server who is signed in; resolves to the user or null. */
  refresh: () => Promise<Me | null>;
  /** Replaces the user after an edit that returned it. */
  setUser: (user: Me) => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionApi | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const stateRef = useRef(state);
  stateRef.current = state;

  const refresh = useCallback(async () => {
    try {
      const user = await api.me();
      setState({ status: 'signed-in', user });
      return user;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setState((previous) => ({
          status: 'signed-out',
          ended: previous.status === 'signed-in' || (previous.status === 'signed-out' && previous.ended),
        }));
        return null;
      }
      // The server is unreachable or failing: keep what we knew rather than signing the person out.
      if (stateRef.current.status === 'loading') setState({ status: 'signed-out', ended: false });
      return stateRef.current.status === 'signed-in' ? stateRef.current.user : null;
    }
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    setState({ status: 'signed-out', ended: false });
  }, []);

  const setUser = useCallback((user: Me) => setState({ status: 'signed-in', user }), []);

  useEffect(() => {
    void refresh();
    return onSignedOut(() =>
      setState((previous) => (previous.status === 'signed-in' ? { status: 'signed-out', ended: true } : previous)),
    );
  }, [refresh]);

  const value = useMemo(() => ({ state, refresh, setUser, signOut }), [state, refresh, setUser, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (value === null) throw new Error('useSession needs a SessionProvider');
  return value;
}

/** The signed-in user; only for components rendered behind the sign-in gate. */
export function useUser(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useUser outside the signed-in area');
  return state.user;
}

export function isAdmin(user: Me): boolean {
  return user.role === 'owner' || user.role === 'admin';
}

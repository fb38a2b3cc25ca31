import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, onSubmit, PasswordField, SubmitButton, useAction } from './form.tsx';

// Sensitive changes need a password proven in the last few minutes. Any action wrapped in `withReauth`
// that the server refuses with `reauthentication_required` asks for the password once, then runs again.

type WithReauth = <T>(action: () => Promise<T>) => Promise<T>;

const ReauthContext = createContext<WithReauth | null>(null);

interface Pending {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const cancelled = () =>
  new ApiError(401, 'reauthentication_required', 'Nothing was changed: this change needs your password.', null);

export function ReauthProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  // Two actions refused at once share one prompt.
  const prompt = useRef<Promise<void> | null>(null);

  const withReauth = useCallback<WithReauth>(async (action) => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'reauthentication_required')) throw error;
      prompt.current ??= new Promise<void>((resolve, reject) => setPending({ resolve, reject })).finally(() => {
        prompt.current = null;
      });
      await prompt.current;
      return action();
    }
  }, []);

  return (
    <ReauthContext.Provider value={withReauth}>
      {children}
      {pending !== null && (
        <ReauthDialog
          onConfirmed={() => {
            pending.resolve();
            setPending(null);
          }}
          onCancel={() => {
            pending.reject(cancelled());
            setPending(null);
          }}
        />
      )}
    </ReauthContext.Provider>
  );
}

export function useReauth(): WithReauth {
  const value = useContext(ReauthContext);
  if (value === null) throw new Error('useReauth needs a ReauthProvider');
  return value;
}

function ReauthDialog({ onConfirmed, onCancel }: { onConfirmed: () => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');

  useEffect(() => {
    // A modal dialog keeps focus inside itself and gives Escape for free.
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  const confirm = useAction(
    useCallback(async () => {
      await api.reauthenticate({ password });
      onConfirmed();
    }, [password, onConfirmed]),
  );

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="reauth-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <form onSubmit={onSubmit(confirm)}>
        <h2 id="reauth-title">Confirm it is you</h2>
        <p className="muted">For your security, enter your password again to make this change.</p>
        {confirm.message !== null && <Alert kind="error">{confirm.message}</Alert>}
        <PasswordField
          label="Password"
          name="password"
          required
          autoFocus
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <div className="button-row">
          <SubmitButton busy={confirm.busy}>Confirm</SubmitButton>
          <button type="button" className="button-secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

import { useCallback, useId, useState, type InputHTMLAttributes, type ReactNode, type FormEvent } from 'react';
import { errorText } from '../api.ts';

type FieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> & {
  label: string;
  hint?: ReactNode;
  /** Rendered under the input, inside the field, e.g. a strength meter. */
  after?: ReactNode;
};

export function Field({ label, hint, after, className, ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint !== undefined ? hintId : undefined} {...input} />
      {hint !== undefined && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {after}
    </div>
  );
}

type PasswordFieldProps = Omit<FieldProps, 'type'> & { autoComplete: 'current-password' | 'new-password' };

/** A password input with a "show" switch, which makes a confirmation field unnecessary. */
export function PasswordField({ label, hint, after, ...input }: PasswordFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const [visible, setVisible] = useState(false);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="input-with-button">
        <input
          id={id}
          type={visible ? 'text' : 'password'}
          spellCheck={false}
          autoCapitalize="none"
          aria-describedby={hint !== undefined ? hintId : undefined}
          {...input}
        />
        <button
          type="button"
          className="button-ghost"
          aria-pressed={visible}
          aria-controls={id}
          onClick={() => setVisible((v) => !v)}
        >
          {visible ? 'Hide' : 'Show'}
          <span className="visually-hidden"> password</span>
        </button>
      </div>
      {hint !== undefined && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {after}
    </div>
  );
}

export function Checkbox({ label, hint, ...input }: Omit<FieldProps, 'type' | 'after'>) {
  const id = useId();
  return (
    <div className="checkbox">
      <input id={id} type="checkbox" aria-describedby={hint !== undefined ? `${id}-hint` : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint !== undefined && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function Alert({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  // Errors interrupt; confirmations are announced politely.
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function SubmitButton({
  busy,
  children,
  className,
}: {
  busy: boolean;
  children: ReactNode;
  className?: string;
}) {
  return (
    <button type="submit" className={className ?? 'button-primary'} disabled={busy} aria-busy={busy}>
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

export interface Action<A extends unknown[]> {
  run: (...args: A) => Promise<void>;
  busy: boolean;
  error: unknown;
  /** The error as a sentence for people, or null. */
  message: string | null;
  clear: () => void;
}

/** Runs one async action at a time and keeps its failure for display. */
export function useAction<A extends unknown[]>(perform: (...args: A) => Promise<void>): Action<A> {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        await perform(...args);
      } catch (caught) {
        setError(caught);
      } finally {
        setBusy(false);
      }
    },
    [perform],
  );
  return { run, busy, error, message: error === null ? null : errorText(error), clear: () => setError(null) };
}

/** Wraps a submit handler: no page reload, and nothing happens while the previous submit runs. */
export function onSubmit(action: { run: () => Promise<void>; busy: boolean }) {
  return (event: FormEvent) => {
    event.preventDefault();
    if (!action.busy) void action.run();
  };
}

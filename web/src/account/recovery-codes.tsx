import { useEffect, useRef } from 'react';
import { CopyButton, downloadText } from '../components/copy.tsx';
import { useUser } from '../session.tsx';

/** The codes as a file: what they are, whose, and when, so a printout found later explains itself. */
export function recoveryCodesFile(codes: string[], account: string, host: string, date: Date): string {
  return [
    `Hearth recovery codes for ${account} at ${host}`,
    `Made ${date.toISOString().slice(0, 10)}. Each code works once, in place of a code from your authenticator app or a passkey.`,
    'Keep them somewhere safe and offline. Getting new codes makes all of these stop working.',
    '',
    ...codes,
    '',
  ].join('\n');
}

/** Shown once, right after the server made the codes: it keeps only their hashes. */
export function RecoveryCodesPanel({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const user = useUser();
  const panel = useRef<HTMLDivElement>(null);
  const text = codes.join('\n');

  useEffect(() => {
    // The panel appears in place of a form; move the reader to it.
    panel.current?.focus();
  }, []);

  return (
    <div className="secret-panel" ref={panel} tabIndex={-1} role="group" aria-labelledby="recovery-codes-title">
      <h3 id="recovery-codes-title">Save your recovery codes</h3>
      <p>
        If you lose your phone or passkey, each of these codes lets you sign in once.{' '}
        <strong>They are shown only now.</strong> Store them in a password manager or print them, away from your
        devices.
      </p>
      <ol className="code-grid mono" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <div className="button-row">
        <CopyButton text={text} label="Copy codes" what="(recovery codes)" />
        <button
          type="button"
          className="button-secondary"
          onClick={() =>
            downloadText(
              'hearth-recovery-codes.txt',
              recoveryCodesFile(codes, user.username, location.host, new Date()),
            )
          }
        >
          Download
        </button>
        <button type="button" className="button-primary" onClick={onDone}>
          I saved them
        </button>
      </div>
    </div>
  );
}

import { useId, useState } from 'react';
import { api, errorText, type DeviceSession } from '../api.ts';
import { Alert } from '../components/form.tsx';

/** The name the server guessed from the User-Agent, with the browser's version: "Chrome 131 on Linux". */
export function guessedTitle(device: DeviceSession): string {
  const client =
    device.client !== null && device.client_version ? `${device.client} ${device.client_version}` : device.client;
  return [client, device.platform].filter(Boolean).join(' on ') || 'Unknown device';
}

/** The device's name: the person's own, else the guessed one with the browser's version. */
export function deviceTitle(device: DeviceSession): string {
  const guessed = [device.client, device.platform].filter(Boolean).join(' on ');
  if (device.device_name && device.device_name !== guessed) return device.device_name;
  return guessedTitle(device);
}

/** The device's title with a "Rename" that turns it into a small form. */
export function DeviceName({
  device,
  badge,
  onRenamed,
}: {
  device: DeviceSession;
  badge: React.ReactNode;
  onRenamed: (name: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(deviceTitle(device));
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const fieldId = useId();

  if (!editing) {
    return (
      <p className="device-name">
        {deviceTitle(device)} {badge}{' '}
        <button
          type="button"
          className="button-link device-rename"
          onClick={() => setEditing(true)}
          aria-label={`Rename ${deviceTitle(device)}`}
        >
          Rename
        </button>
      </p>
    );
  }

  const save = async () => {
    const trimmed = name.trim();
    if (trimmed === '') return;
    setBusy(true);
    setFailure(null);
    try {
      await api.renameSession(device.id, trimmed);
      setEditing(false);
      onRenamed(trimmed);
    } catch (caught) {
      setFailure(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="device-rename-form"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      <label htmlFor={fieldId}>Name of this device</label>
      <div className="input-with-button">
        <input
          id={fieldId}
          value={name}
          maxLength={100}
          required
          autoFocus
          onChange={(event) => setName(event.target.value)}
        />
        <button type="submit" className="button-primary button-small" disabled={busy} aria-busy={busy}>
          Save
        </button>
        <button type="button" className="button-ghost button-small" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

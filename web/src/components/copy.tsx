import { useEffect, useState } from 'react';

/** Copies `text` to the clipboard; says "Copied" for a moment, or tells the person to copy by hand. */
export function CopyButton({
  text,
  label = 'Copy',
  what,
}: {
  text: string;
  label?: string /** For screen readers: "Copy the key". */;
  what?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // Clipboard access is refused outside secure contexts and by some browsers' settings.
      setState('failed');
    }
  };

  return (
    <>
      <button type="button" className="button-secondary" onClick={() => void copy()}>
        {state === 'copied' ? 'Copied' : label}
        {what !== undefined && <span className="visually-hidden"> {what}</span>}
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied'
          ? 'Copied to the clipboard.'
          : state === 'failed'
            ? 'Copying failed: select the text and copy it by hand.'
            : ''}
      </span>
    </>
  );
}

/** Saves `text` as a file through a Blob link: nothing leaves the browser. */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The click starts the download synchronously; the URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

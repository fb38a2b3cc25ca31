import { useEffect, useRef, type ReactNode } from 'react';
import { hasNavigated, useLocation } from '../router.tsx';

interface PageProps {
  title: string;
  /** Shown under the heading. */
  lead?: ReactNode;
  /** A small centred card, for the sign-in pages. */
  narrow?: boolean;
  children: ReactNode;
}

/** Every page starts here: the document title, and the heading that takes focus after a navigation. */
export function Page({ title, lead, narrow = false, children }: PageProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { key } = useLocation();

  useEffect(() => {
    document.title = `${title} · Hearth`;
  }, [title]);

  useEffect(() => {
    // Screen readers announce the new page and keyboard users start from its top, unless the page put the focus
    // on its first field itself (sign-in: the field is labelled and the title is read with it).
    const page = heading.current?.closest('.page');
    if (hasNavigated() && !(page?.contains(document.activeElement) ?? false)) heading.current?.focus();
  }, [key]);

  return (
    <div className={narrow ? 'page page-narrow' : 'page'}>
      <div className={narrow ? 'card' : undefined}>
        <header className="page-header">
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
          {lead !== undefined && <p className="lead">{lead}</p>}
        </header>
        {children}
      </div>
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

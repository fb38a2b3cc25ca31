import { useId, type ReactNode } from 'react';

/** One titled block of a settings page; its id makes it a link target from the page's table of contents. */
export function Section({
  id,
  title,
  description,
  children,
}: {
  id: string;
  title: string;
  description?: ReactNode;
  children: ReactNode;
}) {
  const headingId = useId();
  return (
    <section id={id} className="section" aria-labelledby={headingId}>
      <header className="section-header">
        <h2 id={headingId}>{title}</h2>
        {description !== undefined && <p className="muted">{description}</p>}
      </header>
      {children}
    </section>
  );
}

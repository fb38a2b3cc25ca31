import type { ReactNode } from 'react';

/**
 * A table of records on an admin page: its column headings, then one row per record (the children). With
 * `actions`, a last column holds each row's buttons, under a heading only screen readers announce.
 */
export function Table({
  columns,
  actions = false,
  children,
}: {
  columns: string[];
  actions?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

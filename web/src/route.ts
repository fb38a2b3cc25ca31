// What a page of the app is: its own file, so that feature route lists and routes.tsx need not import each other.
import type { ReactNode } from 'react';

/**
 * guest: only while signed out (a signed-in visitor goes home); open: either way;
 * user: needs a session; admin: needs an admin or the owner, and looks like a missing page to anyone else.
 */
export type Access = 'guest' | 'open' | 'user' | 'admin';

export interface Route {
  pattern: string;
  access: Access;
  render: (params: Record<string, string>) => ReactNode;
}

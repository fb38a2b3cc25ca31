import type { Route } from '../route.ts';
import { ItemPage } from './item-page.tsx';
import { LibraryPage } from './library-page.tsx';
import { PlayerPage } from './player-page.tsx';

// The media pages: a library, an item (show, season, artist, album or a file), and the player.
export const mediaRoutes: Route[] = [
  { pattern: '/libraries/:id', access: 'user', render: ({ id }) => <LibraryPage key={id} id={id} /> },
  { pattern: '/items/:id', access: 'user', render: ({ id }) => <ItemPage key={id} id={id} /> },
  { pattern: '/play/:id', access: 'user', render: ({ id }) => <PlayerPage key={id} id={id} /> },
];

import type { Route } from '../route.ts';
import { lazy } from 'react';

// Fetched when first opened: the player (with hls.js) and the browsing pages are not part of the sign-in page.
const ItemPage = lazy(() => import('./item-page.tsx').then((module) => ({ default: module.ItemPage })));
const LibraryPage = lazy(() => import('./library-page.tsx').then((module) => ({ default: module.LibraryPage })));
const PlayerPage = lazy(() => import('./player-page.tsx').then((module) => ({ default: module.PlayerPage })));
const PlaylistPage = lazy(() => import('./playlists-page.tsx').then((module) => ({ default: module.PlaylistPage })));
const PlaylistsPage = lazy(() => import('./playlists-page.tsx').then((module) => ({ default: module.PlaylistsPage })));

// The media pages: a library, an item (show, season, artist, album or a file), and the player.
export const mediaRoutes: Route[] = [
  { pattern: '/libraries/:id', access: 'user', render: ({ id }) => <LibraryPage key={id} id={id} /> },
  { pattern: '/items/:id', access: 'user', render: ({ id }) => <ItemPage key={id} id={id} /> },
  { pattern: '/play/:id', access: 'user', render: ({ id }) => <PlayerPage key={id} id={id} /> },
  { pattern: '/playlists', access: 'user', render: () => <PlaylistsPage /> },
  { pattern: '/playlists/:id', access: 'user', render: ({ id }) => <PlaylistPage key={id} id={id} /> },
];

// What the Jellyfin door needs beyond the media browsing queries: favourites, the names of an item's
// parent and grandparent (series, season, album, artist), and the shows a user is watching (next up).
import { sql } from 'kysely';
import type { Executor } from './media.repository.ts';
import type { MediaItemType } from './schema.ts';

export interface AncestorRow {
  id: string;
  parent_id: string | null;
  type: MediaItemType;
  title: string;
  index_number: number | null;
  year: number | null;
}

export async function findAncestorRows(db: Executor, ids: string[]): Promise<AncestorRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('media_items')
    .select(['id', 'parent_id', 'type', 'title', 'index_number', 'year'])
    .where('id', 'in', ids)
    .execute();
}

export async function favoriteItemIds(db: Executor, userId: string, itemIds: string[]): Promise<Set<string>> {
  if (itemIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('media_favorites')
    .select('item_id')
    .where('user_id', '=', userId)
    .where('item_id', 'in', itemIds)
    .execute();
  return new Set(rows.map((r) => r.item_id));
}

export async function setFavorite(
  db: Executor,
  userId: string,
  itemId: string,
  favorite: boolean,
  now: Date,
): Promise<void> {
  if (favorite) {
    await db
      .insertInto('media_favorites')
      .values({ user_id: userId, item_id: itemId, created_at: now.getTime() })
      .onConflict((oc) => oc.columns(['user_id', 'item_id']).doNothing())
      .execute();
  } else {
    await db.deleteFrom('media_favorites').where('user_id', '=', userId).where('item_id', '=', itemId).execute();
  }
}

/** Shows with an episode the user played or started, most recent first, within the libraries given (null = all). */
export async function recentlyWatchedShowIds(
  db: Executor,
  userId: string,
  libraryIds: string[] | null,
  limit: number,
): Promise<string[]> {
  let query = db
    .selectFrom('media_progress as p')
    .innerJoin('media_items as e', 'e.id', 'p.item_id')
    .innerJoin('media_items as season', 'season.id', 'e.parent_id')
    .select(['season.parent_id as show_id', sql<number>`max(p.updated_at)`.as('at')])
    .where('p.user_id', '=', userId)
    .where('e.type', '=', 'episode')
    .where('season.type', '=', 'season')
    .where('season.parent_id', 'is not', null)
    .where((eb) => eb.or([eb('p.watched', '=', 1), eb('p.position_seconds', '>', 0)]));
  if (libraryIds !== null) query = query.where('e.library_id', 'in', libraryIds.length > 0 ? libraryIds : ['']);
  const rows = await query.groupBy('season.parent_id').orderBy('at', 'desc').limit(limit).execute();
  return rows.map((r) => r.show_id!).filter((id) => id !== null);
}

// Libraries and who may see them. Private by default (S70): a member sees only what an admin granted,
// and anything else answers exactly like a missing library.
import { stat, realpath } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Caller } from '../accounts/caller.ts';
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
  countExistingLibraries,
  deleteLibrary,
  findLibrary,
  findLibraryByName,
  grantedLibraryIds,
  insertLibrary,
  isLibraryGranted,
  listLibraryRows,
  renameLibrary,
  replaceGrants,
  type LibraryRow,
} from '../store/media.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import type { LibraryKind } from './naming.ts';
import { isInside } from './walk.ts';

export const LIBRARY_KINDS = ['movies', 'shows', 'music', 'videos'] as const satisfies readonly LibraryKind[];
export const MAX_LIBRARY_PATHS = 32;

export interface LibraryView {
  id: string;
  name: string;
  kind: LibraryKind;
  /** Folders on the server's disks: shown to admins only. */
  paths?: string[];
  created_at: string;
}

export function libraryPaths(row: LibraryRow): string[] {
  return JSON.parse(row.paths) as string[];
}

function toView(row: LibraryRow, admin: boolean): LibraryView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    ...(admin ? { paths: libraryPaths(row) } : {}),
    created_at: new Date(row.created_at).toISOString(),
  };
}

export function isAdmin(viewer: Pick<Caller, 'userId' | 'role'>): boolean {
  return viewer.role === 'admin' || viewer.role === 'owner';
}

/** The libraries a viewer may see: null means all of them (admins). */
export async function visibleLibraryIds(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
): Promise<string[] | null> {
  return isAdmin(viewer) ? null : grantedLibraryIds(deps.db, viewer.userId);
}

export async function canSeeLibrary(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  libraryId: string,
): Promise<boolean> {
  return isAdmin(viewer) || isLibraryGranted(deps.db, viewer.userId, libraryId);
}

/** The library when the viewer may see it; otherwise the same 404 as a library that does not exist. */
export async function requireVisibleLibrary(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  libraryId: string,
): Promise<LibraryRow> {
  const row = await findLibrary(deps.db, libraryId);
  if (!row || !(await canSeeLibrary(deps, viewer, row.id))) throw new AppError('not_found');
  return row;
}

export async function listLibraries(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
): Promise<LibraryView[]> {
  const rows = await listLibraryRows(deps.db, await visibleLibraryIds(deps, viewer));
  return rows.map((row) => toView(row, isAdmin(viewer)));
}

export async function getLibrary(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  libraryId: string,
): Promise<LibraryView> {
  return toView(await requireVisibleLibrary(deps, viewer, libraryId), isAdmin(viewer));
}

function normalizeName(name: string): { name: string; lower: string } {
  const clean = name.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (clean === '') throw new AppError('invalid_body', 'The library needs a name.');
  return { name: clean, lower: clean.toLowerCase() };
}

/** Real paths of the folders, refused unless each is absolute, exists, is a folder and stays clear of the data folder. */
async function checkFolders(deps: Pick<Deps, 'config'>, paths: string[]): Promise<string[]> {
  if (paths.length === 0 || paths.length > MAX_LIBRARY_PATHS) {
    throw new AppError('library_path_invalid', `A library needs between 1 and ${MAX_LIBRARY_PATHS} folders.`);
  }
  const dataDir = await realpath(deps.config.dataDir).catch(() => deps.config.dataDir);
  const reals: string[] = [];
  for (const path of paths) {
    if (!isAbsolute(path) || path.includes('\0'))
      throw new AppError('library_path_invalid', `Not an absolute path: ${path}`);
    let real: string;
    try {
      real = await realpath(path);
      if (!(await stat(real)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new AppError('library_path_invalid', `Not an existing folder: ${path}`);
    }
    // The data folder holds the database and the secret key: no library may reach into it.
    if (isInside(real, dataDir) || isInside(dataDir, real)) {
      throw new AppError('library_path_invalid', `The folder ${path} overlaps the data folder.`);
    }
    reals.push(real);
  }
  return reals;
}

function overlaps(a: string[], b: string[]): boolean {
  return a.some((x) => b.some((y) => isInside(x, y) || isInside(y, x)));
}

export interface NewLibrary {
  name: string;
  kind: LibraryKind;
  paths: string[];
}

export async function createLibrary(
  deps: Pick<Deps, 'db' | 'config' | 'random'>,
  input: NewLibrary,
  now: Date,
): Promise<LibraryView> {
  const { name, lower } = normalizeName(input.name);
  const reals = await checkFolders(deps, [...new Set(input.paths)]);
  for (let i = 0; i < reals.length; i++) {
    if (overlaps([reals[i]], reals.slice(i + 1)))
      throw new AppError('library_paths_overlap', 'Two of these folders overlap.');
  }
  for (const other of await listLibraryRows(deps.db, null)) {
    const otherReals = await Promise.all(libraryPaths(other).map((p) => realpath(p).catch(() => p)));
    if (overlaps(reals, otherReals)) {
      throw new AppError('library_paths_overlap', `These folders overlap those of the library "${other.name}".`);
    }
  }
  if (await findLibraryByName(deps.db, lower)) throw new AppError('library_name_taken');
  const row: LibraryRow = {
    id: newId(deps.random),
    name,
    name_lower: lower,
    kind: input.kind,
    paths: JSON.stringify(reals),
    scan_seq: 0,
    scan_signature: null,
    created_at: now.getTime(),
    updated_at: now.getTime(),
  };
  try {
    await insertLibrary(deps.db, row);
  } catch (err) {
    // Two admins racing for one name: the unique index decides.
    if (await findLibraryByName(deps.db, lower)) throw new AppError('library_name_taken');
    throw err;
  }
  return toView(row, true);
}

export async function updateLibrary(
  deps: Pick<Deps, 'db'>,
  libraryId: string,
  patch: { name?: string },
  now: Date,
): Promise<LibraryView> {
  const row = await findLibrary(deps.db, libraryId);
  if (!row) throw new AppError('not_found');
  if (patch.name !== undefined) {
    const { name, lower } = normalizeName(patch.name);
    const existing = await findLibraryByName(deps.db, lower);
    if (existing && existing.id !== libraryId) throw new AppError('library_name_taken');
    await renameLibrary(deps.db, libraryId, name, lower, now.getTime());
    row.name = name;
    row.name_lower = lower;
  }
  return toView(row, true);
}

export async function removeLibrary(deps: Pick<Deps, 'db'>, libraryId: string): Promise<void> {
  if (!(await deleteLibrary(deps.db, libraryId))) throw new AppError('not_found');
}

/** The library by id, or by name (case-insensitive): for the CLI. */
export async function findLibraryByIdOrName(deps: Pick<Deps, 'db'>, idOrName: string): Promise<LibraryRow | undefined> {
  return (await findLibrary(deps.db, idOrName)) ?? (await findLibraryByName(deps.db, idOrName.trim().toLowerCase()));
}

export async function userLibraryGrants(deps: Pick<Deps, 'db'>, userId: string): Promise<string[]> {
  if (!(await findUserById(deps.db, userId))) throw new AppError('not_found');
  return (await grantedLibraryIds(deps.db, userId)).sort();
}

export async function setUserLibraryGrants(
  deps: Pick<Deps, 'db'>,
  userId: string,
  libraryIds: string[],
  now: Date,
): Promise<string[]> {
  if (!(await findUserById(deps.db, userId))) throw new AppError('not_found');
  const ids = [...new Set(libraryIds)];
  if ((await countExistingLibraries(deps.db, ids)) !== ids.length) throw new AppError('unknown_library');
  await replaceGrants(deps.db, userId, ids, now.getTime());
  return ids.sort();
}

// getCoverArt: a track's own cover (a file beside it, or embedded), else its album's (the folder's cover or a
// track's embedded one), so every track of an album shows the album's art. `size` scales it down.
import { findEmbeddedCoverSource } from '../store/media.repository.ts';
import type { Deps } from '../deps.ts';
import { embeddedCoverInside } from '../media/stream.ts';
import { mediaTypeOf } from '../media/media-types.ts';
import { openInside } from '../media/walk.ts';
import { findMusicItem, type MusicScope } from '../store/music.repository.ts';

export interface CoverBytes {
  contentType: string;
  data: Buffer;
}

const MAX_COVER_BYTES = 20 * 1024 * 1024;

async function readImage(path: string, roots: string[]): Promise<CoverBytes | null> {
  const handle = await openInside(path, roots);
  if (handle === null) return null;
  try {
    const { size } = await handle.stat();
    if (size > MAX_COVER_BYTES) return null;
    const data = Buffer.alloc(size);
    await handle.read(data, 0, size, 0);
    return { contentType: mediaTypeOf(path)?.mime ?? 'image/jpeg', data };
  } finally {
    await handle.close();
  }
}

/** The cover for an artist, album or track id in view, or null. */
export async function findCover(
  deps: Pick<Deps, 'db'>,
  scope: MusicScope,
  id: string,
  rootsOf: (libraryId: string) => string[],
): Promise<CoverBytes | null> {
  let item = await findMusicItem(deps.db, scope, id);
  for (let hop = 0; item && hop < 2; hop++) {
    const roots = rootsOf(item.library_id);
    if (item.poster_path !== null) {
      const image = await readImage(item.poster_path, roots);
      if (image) return image;
    }
    const source = await findEmbeddedCoverSource(deps.db, item.id);
    if (source && source.library_id === item.library_id) {
      const cover = await embeddedCoverInside(source.path, roots);
      if (cover) return { contentType: cover.mime, data: Buffer.from(cover.data) };
    }
    // A track without art of its own shows its album's.
    if (item.type !== 'track' || item.parent_id === null) break;
    item = await findMusicItem(deps.db, scope, item.parent_id);
  }
  return null;
}

const MAX_INPUT_PIXELS = 50_000_000;

/** The image scaled to fit `size` × `size` (never enlarged), as JPEG; the original when it cannot be read. */
export async function resizeCover(cover: CoverBytes, size: number): Promise<CoverBytes> {
  try {
    const { default: sharp } = await import('sharp');
    const data = await sharp(cover.data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85 })
      .toBuffer();
    return { contentType: 'image/jpeg', data };
  } catch {
    return cover;
  }
}

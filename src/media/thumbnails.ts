// Thumbnails for films and episodes that have no artwork: a frame a little into the file, made with
// ffmpeg (through ffmpeg.ts, S74/S75) by a background job queued after each scan, kept under the data
// folder and made again when the file changes (its size or mtime).
import { mkdir, realpath, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { enqueueJob, PermanentJobError, type JobContext, type JobType } from '../jobs/runner.ts';
import { haveFfmpeg, inputArgs, runFfmpeg } from './ffmpeg.ts';

export const THUMBNAIL_JOB = 'media.thumbnails';
/** Width of a made thumbnail; the artwork route resizes it further on request. */
export const THUMBNAIL_WIDTH = 640;
const FFMPEG_TIMEOUT_MS = 60_000;
const BATCH = 200;

export interface ThumbnailPayload {
  libraryId: string;
}

export function thumbnailDir(deps: Pick<Deps, 'config'>): string {
  return join(deps.config.dataDir, 'thumbnails');
}

/** Where in a file its thumbnail frame is taken: a tenth of the way in, at most five minutes. */
export function thumbnailSecond(durationSeconds: number | null): number {
  if (durationSeconds === null || !(durationSeconds > 0)) return 0;
  return Math.min(300, Math.round(durationSeconds * 0.1 * 1000) / 1000);
}

/** The ffmpeg arguments for one frame: only numbers and the stored path (S74). */
export function thumbnailArgs(path: string, durationSeconds: number | null, out: string): string[] {
  const at = thumbnailSecond(durationSeconds);
  return [
    '-ss',
    at.toFixed(3),
    ...inputArgs(path),
    '-frames:v',
    '1',
    '-an',
    '-sn',
    '-dn',
    // Never larger than the picture itself.
    '-vf',
    `scale='min(${THUMBNAIL_WIDTH},iw)':-2`,
    '-q:v',
    '4',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    '-y',
    out,
  ];
}

/** Makes (or remakes) one thumbnail; returns its path or null when ffmpeg could not. */
export async function makeThumbnail(
  deps: Pick<Deps, 'config'>,
  item: { id: string; path: string; duration_seconds: number | null },
): Promise<string | null> {
  const dir = thumbnailDir(deps);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, `${item.id.replace(/[^A-Za-z0-9_-]/g, '_')}.jpg`);
  const temp = `${final}.${process.pid}.tmp.jpg`;
  try {
    await runFfmpeg(thumbnailArgs(item.path, item.duration_seconds, temp), FFMPEG_TIMEOUT_MS);
    await rename(temp, final);
    return final;
  } catch {
    // A seek past a very short file's end gives no frame: try the first frame once.
    try {
      await runFfmpeg(thumbnailArgs(item.path, 0, temp), FFMPEG_TIMEOUT_MS);
      await rename(temp, final);
      return final;
    } catch {
      await rm(temp, { force: true });
      return null;
    }
  }
}

export const thumbnailJobType: JobType<ThumbnailPayload, unknown, Deps> = {
  type: THUMBNAIL_JOB,
  maxAttempts: 2,
  async run(deps, ctx: JobContext<ThumbnailPayload>) {
    if (typeof ctx.payload?.libraryId !== 'string') throw new PermanentJobError('the thumbnail job names no library');
    if (!(await haveFfmpeg())) return { made: 0, failed: 0, skipped: 'ffmpeg is not installed' };
    let made = 0;
    let failed = 0;
    const stamp = sql<string>`cast(media_items.size as text) || ':' || cast(media_items.mtime_ms as text)`;
    const tried = new Set<string>();
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('stopped');
      // Films, episodes and videos with a file, no artwork of their own, and no thumbnail of this version of the file.
      const rows = await deps.db
        .selectFrom('media_items')
        .select(['id', 'path', 'duration_seconds', 'size', 'mtime_ms'])
        .where('library_id', '=', ctx.payload.libraryId)
        .where('type', 'in', ['movie', 'episode', 'video'])
        .where('path', 'is not', null)
        .where('probe_state', '=', 'done')
        .where('poster_path', 'is', null)
        .where((eb) => eb.or([eb('thumb_stamp', 'is', null), eb('thumb_stamp', '!=', stamp)]))
        .orderBy('id')
        .limit(BATCH)
        .execute();
      const todo = rows.filter((r) => !tried.has(r.id));
      if (todo.length === 0) break;
      for (const row of todo) {
        tried.add(row.id);
        const path = await makeThumbnail(deps, { id: row.id, path: row.path!, duration_seconds: row.duration_seconds });
        if (path === null) failed++;
        else made++;
        // A file that gives no frame is marked too, so it is tried again only once it changes.
        await deps.db
          .updateTable('media_items')
          .set({ thumb_path: path, thumb_stamp: `${row.size}:${row.mtime_ms}` })
          .where('id', '=', row.id)
          .execute();
        await ctx.progress({ made, failed });
      }
    }
    return { made, failed };
  },
};

/** Queues the thumbnail job for a library after its scan (one per scan job). */
export async function queueThumbnails(
  deps: Pick<Deps, 'db' | 'random' | 'jobs' | 'clock'>,
  libraryId: string,
  scanJobId: string,
): Promise<void> {
  await enqueueJob(
    deps,
    deps.db,
    { type: THUMBNAIL_JOB, payload: { libraryId } satisfies ThumbnailPayload, dedupeKey: `thumbs:${scanJobId}` },
    deps.clock(),
  );
}

/** The thumbnail folder as a root for serving its files (S71's containment check). */
export async function thumbnailRoot(deps: Pick<Deps, 'config'>): Promise<string> {
  const dir = thumbnailDir(deps);
  return realpath(dir).catch(() => dir);
}

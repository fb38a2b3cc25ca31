// The library scan, a job: walk → diff with the store by (size, mtime, inode) → parse names → write in
// batches → probe new and changed files in a bounded pool → local artwork. Files that did not change
// are never read again; the store is the checkpoint, so a scan that dies half-way is continued by the
// next run (written rows stay, unprobed ones are still pending); unreadable or corrupt files are
// listed in the result and never end the scan.
import { readFile, realpath } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { sha256, type Random } from '../crypto.ts';
import type { Deps, JobType } from '../deps.ts';
import { enqueueJob, PermanentJobError, type JobContext } from '../jobs/runner.ts';
import { findJobByDedupeKey } from '../store/jobs.repository.ts';
import {
  advanceScanSeq,
  deleteEmptyGroups,
  deleteItems,
  findLibrary,
  insertItems,
  loadFileIndex,
  loadScanItems,
  orphanChildrenOf,
  setScanSignature,
  updateItem,
  type Executor,
  type FileIndexRow,
  type ItemPatch,
  type LibraryRow,
  type ScanItemRow,
} from '../store/media.repository.ts';
import type { MediaItemsTable } from '../store/schema.ts';
import { libraryPaths } from './libraries.ts';
import { mediaTypeOf, type MediaKind } from './media-types.ts';
import {
  artworkKind,
  parseMediaPath,
  type Artwork,
  type LibraryKind,
  type ParsedMedia,
  type ParsedTrack,
} from './naming.ts';
import {
  dirOf,
  placeFile,
  placeTrack,
  searchTextOf,
  showKey,
  sortTitleOf,
  stemOf,
  type GroupPlan,
  type Placement,
} from './placement.ts';
import { MAX_NFO_BYTES, NfoError, parseNfo, type NfoKind, type NfoMetadata } from './nfo.ts';
import { createProber, fingerprintFile, haveFfprobe, ProbeError, type Prober, type ProbeResult } from './probe.ts';
import { queueThumbnails } from './thumbnails.ts';
import { isInside, walkLibrary, type WalkedFile } from './walk.ts';
import { saveMusicExtras } from './music-store.ts';

export const SCAN_JOB = 'library.scan';

export interface ScanPayload {
  libraryId: string;
  /** false = names only: no file is opened (first look at a big library, the benchmark). */
  probe?: boolean;
}

export interface ScanCounts {
  walked: number;
  added: number;
  updated: number;
  moved: number;
  removed: number;
  unchanged: number;
  to_probe: number;
  probed: number;
  failed: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanResult extends ScanCounts {
  library_gone?: boolean;
  /** Files that could not be read or made no sense as media (the first MAX_LISTED of them). */
  skipped: SkippedFile[];
  /** Files read in part or not at all while the item stays (a broken NFO: the name is used). */
  warnings?: SkippedFile[];
}

type ScanPhase = 'walk' | 'write' | 'probe' | 'artwork' | 'metadata' | 'done';

/** A running scan's progress as its job row keeps it (and GET /libraries/:id/scan answers it). */
export type ScanProgress = ScanCounts & { phase: ScanPhase };

interface ScanCheckpoint {
  phase: ScanPhase;
  counts: ScanCounts;
}

export interface ScanOptions {
  prober?: Prober;
  /** Files probed at once (default: the CPU count, between 2 and 8). */
  probeConcurrency?: number;
  /** Probe results written (and checkpointed) together, at most (default 32; also once a second). */
  probeFlushEvery?: number;
  signal?: AbortSignal;
  /** Called now and then with how far the scan got; `checkpoint` when the store holds everything so far. */
  report?(phase: ScanPhase, counts: ScanCounts, checkpoint: boolean): Promise<void>;
}

const MAX_LISTED = 200;
const WRITE_BATCH = 2000;
const PROBE_FLUSH = 32;
const PROBE_FLUSH_MS = 1000;
const REPORT_MS = 500;

const zeroCounts = (): ScanCounts => ({
  walked: 0,
  added: 0,
  updated: 0,
  moved: 0,
  removed: 0,
  unchanged: 0,
  to_probe: 0,
  probed: 0,
  failed: 0,
});

function wantedKind(kind: LibraryKind): (name: string) => boolean {
  const media: MediaKind = kind === 'music' ? 'audio' : 'video';
  // Movies and shows keep audio too: theme songs (`theme.mp3`, `theme-music/`).
  const themes = kind === 'movies' || kind === 'shows';
  return (name) => {
    if (name.toLowerCase().endsWith('.nfo')) return true;
    const type = mediaTypeOf(name);
    return type !== null && (type.kind === media || type.kind === 'image' || (themes && type.kind === 'audio'));
  };
}

interface FreshFile {
  file: WalkedFile;
  parsed: ParsedMedia;
}

interface ArtFile {
  relPath: string;
  absPath: string;
  art: Artwork;
}

interface NfoFile {
  absPath: string;
  /** `size:mtime`: an NFO is read again only when this changes. */
  stamp: string;
}

const NFO_KIND_OF: Partial<Record<ScanItemRow['type'], { names: (row: ScanItemRow) => string[]; kind: NfoKind }>> = {
  movie: { kind: 'movie', names: (row) => [`${stemOf(row.rel_path!)}.nfo`, 'movie.nfo'] },
  episode: { kind: 'episodedetails', names: (row) => [`${stemOf(row.rel_path!)}.nfo`] },
  video: { kind: 'movie', names: (row) => [`${stemOf(row.rel_path!)}.nfo`] },
  show: { kind: 'tvshow', names: () => ['tvshow.nfo'] },
  season: { kind: 'season', names: () => ['season.nfo'] },
  artist: { kind: 'artist', names: () => ['artist.nfo'] },
  album: { kind: 'album', names: () => ['album.nfo'] },
};

/** The store's columns for what an NFO says; `clear` empties them (the NFO went away). */
function nfoPatch(nfo: NfoMetadata | null): ItemPatch {
  const json = (value: unknown[]) => (value.length > 0 ? JSON.stringify(value) : null);
  if (nfo === null) {
    return {
      original_title: null,
      plot: null,
      tagline: null,
      rating: null,
      certification: null,
      premiered: null,
      runtime_minutes: null,
      genres: null,
      studios: null,
      tags: null,
      people: null,
      collection: null,
      external_ids: null,
    };
  }
  const people = [
    ...nfo.cast.map((p) => ({ name: p.name, role: p.role, kind: 'actor', thumb: p.thumb })),
    ...nfo.directors.map((name) => ({ name, role: null, kind: 'director', thumb: null })),
    ...nfo.writers.map((name) => ({ name, role: null, kind: 'writer', thumb: null })),
  ];
  return {
    original_title: nfo.originalTitle,
    plot: nfo.plot,
    tagline: nfo.tagline,
    rating: nfo.rating,
    certification: nfo.certification,
    premiered: nfo.premiered,
    runtime_minutes: nfo.runtimeMinutes,
    genres: json(nfo.genres),
    studios: json(nfo.studios),
    tags: json(nfo.tags),
    people: json(people),
    collection: nfo.collection,
    external_ids: Object.keys(nfo.ids).length > 0 ? JSON.stringify(nfo.ids) : null,
  };
}

function uniqueWords(text: string): string {
  return [...new Set(text.split(' ').filter((w) => w !== ''))].join(' ');
}

/** One library's scan in this process. Every store write goes through here. */
class LibraryScan {
  private readonly kind: LibraryKind;
  private readonly roots: string[];
  private readonly counts: ScanCounts;
  private readonly skipped: SkippedFile[] = [];
  private readonly warnings: SkippedFile[] = [];
  private readonly items = new Map<string, ScanItemRow>();
  private readonly byPath = new Map<string, ScanItemRow>();
  private readonly groups = new Map<string, ScanItemRow>();
  private readonly now: number;
  private lastReport = 0;
  private pendingInserts: MediaItemsTable[] = [];
  private extraOwners: { movies: Map<string, ScanItemRow[]>; shows: Map<string, ScanItemRow> } | null = null;
  private readonly newId: () => string;
  /** Whether anything left a group this run (removed, moved, changed, re-placed): only then are empty groups looked for. */
  private groupsMayEmpty = false;

  constructor(
    private readonly deps: Pick<Deps, 'db' | 'random' | 'clock'>,
    private readonly library: LibraryRow,
    private readonly probe: boolean,
    private readonly options: ScanOptions,
    resumed: ScanCounts | null,
  ) {
    this.kind = library.kind;
    this.roots = libraryPaths(library);
    // A resumed scan carries on the tallies of what was written; what it walks it counts afresh.
    this.counts = resumed ? { ...resumed, walked: 0, unchanged: 0, to_probe: 0 } : zeroCounts();
    this.now = deps.clock().getTime();
    this.newId = idPool(deps.random);
  }

  private checkAbort(): void {
    const signal = this.options.signal;
    if (signal?.aborted) throw signal.reason ?? new Error('the scan was stopped');
  }

  private skip(path: string, reason: string): void {
    this.counts.failed++;
    if (this.skipped.length < MAX_LISTED) this.skipped.push({ path, reason });
  }

  private async report(phase: ScanPhase, checkpoint = false): Promise<void> {
    const t = Date.now();
    if (!checkpoint && t - this.lastReport < REPORT_MS) return;
    this.lastReport = t;
    await this.options.report?.(phase, { ...this.counts }, checkpoint);
  }

  async run(): Promise<ScanResult> {
    // Read again: the row a caller holds may predate the last scan.
    const settled = (await findLibrary(this.deps.db, this.library.id))?.scan_signature ?? null;
    // The diff needs only each file's path and stat; the rest is loaded when something changed.
    const index = new Map<string, FileIndexRow>();
    for (const row of await loadFileIndex(this.deps.db, this.library.id)) index.set(row.path, row);
    const { fresh, changed, art, nfos, seen, pending, unreadable } = await this.walk(index);
    const missing = [...index.values()].filter(
      (row) => !seen.has(row.id) && !unreadable.some((dir) => isInside(dir, row.path)),
    );
    const nfoSignature = [...nfos].map(([rel, f]) => `${rel}\0${f.stamp}`).sort();
    const scanSignature = sha256([...art.map((a) => a.relPath).sort(), ...nfoSignature].join('\n'));
    const quiet =
      fresh.length === 0 &&
      changed.length === 0 &&
      missing.length === 0 &&
      (!this.probe || pending.length === 0) &&
      scanSignature === settled;
    if (!quiet) {
      // Until this run completes, the next one must not take the library as settled; and if the last
      // one was cut short, its groups may have been left empty.
      this.groupsMayEmpty = settled === null;
      await setScanSignature(this.deps.db, this.library.id, null);
      for (const row of await loadScanItems(this.deps.db, this.library.id)) {
        this.items.set(row.id, row);
        if (row.path !== null) this.byPath.set(row.path, row);
        if (row.group_key !== null) this.groups.set(row.group_key, row);
      }
      const full = (id: string) => this.items.get(id) as ScanItemRow;
      const probeIds = await this.write(
        fresh,
        changed.map((c) => ({ ...c, row: full(c.row.id) })),
        missing.map((row) => full(row.id)),
      );
      this.counts.to_probe += pending.length;
      if (this.probe) await this.probeAll([...pending, ...probeIds]);
      await this.applyArtwork(art);
      await this.removeEmptyGroups();
      await this.applyStacks();
      await this.applyNfo(nfos);
      await setScanSignature(this.deps.db, this.library.id, scanSignature);
    }
    await this.report('done', true);
    return { ...this.counts, skipped: this.skipped, warnings: this.warnings };
  }

  // ---- walk and diff ------------------------------------------------------------------------------

  private async walk(index: Map<string, FileIndexRow>) {
    const fresh: FreshFile[] = [];
    const changed: { row: FileIndexRow; file: WalkedFile; parsed: ParsedMedia }[] = [];
    const art: ArtFile[] = [];
    const nfos = new Map<string, NfoFile>();
    const seen = new Set<string>();
    const pending: string[] = [];
    // Folders (and roots) that could not be read: what the store knows under them is kept, not removed,
    // so an unmounted disk or a permission slip does not wipe a library and its watch history.
    const unreadable: string[] = [];
    // A library folder that has since become a link to elsewhere is not walked (S71); what the store
    // knows under it stays until it is a folder again.
    const roots: string[] = [];
    for (const root of this.roots) {
      const real = await realpath(root).catch(() => null);
      if (real === root) roots.push(root);
      else {
        unreadable.push(root);
        this.skip(
          root,
          real === null ? 'the library folder cannot be read' : 'the library folder is now a link to elsewhere',
        );
      }
    }
    const include = wantedKind(this.kind);
    const walking = walkLibrary(roots, {
      include,
      onError: (path, error) => {
        unreadable.push(path);
        this.skip(path, error.code ?? error.message);
      },
    });
    for await (const file of walking) {
      this.counts.walked++;
      if ((this.counts.walked & 1023) === 0) {
        this.checkAbort();
        await this.report('walk');
      }
      if (file.relPath.toLowerCase().endsWith('.nfo')) {
        nfos.set(file.relPath, { absPath: file.absPath, stamp: `${file.size}:${Math.floor(file.mtimeMs)}` });
        continue;
      }
      const known = index.get(file.absPath);
      if (known !== undefined) {
        seen.add(known.id);
        if (known.size === file.size && known.mtime_ms === Math.floor(file.mtimeMs) && known.ino === String(file.ino)) {
          this.counts.unchanged++;
          if (this.probe && (known.probe_state === 'pending' || known.probe_state === 'skipped'))
            pending.push(known.id);
          continue;
        }
      }
      if (mediaTypeOf(file.relPath)?.kind === 'image') {
        const kind = artworkKind(file.relPath);
        if (kind !== null) art.push({ relPath: file.relPath, absPath: file.absPath, art: kind });
        continue;
      }
      const parsed = parseMediaPath(this.kind, file.relPath);
      if (parsed === null) continue;
      if (known !== undefined) changed.push({ row: known, file, parsed });
      else fresh.push({ file, parsed });
    }
    return { fresh, changed, art, nfos, seen, pending, unreadable };
  }

  // ---- writing the diff ---------------------------------------------------------------------------

  private async write(
    fresh: FreshFile[],
    changed: { row: ScanItemRow; file: WalkedFile; parsed: ParsedMedia }[],
    missing: ScanItemRow[],
  ): Promise<string[]> {
    const moves = await this.matchMoves(fresh, missing);
    const movedIds = new Set(moves.map((m) => m.row.id));
    const gone = missing.filter((row) => !movedIds.has(row.id));

    const ops: ((db: Executor) => Promise<void>)[] = [];
    const probeIds: string[] = [];
    if (gone.length > 0) {
      const ids = gone.map((row) => row.id);
      ops.push(async (db) => {
        await orphanChildrenOf(db, ids);
        await deleteItems(db, ids);
      });
      for (const row of gone) {
        this.items.delete(row.id);
        this.byPath.delete(row.path as string);
      }
      this.counts.removed += gone.length;
    }
    const movedPaths = new Set(moves.map((m) => m.file.absPath));
    // Extras last: the movie or show they belong to must be placed first.
    const isExtra = (p: ParsedMedia) => p.type === 'extra';
    for (const extras of [false, true]) {
      for (const move of moves) {
        if (isExtra(move.parsed) !== extras) continue;
        this.byPath.delete(move.row.path as string);
        ops.push(this.relocate(move.row, move.file, move.parsed, false));
        this.counts.moved++;
      }
      for (const change of changed) {
        if (isExtra(change.parsed) !== extras) continue;
        ops.push(this.relocate(change.row, change.file, change.parsed, true));
        if (this.probe) probeIds.push(change.row.id);
        this.counts.updated++;
      }
      for (const { file, parsed } of fresh) {
        if (isExtra(parsed) !== extras || movedPaths.has(file.absPath)) continue;
        const row = this.addFile(file, parsed);
        if (this.probe) probeIds.push(row.id);
        this.counts.added++;
      }
    }
    this.counts.to_probe += probeIds.length;
    if (ops.length > 0) this.groupsMayEmpty = true;
    for (let i = 0; i < ops.length; i += WRITE_BATCH) {
      this.checkAbort();
      await this.deps.db.transaction().execute(async (trx) => {
        for (const op of ops.slice(i, i + WRITE_BATCH)) await op(trx);
      });
      await this.report('write');
    }
    // New rows were queued by addFile and ensureGroups; a transaction per batch, so a crash keeps what went in.
    while (this.pendingInserts.length > 0) {
      this.checkAbort();
      const batch = this.pendingInserts.splice(0, WRITE_BATCH * 2);
      await this.deps.db.transaction().execute((trx) => insertItems(trx, batch));
      await this.report('write');
    }
    await this.report('write', true);
    return probeIds;
  }

  /** New files that are missing ones under another path: same inode and size, or the same fingerprint. */
  private async matchMoves(fresh: FreshFile[], missing: ScanItemRow[]) {
    const moves: { row: ScanItemRow; file: WalkedFile; parsed: ParsedMedia }[] = [];
    if (missing.length === 0 || fresh.length === 0) return moves;
    const byInode = new Map<string, ScanItemRow[]>();
    const bySize = new Map<number, ScanItemRow[]>();
    for (const row of missing) {
      append(byInode, `${row.ino}:${row.size}`, row);
      if (row.fingerprint !== null && row.size !== null && row.size > 0) append(bySize, row.size, row);
    }
    const taken = new Set<string>();
    const take = (rows: ScanItemRow[] | undefined, test: (row: ScanItemRow) => boolean) =>
      rows?.find((row) => !taken.has(row.id) && test(row));
    for (const { file, parsed } of fresh) {
      let row = take(byInode.get(`${file.ino}:${file.size}`), () => true);
      if (row === undefined && bySize.has(file.size)) {
        const fingerprint = await fingerprintFile(file.absPath, file.size).catch(() => null);
        if (fingerprint !== null) row = take(bySize.get(file.size), (r) => r.fingerprint === fingerprint);
      }
      if (row !== undefined) {
        taken.add(row.id);
        moves.push({ row, file, parsed });
      }
    }
    return moves;
  }

  private mediaFields(file: WalkedFile) {
    return {
      path: file.absPath,
      rel_path: file.relPath,
      size: file.size,
      mtime_ms: Math.floor(file.mtimeMs),
      ino: String(file.ino),
      mime: mediaTypeOf(file.relPath)?.mime ?? null,
    };
  }

  /** A group's id, creating it (queued for insert) when this library does not have it yet. */
  private ensureGroups(chain: GroupPlan[]): string | null {
    let parent: string | null = null;
    for (const plan of chain) {
      let row = this.groups.get(plan.key);
      if (row === undefined) {
        const id = this.newId();
        this.pendingInserts.push({
          ...emptyItem(id, this.library.id, this.now),
          parent_id: parent,
          type: plan.type,
          title: plan.title,
          sort_title: sortTitleOf(plan.title),
          search_text: searchTextOf([plan.title]),
          year: plan.year,
          index_number: plan.index,
          group_key: plan.key,
          folder: plan.folder,
          probe_state: 'done',
        });
        row = {
          ...scanRow(id, parent, plan.type, plan.index, plan.key, plan.folder),
          search_text: searchTextOf([plan.title]),
        };
        this.groups.set(plan.key, row);
        this.items.set(id, row);
      }
      parent = row.id;
    }
    return parent;
  }

  /** Where an extra hangs: the movie beside it (by file stem or folder), or its show. */
  private ownerOf(placement: Placement): string | null {
    const owner = placement.owner;
    if (owner === null) return null;
    if (this.kind === 'shows' && owner.title !== null) {
      const show = this.groups.get(showKey(owner.title, owner.year));
      if (show !== undefined) return show.id;
    }
    // Extras are placed after everything else, so an index built at the first one stays true.
    if (this.extraOwners === null) {
      const movies = new Map<string, ScanItemRow[]>();
      const shows = new Map<string, ScanItemRow>();
      for (const row of this.items.values()) {
        if (row.type === 'movie' && row.rel_path !== null) append(movies, dirOf(row.rel_path), row);
        else if (row.type === 'show' && row.folder !== null) shows.set(row.folder, row);
      }
      this.extraOwners = { movies, shows };
    }
    const show = this.extraOwners.shows.get(owner.dir);
    if (show !== undefined) return show.id;
    const movies = this.extraOwners.movies.get(owner.dir) ?? [];
    const movie =
      owner.stem !== null
        ? movies.find((row) => stemOf(row.rel_path as string) === owner.stem)
        : owner.dir !== ''
          ? movies[0]
          : undefined;
    return movie?.id ?? null;
  }

  private leafFields(placement: Placement, relPath: string) {
    const l = placement.leaf;
    return {
      parent_id: placement.owner !== null ? this.ownerOf(placement) : this.ensureGroups(placement.chain),
      type: l.type,
      title: l.title,
      sort_title: sortTitleOf(l.title),
      search_text: searchTextOf([l.title, ...l.searchAlso]),
      year: l.year,
      index_number: l.index,
      index_end: l.indexEnd,
      disc_number: l.disc,
      part: l.part,
      edition: l.edition,
      air_date: l.airDate,
      artist: l.artist,
      extra_type: l.extraType,
      version_label: l.version,
      folder: l.folder,
      rel_path: relPath,
    };
  }

  private addFile(file: WalkedFile, parsed: ParsedMedia): ScanItemRow {
    const id = this.newId();
    const fields = this.leafFields(placeFile(this.kind, file.relPath, parsed), file.relPath);
    this.pendingInserts.push({
      ...emptyItem(id, this.library.id, this.now),
      ...fields,
      ...this.mediaFields(file),
      probe_state: this.probe ? 'pending' : 'skipped',
    });
    const row: ScanItemRow = {
      ...scanRow(id, fields.parent_id, fields.type, fields.index_number, null, fields.folder),
      path: file.absPath,
      rel_path: file.relPath,
      size: file.size,
      mtime_ms: Math.floor(file.mtimeMs),
      ino: String(file.ino),
      probe_state: this.probe ? 'pending' : 'skipped',
      search_text: fields.search_text,
    };
    this.items.set(id, row);
    this.byPath.set(file.absPath, row);
    return row;
  }

  /**
   * A known item under a new path (moved) or with new contents (changed): same id, so watch progress
   * stays. Music keeps the place its tags gave it until a probe reads them again.
   */
  private relocate(
    row: ScanItemRow,
    file: WalkedFile,
    parsed: ParsedMedia,
    contentChanged: boolean,
  ): (db: Executor) => Promise<void> {
    const placement = this.kind === 'music' ? null : placeFile(this.kind, file.relPath, parsed);
    const patch: ItemPatch = {
      ...(placement !== null ? this.leafFields(placement, file.relPath) : { rel_path: file.relPath }),
      ...this.mediaFields(file),
      updated_at: this.now,
      ...(contentChanged
        ? {
            probe_state: this.probe ? 'pending' : 'skipped',
            probe_error: null,
            fingerprint: null,
            browser_playable: 0,
            embedded_cover: 0,
          }
        : {}),
    };
    // The name's fields were written again: what an NFO says is laid over them anew.
    row.nfo_stamp = null;
    Object.assign(row, {
      path: file.absPath,
      rel_path: file.relPath,
      size: file.size,
      mtime_ms: Math.floor(file.mtimeMs),
      ino: String(file.ino),
      ...(patch.parent_id !== undefined ? { parent_id: patch.parent_id } : {}),
      ...(patch.folder !== undefined ? { folder: patch.folder } : {}),
      ...(patch.search_text !== undefined ? { search_text: patch.search_text } : {}),
      ...(contentChanged ? { probe_state: patch.probe_state, fingerprint: null } : {}),
    });
    this.byPath.set(file.absPath, row);
    return (db) => updateItem(db, row.id, patch);
  }

  // ---- probing ------------------------------------------------------------------------------------

  private async probeAll(ids: string[]): Promise<void> {
    const prober = this.options.prober ?? createProber({ ffprobe: await haveFfprobe() });
    const concurrency = Math.max(1, this.options.probeConcurrency ?? Math.min(8, Math.max(2, availableParallelism())));
    const queue = [...new Set(ids)]
      .map((id) => this.items.get(id))
      .filter((row): row is ScanItemRow => row?.path != null);
    const done: { row: ScanItemRow; result: ProbeResult | null; fingerprint: string | null; error: string | null }[] =
      [];
    let next = 0;
    let lastFlush = Date.now();
    let flushing: Promise<void> = Promise.resolve();

    const flush = async () => {
      const batch = done.splice(0);
      if (batch.length === 0) return;
      await this.deps.db.transaction().execute(async (trx) => {
        for (const item of batch) await this.applyProbe(trx, item.row, item.result, item.fingerprint, item.error);
        if (this.pendingInserts.length > 0) await insertItems(trx, this.pendingInserts.splice(0));
      });
      // Counted once written, so the checkpoint below holds no probe still in flight: a resumed scan
      // probes those again, and would count them twice.
      for (const item of batch) {
        this.counts.probed++;
        if (item.error !== null) this.skip(item.row.rel_path ?? (item.row.path as string), item.error);
      }
      lastFlush = Date.now();
      await this.report('probe', true);
    };

    const worker = async () => {
      while (next < queue.length) {
        this.checkAbort();
        const row = queue[next++];
        const path = row.path as string;
        const kind = mediaTypeOf(path)?.kind ?? 'video';
        let result: ProbeResult | null = null;
        let fingerprint: string | null = null;
        let error: string | null = null;
        try {
          if (row.size === 0) throw new ProbeError('the file is empty');
          result = await prober(path, kind);
          fingerprint = await fingerprintFile(path, row.size ?? 0);
        } catch (err) {
          // Stopping is not the file's fault: it stays pending for the next run.
          this.checkAbort();
          error =
            err instanceof ProbeError
              ? err.message
              : ((err as NodeJS.ErrnoException).code ?? (err as Error).message ?? 'unreadable');
        }
        done.push({ row, result, fingerprint, error });
        if (done.length >= (this.options.probeFlushEvery ?? PROBE_FLUSH) || Date.now() - lastFlush >= PROBE_FLUSH_MS) {
          flushing = flushing.then(flush);
          await flushing;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, queue.length)) }, worker));
    flushing = flushing.then(flush);
    await flushing;
  }

  private async applyProbe(
    db: Executor,
    row: ScanItemRow,
    result: ProbeResult | null,
    fingerprint: string | null,
    error: string | null,
  ): Promise<void> {
    if (result === null) {
      row.probe_state = 'failed';
      this.groupsMayEmpty = true;
      await updateItem(db, row.id, { probe_state: 'failed', probe_error: error, updated_at: this.now });
      return;
    }
    let placed: ItemPatch = {};
    if (this.kind === 'music' && row.rel_path !== null) {
      this.groupsMayEmpty = true;
      const fromPath = parseMediaPath('music', row.rel_path) as ParsedTrack | null;
      if (fromPath !== null) {
        placed = this.leafFields(placeTrack(row.rel_path, fromPath, result.tags), row.rel_path);
        row.parent_id = placed.parent_id ?? null;
      }
    }
    row.probe_state = 'done';
    row.fingerprint = fingerprint;
    await updateItem(db, row.id, {
      ...placed,
      container: result.container,
      video_codec: result.videoCodec,
      audio_codec: result.audioCodec,
      width: result.width,
      height: result.height,
      pix_fmt: result.pixFmt,
      duration_seconds: result.durationSeconds,
      browser_playable: result.browserPlayable ? 1 : 0,
      embedded_cover: result.embeddedCover ? 1 : 0,
      chapters: result.chapters !== undefined && result.chapters.length > 0 ? JSON.stringify(result.chapters) : null,
      fingerprint,
      probe_state: 'done',
      probe_error: null,
      updated_at: this.now,
    });
    if (this.kind === 'music' && result.music) await saveMusicExtras(db, row.id, result.music);
  }

  // ---- artwork and tidying ------------------------------------------------------------------------

  /** Sets each item's poster and fanart from the local images found, where that changes anything. */
  private async applyArtwork(art: ArtFile[]): Promise<void> {
    await this.report('artwork');
    // Images by the folder they sit in; items only look up their own folders, so no key is built per item.
    const artByDir = new Map<string, ArtFile[]>();
    for (const file of art) append(artByDir, dirOf(file.relPath), file);
    const updates: [ScanItemRow, ItemPatch][] = [];
    for (const row of this.items.values()) {
      // Lower wins: an image named for the file beats a season image, which beats the folder's.
      let poster: [number, string] | null = null;
      let fanart: [number, string] | null = null;
      const offer = (a: Artwork, base: number, path: string) => {
        const slot = a.kind === 'fanart' ? 'fanart' : a.kind === 'poster' || a.kind === 'thumb' ? 'poster' : null;
        if (slot === null) return;
        const score = base + a.rank + (a.kind === 'thumb' ? 50 : 0);
        const current = slot === 'poster' ? poster : fanart;
        if (current !== null && (score > current[0] || (score === current[0] && path >= current[1]))) return;
        if (slot === 'poster') poster = [score, path];
        else fanart = [score, path];
      };
      if (artByDir.size > 0) {
        if (row.rel_path !== null) {
          const beside = artByDir.get(dirOf(row.rel_path));
          if (beside !== undefined) {
            const stem = stemOf(row.rel_path);
            for (const f of beside) if (f.art.scope === 'file' && f.art.stem === stem) offer(f.art, 0, f.absPath);
          }
        }
        if (row.folder !== null) {
          for (const f of artByDir.get(row.folder) ?? []) if (f.art.scope === 'folder') offer(f.art, 200, f.absPath);
        }
        if (row.type === 'season' && row.parent_id !== null) {
          const show = this.items.get(row.parent_id);
          for (const f of (show?.folder != null ? artByDir.get(show.folder) : undefined) ?? []) {
            if (f.art.scope === 'season' && f.art.season === row.index_number) offer(f.art, 100, f.absPath);
          }
        }
      }
      const posterPath = (poster as [number, string] | null)?.[1] ?? null;
      const fanartPath = (fanart as [number, string] | null)?.[1] ?? null;
      if (posterPath === row.poster_path && fanartPath === row.fanart_path) continue;
      row.poster_path = posterPath;
      row.fanart_path = fanartPath;
      updates.push([row, { poster_path: posterPath, fanart_path: fanartPath }]);
    }
    for (let i = 0; i < updates.length; i += WRITE_BATCH) {
      this.checkAbort();
      await this.deps.db.transaction().execute(async (trx) => {
        for (const [row, patch] of updates.slice(i, i + WRITE_BATCH)) await updateItem(trx, row.id, patch);
      });
    }
  }

  /**
   * Lays each NFO over its item (NFO wins over the file name): `<stem>.nfo` or `movie.nfo` for a movie,
   * `<stem>.nfo` for an episode, `tvshow.nfo`, `season.nfo`, `artist.nfo`, `album.nfo` in a group's
   * folder. An NFO is read again only when it changed or its item was rewritten. A broken one is a
   * warning in the scan's result and the name stays (S76: parseNfo never expands an entity).
   */
  private async applyNfo(nfos: Map<string, NfoFile>): Promise<void> {
    await this.report('metadata');
    const updates: [ScanItemRow, ItemPatch][] = [];
    for (const row of this.items.values()) {
      const spec = NFO_KIND_OF[row.type];
      if (spec === undefined) continue;
      const dir = row.rel_path !== null ? dirOf(row.rel_path) : row.folder;
      if (
        dir === null ||
        (row.rel_path === null &&
          spec.kind !== 'tvshow' &&
          spec.kind !== 'season' &&
          spec.kind !== 'artist' &&
          spec.kind !== 'album')
      )
        continue;
      // A movie's movie.nfo counts only when the movie has its own folder.
      let names = spec.names(row);
      if (row.type === 'movie' && dir === '') names = names.filter((n) => n !== 'movie.nfo');
      const found = names.map((n) => (dir === '' ? n : `${dir}/${n}`)).find((rel) => nfos.has(rel));
      const nfo = found !== undefined ? nfos.get(found)! : undefined;
      if (nfo === undefined) {
        if (row.nfo_stamp !== null) {
          row.nfo_stamp = null;
          updates.push([row, { ...nfoPatch(null), nfo_stamp: null, ...this.nameFields(row) }]);
        }
        continue;
      }
      if (row.nfo_stamp === nfo.stamp) continue;
      row.nfo_stamp = nfo.stamp;
      let metadata: NfoMetadata | null = null;
      try {
        const body = await readNfo(nfo.absPath);
        metadata = parseNfo(body, spec.kind);
      } catch (err) {
        if (this.warnings.length < MAX_LISTED) {
          this.warnings.push({
            path: found!,
            reason: err instanceof NfoError ? err.message : ((err as NodeJS.ErrnoException).code ?? 'unreadable'),
          });
        }
      }
      if (metadata === null) {
        updates.push([row, { ...nfoPatch(null), nfo_stamp: nfo.stamp, ...this.nameFields(row) }]);
        continue;
      }
      const patch: ItemPatch = { ...nfoPatch(metadata), nfo_stamp: nfo.stamp };
      const title = metadata.title;
      if (title !== null) {
        patch.title = title;
        patch.sort_title = sortTitleOf(metadata.sortTitle ?? title);
      }
      if (metadata.year !== null && row.type !== 'episode' && row.type !== 'season') patch.year = metadata.year;
      if (row.type === 'episode' && metadata.premiered !== null) patch.air_date = metadata.premiered;
      const extra = searchTextOf([
        title,
        metadata.originalTitle,
        ...metadata.cast.map((c) => c.name),
        ...metadata.directors,
      ]);
      patch.search_text = uniqueWords(`${row.search_text} ${extra}`);
      updates.push([row, patch]);
    }
    for (let i = 0; i < updates.length; i += WRITE_BATCH) {
      this.checkAbort();
      await this.deps.db.transaction().execute(async (trx) => {
        for (const [row, patch] of updates.slice(i, i + WRITE_BATCH))
          await updateItem(trx, row.id, { ...patch, updated_at: this.now });
      });
    }
  }

  /**
   * Movies in several files become one item: parts of a stack (`cd1`, `part2`, `(Disc 01)`) follow the
   * first part; versions in one folder (`- 1080p`, `- Director's Cut`, `[3D]`) follow the first
   * version by label. The others point at it with primary_id and are listed through it.
   */
  private async applyStacks(): Promise<void> {
    if (this.kind !== 'movies') return;
    const groups = new Map<string, { row: ScanItemRow; part: number | null; version: string | null }[]>();
    for (const row of this.items.values()) {
      if (row.type !== 'movie' || row.rel_path === null) continue;
      const parsed = parseMediaPath('movies', row.rel_path);
      if (parsed === null || parsed.type !== 'movie') continue;
      const dir = dirOf(row.rel_path);
      // A disc folder (`CD2/`) belongs to the movie folder above it.
      const owner = /^(?:cd|dvd|disc|disk|part|pt)[\s._-]*\d{1,2}$/i.test(dir.split('/').pop() ?? '')
        ? dirOf(dir)
        : dir;
      append(groups, `${owner}\0${parsed.title.toLowerCase()}\0${parsed.year ?? ''}`, {
        row,
        part: parsed.part,
        version: parsed.version,
      });
    }
    const wanted = new Map<string, string | null>();
    for (const [key, members] of groups) {
      for (const m of members) wanted.set(m.row.id, null);
      if (members.length < 2) continue;
      const inFolder = !key.startsWith('\0');
      const parts = members.filter((m) => m.part !== null);
      let primary: ScanItemRow | null = null;
      if (parts.length === members.length && new Set(parts.map((m) => m.part)).size === parts.length) {
        primary = [...parts].sort((a, b) => a.part! - b.part!)[0].row;
      } else if (
        inFolder &&
        parts.length === 0 &&
        new Set(members.map((m) => m.version ?? '')).size === members.length
      ) {
        primary = [...members].sort(
          (a, b) => (a.version ?? '').localeCompare(b.version ?? '') || (a.row.rel_path! < b.row.rel_path! ? -1 : 1),
        )[0].row;
      }
      if (primary === null) continue;
      for (const m of members) if (m.row.id !== primary.id) wanted.set(m.row.id, primary.id);
    }
    const updates: [string, string | null][] = [];
    for (const [id, primaryId] of wanted) {
      const row = this.items.get(id)!;
      if (row.primary_id === primaryId) continue;
      row.primary_id = primaryId;
      updates.push([id, primaryId]);
    }
    for (let i = 0; i < updates.length; i += WRITE_BATCH) {
      await this.deps.db.transaction().execute(async (trx) => {
        for (const [id, primaryId] of updates.slice(i, i + WRITE_BATCH))
          await updateItem(trx, id, { primary_id: primaryId });
      });
    }
  }

  /** A file's title, year and search words as its name gives them (an NFO was removed or is broken). */
  private nameFields(row: ScanItemRow): ItemPatch {
    if (row.rel_path === null || this.kind === 'music') return {};
    const parsed = parseMediaPath(this.kind, row.rel_path);
    if (parsed === null) return {};
    const l = placeFile(this.kind, row.rel_path, parsed).leaf;
    const search = searchTextOf([l.title, ...l.searchAlso]);
    row.search_text = search;
    return { title: l.title, sort_title: sortTitleOf(l.title), year: l.year, air_date: l.airDate, search_text: search };
  }

  private async removeEmptyGroups(): Promise<void> {
    if (this.pendingInserts.length > 0) await insertItems(this.deps.db, this.pendingInserts.splice(0));
    if (!this.groupsMayEmpty) return;
    const removed = await deleteEmptyGroups(this.deps.db, this.library.id);
    for (const id of removed) {
      const row = this.items.get(id);
      if (row?.group_key != null) this.groups.delete(row.group_key);
      this.items.delete(id);
    }
  }
}

async function readNfo(path: string): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_NFO_BYTES) throw new NfoError('the NFO file is too large');
  return bytes.toString('utf8');
}

function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Row ids from the random source in blocks: one call per 4096 ids rather than one per row. */
function idPool(random: Random): () => string {
  let block: Buffer = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at >= block.length) {
      block = random(16 * 4096);
      at = 0;
    }
    at += 16;
    return block.subarray(at - 16, at).toString('base64url');
  };
}

function scanRow(
  id: string,
  parent: string | null,
  type: ScanItemRow['type'],
  index: number | null,
  groupKey: string | null,
  folder: string | null,
): ScanItemRow {
  return {
    id,
    parent_id: parent,
    type,
    index_number: index,
    group_key: groupKey,
    folder,
    path: null,
    rel_path: null,
    size: null,
    mtime_ms: null,
    ino: null,
    fingerprint: null,
    probe_state: 'done',
    poster_path: null,
    fanart_path: null,
    search_text: '',
    nfo_stamp: null,
    primary_id: null,
  };
}

function emptyItem(id: string, libraryId: string, now: number): MediaItemsTable {
  return {
    id,
    library_id: libraryId,
    parent_id: null,
    type: 'video',
    title: '',
    sort_title: '',
    search_text: '',
    year: null,
    index_number: null,
    index_end: null,
    disc_number: null,
    part: null,
    edition: null,
    air_date: null,
    artist: null,
    extra_type: null,
    group_key: null,
    folder: null,
    path: null,
    rel_path: null,
    size: null,
    mtime_ms: null,
    ino: null,
    fingerprint: null,
    mime: null,
    container: null,
    video_codec: null,
    audio_codec: null,
    width: null,
    height: null,
    pix_fmt: null,
    duration_seconds: null,
    browser_playable: 0,
    embedded_cover: 0,
    poster_path: null,
    fanart_path: null,
    probe_state: 'pending',
    probe_error: null,
    added_at: now,
    updated_at: now,
    ...EMPTY_METADATA,
  };
}

/** Issue 17's columns of a new row: nothing known yet. */
export const EMPTY_METADATA = {
  version_label: null,
  primary_id: null,
  original_title: null,
  plot: null,
  tagline: null,
  rating: null,
  certification: null,
  premiered: null,
  runtime_minutes: null,
  genres: null,
  studios: null,
  tags: null,
  people: null,
  collection: null,
  external_ids: null,
  nfo_stamp: null,
  chapters: null,
  thumb_path: null,
  thumb_stamp: null,
} satisfies Partial<MediaItemsTable>;

/** Scans one library in this process (the job's body; the benchmark calls it directly). */
export async function scanLibrary(
  deps: Pick<Deps, 'db' | 'random' | 'clock'>,
  library: LibraryRow,
  payload: { probe?: boolean },
  options: ScanOptions = {},
  resumed: ScanCounts | null = null,
): Promise<ScanResult> {
  return new LibraryScan(deps, library, payload.probe !== false, options, resumed).run();
}

export const scanJobType: JobType<ScanPayload, ScanCheckpoint> = {
  type: SCAN_JOB,
  maxAttempts: 3,
  async run(deps, ctx: JobContext<ScanPayload, ScanCheckpoint>) {
    if (typeof ctx.payload?.libraryId !== 'string') throw new PermanentJobError('the scan job names no library');
    const library = await findLibrary(deps.db, ctx.payload.libraryId);
    if (!library) return { ...zeroCounts(), library_gone: true, skipped: [] } satisfies ScanResult;
    const result = await scanLibrary(
      deps,
      library,
      ctx.payload,
      {
        signal: ctx.signal,
        report: async (phase, counts, checkpoint) => {
          const progress = { phase, ...counts } satisfies ScanProgress;
          if (checkpoint) await ctx.checkpointed({ phase, counts }, progress);
          else await ctx.progress(progress);
        },
      },
      ctx.checkpoint?.counts ?? null,
    );
    // Thumbnails for what has no artwork are a later job of their own: the scan's figures stay the scan's.
    if (ctx.payload.probe !== false) await queueThumbnails(deps, library.id, ctx.job.id);
    return result as unknown as Record<string, unknown>;
  },
};

/**
 * Queues a scan of the library, or returns the one already queued or running: scans of one library
 * never overlap. Each library numbers its scans; the dedupe key `scan:<id>:<n>` makes two requests
 * racing for scan n get one job, and n moves on only once that job has finished.
 */
export async function requestScan(
  deps: Pick<Deps, 'db' | 'random' | 'jobs'>,
  libraryId: string,
  options: { probe?: boolean; createdBy?: string | null },
  now: Date,
): Promise<{ jobId: string; created: boolean } | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const library = await findLibrary(deps.db, libraryId);
    if (!library) return null;
    const dedupeKey = scanDedupeKey(library.id, library.scan_seq);
    const existing = await findJobByDedupeKey(deps.db, dedupeKey);
    if (existing === undefined) {
      const job = await enqueueJob(
        deps,
        deps.db,
        {
          type: SCAN_JOB,
          payload: { libraryId: library.id, probe: options.probe !== false } satisfies ScanPayload,
          dedupeKey,
          createdBy: options.createdBy ?? null,
        },
        now,
      );
      return { jobId: job.id, created: job.created };
    }
    if (existing.state === 'queued' || existing.state === 'running') return { jobId: existing.id, created: false };
    await advanceScanSeq(deps.db, library.id, library.scan_seq);
  }
  throw new Error('could not queue a scan: the scan number kept moving');
}

export function scanDedupeKey(libraryId: string, seq: number): string {
  return `scan:${libraryId}:${seq}`;
}

/** The library's latest scan job, if it ever had one. */
export async function latestScanJob(deps: Pick<Deps, 'db'>, library: LibraryRow) {
  return (
    (await findJobByDedupeKey(deps.db, scanDedupeKey(library.id, library.scan_seq))) ??
    (library.scan_seq > 0
      ? await findJobByDedupeKey(deps.db, scanDedupeKey(library.id, library.scan_seq - 1))
      : undefined)
  );
}

// The scanner's view of the disk: every file under a library's folders, with what `stat` says about it.
import { constants, type Dirent, type Stats } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';

export interface WalkedFile {
  /** The root as it was given. */
  root: string;
  /** Path under the root, always with `/`, through any followed link. */
  relPath: string;
  /** The root's real path joined with relPath. */
  absPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export type WalkSkipReason = 'outside-root' | 'already-walked';

export interface WalkOptions {
  /** A folder or file that could not be read (permissions, a broken link, a vanished file). The walk goes on. */
  onError?(path: string, error: NodeJS.ErrnoException): void;
  /** A link that was deliberately not followed, or a folder reached a second time. */
  onSkip?(path: string, reason: WalkSkipReason): void;
  /** Whether a file is wanted, by name; files refused here are never stat-ed. */
  include?(name: string): boolean;
  /** Folders read at once (default 4). */
  folderConcurrency?: number;
  /** Files of one folder stat-ed at once (default 32). */
  statBatch?: number;
}

// Folders that NAS systems, Windows and fsck leave in shares: never media, sometimes huge.
const JUNK = new Set([
  '@eadir',
  '@tmp',
  '@recycle',
  '@recently-snapshot',
  '#recycle',
  '#snapshot',
  '$recycle.bin',
  'system volume information',
  'lost+found',
  'thumbs.db',
  'desktop.ini',
]);

/** Whether the walk passes over a name: hidden (a leading dot) or known junk. */
export function isIgnoredName(name: string): boolean {
  // `...And Justice for All` is an album, not a hidden folder.
  return (name.startsWith('.') && !name.startsWith('...')) || JUNK.has(name.toLowerCase());
}

/** Whether `candidate` is `root` or lies below it; both must already be real paths. */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  return candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Opens a stored path only if, with every link resolved now, it lies inside one of the library's folders
 * as they were when the library was made (their real paths are stored): a file or folder swapped for a
 * link to elsewhere since the scan is not followed (S71). Null when it is not inside, or gone. Every read
 * of a library file on behalf of a request (a stream, a poster, an embedded cover) goes through here.
 */
export async function openInside(path: string, roots: string[]): Promise<FileHandle | null> {
  const real = await realpath(path).catch(() => null);
  if (real === null || !roots.some((root) => isInside(root, real))) return null;
  try {
    // The real path has no links left; O_NOFOLLOW refuses one swapped in since realpath looked.
    return await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
}

/**
 * Every file under `roots`, as the walk finds it (no order is promised). Hidden and junk names are
 * skipped. Links are followed only when their target lies inside the same root (S71); a folder is
 * walked once by device and inode, so link loops end, and links to folders are taken last so the
 * plain path of a folder wins over a linked one. Unreadable folders and files go to `onError` and the
 * walk goes on; an exception thrown by a callback ends the walk.
 */
export async function* walkLibrary(roots: string[], opts: WalkOptions = {}): AsyncGenerator<WalkedFile> {
  const visited = new Set<string>();
  for (const root of roots) yield* new RootWalk(root, opts, visited).run();
}

interface Folder {
  relPath: string;
  absPath: string;
  /** Device and inode, known in advance for a folder reached through a link. */
  key?: string;
}

const HIGH_WATER = 4096;
const keyOf = (stats: Stats): string => `${stats.dev}:${stats.ino}`;

class RootWalk {
  private rootReal = '';
  private readonly pending: Folder[] = [];
  private readonly linked: Folder[] = [];
  private output: WalkedFile[] = [];
  private running = 0;
  private closed = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private readonly folderConcurrency: number;
  private readonly statBatch: number;

  constructor(
    private readonly root: string,
    private readonly opts: WalkOptions,
    private readonly visited: Set<string>,
  ) {
    this.folderConcurrency = Math.max(1, opts.folderConcurrency ?? 4);
    this.statBatch = Math.max(1, opts.statBatch ?? 32);
  }

  async *run(): AsyncGenerator<WalkedFile> {
    try {
      this.rootReal = await realpath(this.root);
      const stats = await stat(this.rootReal);
      if (!stats.isDirectory()) {
        this.opts.onError?.(this.root, Object.assign(new Error(`not a folder: ${this.root}`), { code: 'ENOTDIR' }));
        return;
      }
      this.pending.push({ relPath: '', absPath: this.rootReal, key: keyOf(stats) });
    } catch (error) {
      this.opts.onError?.(this.root, error as NodeJS.ErrnoException);
      return;
    }
    try {
      for (;;) {
        if (this.failure !== null) throw this.failure;
        this.pump();
        if (this.output.length > 0) {
          const batch = this.output;
          this.output = [];
          yield* batch;
          continue;
        }
        if (this.running === 0 && this.pending.length === 0) {
          if (this.linked.length === 0) return;
          this.pending.push(...this.linked.splice(0));
          continue;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.closed = true;
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private pump(): void {
    while (
      !this.closed &&
      this.running < this.folderConcurrency &&
      this.pending.length > 0 &&
      this.output.length < HIGH_WATER
    ) {
      const folder = this.pending.pop() as Folder;
      this.running++;
      this.readFolder(folder)
        .catch((error: unknown) => (this.failure ??= error))
        .finally(() => {
          this.running--;
          this.notify();
        });
    }
  }

  private async readFolder(folder: Folder): Promise<void> {
    let entries: Dirent[];
    try {
      if (folder.key === undefined) {
        const [stats, listed] = await Promise.all([
          stat(folder.absPath),
          readdir(folder.absPath, { withFileTypes: true }),
        ]);
        if (!this.enter(folder, keyOf(stats))) return;
        entries = listed;
      } else {
        if (!this.enter(folder, folder.key)) return;
        entries = await readdir(folder.absPath, { withFileTypes: true });
      }
    } catch (error) {
      this.opts.onError?.(folder.absPath, error as NodeJS.ErrnoException);
      return;
    }
    if (this.closed) return;

    const files: Folder[] = [];
    const links: Folder[] = [];
    for (const entry of entries) {
      const name = entry.name;
      if (isIgnoredName(name)) continue;
      const child = {
        relPath: folder.relPath === '' ? name : `${folder.relPath}/${name}`,
        absPath: folder.absPath + sep + name,
      };
      if (entry.isDirectory()) this.pending.push(child);
      else if (entry.isFile()) {
        if (this.opts.include?.(name) ?? true) files.push(child);
      } else if (entry.isSymbolicLink()) links.push(child);
    }
    // Start on the subfolders while this folder's files are stat-ed.
    this.pump();

    for (let i = 0; i < files.length && !this.closed; i += this.statBatch) {
      const batch = files.slice(i, i + this.statBatch);
      const stats = await Promise.all(batch.map((file) => this.statOrReport(file.absPath)));
      for (let j = 0; j < batch.length; j++) {
        const s = stats[j];
        if (s !== null) this.output.push(this.fileFrom(batch[j], s));
      }
      this.notify();
    }
    for (const link of links) {
      if (this.closed) return;
      await this.followLink(link);
    }
  }

  /** Marks a folder as walked; false when it was already. */
  private enter(folder: Folder, key: string): boolean {
    if (this.visited.has(key)) {
      this.opts.onSkip?.(folder.absPath, 'already-walked');
      return false;
    }
    this.visited.add(key);
    return true;
  }

  private async followLink(link: Folder): Promise<void> {
    let target: string;
    let stats: Stats;
    try {
      target = await realpath(link.absPath);
      if (!isInside(this.rootReal, target)) {
        this.opts.onSkip?.(link.absPath, 'outside-root');
        return;
      }
      stats = await stat(target);
    } catch (error) {
      this.opts.onError?.(link.absPath, error as NodeJS.ErrnoException);
      return;
    }
    if (stats.isDirectory()) {
      this.linked.push({ ...link, key: keyOf(stats) });
    } else if (stats.isFile()) {
      const name = link.relPath.slice(link.relPath.lastIndexOf('/') + 1);
      if (this.opts.include?.(name) ?? true) {
        this.output.push(this.fileFrom(link, stats));
        this.notify();
      }
    }
  }

  private async statOrReport(absPath: string): Promise<Stats | null> {
    try {
      return await stat(absPath);
    } catch (error) {
      this.opts.onError?.(absPath, error as NodeJS.ErrnoException);
      return null;
    }
  }

  private fileFrom(file: Folder, stats: Stats): WalkedFile {
    return {
      root: this.root,
      relPath: file.relPath,
      absPath: file.absPath,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      dev: stats.dev,
    };
  }
}

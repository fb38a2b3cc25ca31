import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isIgnoredName,
  isInside,
  openInside,
  walkLibrary,
  type WalkedFile,
  type WalkOptions,
  type WalkSkipReason,
} from '../../src/media/walk.ts';

const WALK_MODULE = fileURLToPath(new URL('../../src/media/walk.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let base: string;
let root: string;
let outside: string;

function put(path: string, content = 'x'): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

interface Walked {
  files: Map<string, WalkedFile>;
  errors: [string, string | undefined][];
  skips: [string, WalkSkipReason][];
}

async function walk(roots: string[], opts: WalkOptions = {}): Promise<Walked> {
  const errors: Walked['errors'] = [];
  const skips: Walked['skips'] = [];
  const list: WalkedFile[] = [];
  const walking = walkLibrary(roots, {
    ...opts,
    onError: (path, error) => errors.push([path, error.code]),
    onSkip: (path, reason) => skips.push([path, reason]),
  });
  for await (const file of walking) list.push(file);
  const files = new Map(list.map((file) => [file.relPath, file]));
  // Each file comes once.
  expect(files.size).toBe(list.length);
  return { files, errors, skips };
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'hearth-walk-')));
  root = join(base, 'library');
  outside = join(base, 'private');
  put(join(outside, 'secret.mkv'), 'not for the library');
  put(join(outside, 'nested', 'deep.mkv'));

  put(join(root, 'Movie (2020)', 'Movie (2020).mkv'), 'twelve bytes');
  put(join(root, 'Movie (2020)', 'poster.jpg'));
  put(join(root, 'Show', 'Season 1', 'Show - S01E01.mkv'));
  put(join(root, 'Show', 'Season 1', 'Show - S01E02.mkv'));
  put(join(root, 'Show', 'Thumbs.db'));
  put(join(root, 'top.mp3'));
  put(join(root, '.dotfile.mkv'));
  put(join(root, '.hidden', 'in-hidden.mkv'));
  put(join(root, '@eaDir', 'top.mp3@SynoEAStream'));
  put(join(root, '#recycle', 'deleted.mkv'));
  put(join(root, 'Movie (2020)', '.AppleDouble', 'junk'));

  symlinkSync(outside, join(root, 'link-out'));
  symlinkSync(join(outside, 'secret.mkv'), join(root, 'secret-link.mkv'));
  symlinkSync('../../../private', join(root, 'Show', 'Season 1', 'relative-out'));
  symlinkSync('.', join(root, 'loop'));
  symlinkSync('../..', join(root, 'Show', 'Season 1', 'up'));
  symlinkSync('Show', join(root, 'show-again'));
  symlinkSync('.hidden', join(root, 'visible'));
  symlinkSync(join('Movie (2020)', 'Movie (2020).mkv'), join(root, 'film-link.mkv'));
  symlinkSync('nothing-here.mkv', join(root, 'broken.mkv'));
  symlinkSync('self', join(root, 'self'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('walkLibrary', () => {
  it('yields every visible file under the root with what stat says about it', async () => {
    const { files } = await walk([root]);
    expect([...files.keys()].sort()).toEqual([
      'Movie (2020)/Movie (2020).mkv',
      'Movie (2020)/poster.jpg',
      'Show/Season 1/Show - S01E01.mkv',
      'Show/Season 1/Show - S01E02.mkv',
      'film-link.mkv',
      'top.mp3',
      'visible/in-hidden.mkv',
    ]);
    const movie = files.get('Movie (2020)/Movie (2020).mkv');
    const stats = statSync(join(root, 'Movie (2020)', 'Movie (2020).mkv'));
    expect(movie).toEqual({
      root,
      relPath: 'Movie (2020)/Movie (2020).mkv',
      absPath: join(root, 'Movie (2020)', 'Movie (2020).mkv'),
      size: 12,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      dev: stats.dev,
    });
    // A link to a file inside the root is followed: the link's path, the target's stat.
    expect(files.get('film-link.mkv')).toMatchObject({
      absPath: join(root, 'film-link.mkv'),
      ino: stats.ino,
      size: 12,
    });
  });

  it('skips hidden files and folders and NAS or Windows junk', async () => {
    const { files } = await walk([root]);
    for (const path of files.keys()) {
      expect(path).not.toMatch(/(^|\/)\./);
      expect(path).not.toMatch(/@eaDir|#recycle|Thumbs\.db|AppleDouble/);
    }
    expect(isIgnoredName('.DS_Store')).toBe(true);
    expect(isIgnoredName('@eaDir')).toBe(true);
    expect(isIgnoredName('$RECYCLE.BIN')).toBe(true);
    expect(isIgnoredName('System Volume Information')).toBe(true);
    expect(isIgnoredName('desktop.ini')).toBe(true);
    expect(isIgnoredName('Movie (2020)')).toBe(false);
    // An ellipsis starts titles, not hidden names.
    expect(isIgnoredName('...And Justice for All')).toBe(false);
    expect(isIgnoredName('._Movie.mkv')).toBe(true);
  });

  it('S71: a symlink leading out of a library is not followed', async () => {
    const { files, skips } = await walk([root]);
    for (const file of files.values()) {
      expect(realpathSync(file.absPath).startsWith(root + '/')).toBe(true);
      expect(file.relPath).not.toMatch(/secret|deep|link-out|relative-out/);
    }
    expect(skips).toEqual(
      expect.arrayContaining([
        [join(root, 'link-out'), 'outside-root'],
        [join(root, 'secret-link.mkv'), 'outside-root'],
        [join(root, 'Show', 'Season 1', 'relative-out'), 'outside-root'],
      ]),
    );
    expect(skips.filter(([, reason]) => reason === 'outside-root')).toHaveLength(3);
  });

  it('S71: a library folder that is itself a link is walked at its real place, and links are judged against that', async () => {
    const alias = join(base, 'alias');
    symlinkSync(root, alias);
    try {
      const { files, skips } = await walk([alias]);
      expect(files.get('top.mp3')).toMatchObject({ root: alias, absPath: join(root, 'top.mp3') });
      expect(skips.filter(([, reason]) => reason === 'outside-root')).toHaveLength(3);
    } finally {
      rmSync(alias);
    }
  });

  it('ends on link loops and walks every folder once', async () => {
    const { files, skips } = await walk([root]);
    expect(files.size).toBe(7);
    expect(skips).toEqual(
      expect.arrayContaining([
        [join(root, 'loop'), 'already-walked'],
        [join(root, 'Show', 'Season 1', 'up'), 'already-walked'],
        // The plain path wins over a link to the same folder, whatever order the disk lists them in.
        [join(root, 'show-again'), 'already-walked'],
      ]),
    );
    expect([...files.keys()].some((path) => path.startsWith('show-again/') || path.startsWith('loop/'))).toBe(false);
  });

  it('reports broken and self-referencing links and goes on', async () => {
    const { files, errors } = await walk([root]);
    expect(errors).toEqual(
      expect.arrayContaining([
        [join(root, 'broken.mkv'), 'ENOENT'],
        [join(root, 'self'), 'ELOOP'],
      ]),
    );
    expect(errors).toHaveLength(2);
    expect(files.size).toBe(7);
  });

  it('reports a root that is missing or not a folder, and walks the other roots', async () => {
    const missing = join(base, 'missing');
    const file = join(root, 'top.mp3');
    const { files, errors } = await walk([missing, file, join(root, 'Show')]);
    expect(errors).toEqual([
      [missing, 'ENOENT'],
      [file, 'ENOTDIR'],
    ]);
    expect([...files.keys()].sort()).toEqual(['Season 1/Show - S01E01.mkv', 'Season 1/Show - S01E02.mkv']);
  });

  it('walks a folder shared by two roots once', async () => {
    const show = join(root, 'Show');
    const { files, skips } = await walk([show, root]);
    expect(files.get('Season 1/Show - S01E01.mkv')?.root).toBe(show);
    expect([...files.values()].filter((f) => f.relPath.endsWith('S01E01.mkv'))).toHaveLength(1);
    expect(skips).toContainEqual([show, 'already-walked']);
  });

  it('stats only the files include() wants', async () => {
    const asked: string[] = [];
    const { files } = await walk([root], {
      include: (name) => {
        asked.push(name);
        return name.endsWith('.mkv');
      },
    });
    expect([...files.keys()].every((path) => path.endsWith('.mkv'))).toBe(true);
    expect(files.size).toBe(5);
    expect(asked).toContain('poster.jpg');
  });

  it('handles wide folders in batches, and stops cleanly when the consumer stops early', async () => {
    const wide = join(base, 'wide');
    for (let i = 0; i < 500; i++) put(join(wide, `d${i % 7}`, `f${i}.mkv`), 'y'.repeat(i));
    const { files } = await walk([wide], { statBatch: 16, folderConcurrency: 3 });
    expect(files.size).toBe(500);
    expect(files.get('d3/f10.mkv')?.size).toBe(10);

    let seen = 0;
    for await (const _ of walkLibrary([wide])) if (++seen === 20) break;
    expect(seen).toBe(20);
  });

  it('ends the walk with the error a callback throws', async () => {
    const failing = walkLibrary([root], {
      onError: () => {
        throw new Error('stop');
      },
    });
    await expect(
      (async () => {
        for await (const _ of failing);
      })(),
    ).rejects.toThrow('stop');
  });

  const runningAsRoot = process.getuid?.() === 0;

  it('reports an unreadable folder and keeps going', async (ctx) => {
    const tree = join(base, 'perm');
    put(join(tree, 'readable', 'ok.mkv'));
    put(join(tree, 'locked', 'hidden-from-us.mkv'));
    chmodSync(join(tree, 'locked'), 0o000);
    try {
      let result: { files: string[]; errors: [string, string | undefined][] };
      if (!runningAsRoot) {
        const walked = await walk([tree]);
        result = { files: [...walked.files.keys()], errors: walked.errors };
      } else {
        // Root reads every folder, so the walk runs in a child process as nobody.
        for (const dir of [base, tree]) chmodSync(dir, 0o755);
        const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(WALK_MODULE)})`], {
          uid: 65534,
          gid: 65534,
        });
        if (probe.status !== 0) {
          const reason = 'running as root, and user nobody cannot read the repository to walk as someone else';
          console.warn(`skipped: ${reason}`);
          ctx.skip(reason);
        }
        const script = `import(${JSON.stringify(WALK_MODULE)}).then(async ({ walkLibrary }) => {
          const files = [], errors = [];
          for await (const f of walkLibrary([${JSON.stringify(tree)}], { onError: (p, e) => errors.push([p, e.code]) })) files.push(f.relPath);
          process.stdout.write(JSON.stringify({ files, errors }));
        })`;
        const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
          cwd: REPO,
          uid: 65534,
          gid: 65534,
          encoding: 'utf8',
          timeout: 20_000,
        });
        expect(child.status, child.stderr).toBe(0);
        result = JSON.parse(child.stdout);
      }
      expect(result.files).toEqual(['readable/ok.mkv']);
      expect(result.errors).toEqual([[join(tree, 'locked'), 'EACCES']]);
    } finally {
      chmodSync(join(tree, 'locked'), 0o755);
    }
  });
});

describe('openInside and isInside', () => {
  /** What the handle reads, or null when nothing was opened. */
  async function readInside(roots: string[], path: string): Promise<string | null> {
    const handle = await openInside(path, roots);
    if (handle === null) return null;
    try {
      return (await handle.readFile()).toString();
    } finally {
      await handle.close();
    }
  }

  it('S71: opens a path only when it stays inside a root', async () => {
    expect(await readInside([root], join(root, 'Movie (2020)', 'Movie (2020).mkv'))).toBe('twelve bytes');
    expect(await readInside([root], join(root, 'film-link.mkv'))).toBe('twelve bytes');
    expect(await readInside([root], join(root, 'secret-link.mkv'))).toBeNull();
    expect(await readInside([root], join(root, 'link-out', 'secret.mkv'))).toBeNull();
    expect(await readInside([root], join(root, '..', 'private', 'secret.mkv'))).toBeNull();
    expect(await readInside([root], join(root, 'broken.mkv'))).toBeNull();
    expect(await readInside([join(base, 'gone'), outside], join(root, 'secret-link.mkv'))).toBe('not for the library');
  });

  it('S71: a root is taken as stored: a library folder that is now a link to elsewhere holds nothing', async () => {
    const swapped = join(base, 'swapped-root');
    symlinkSync(outside, swapped);
    try {
      expect(await readInside([swapped], join(swapped, 'secret.mkv'))).toBeNull();
      expect(await readInside([outside], join(swapped, 'secret.mkv'))).toBe('not for the library');
    } finally {
      rmSync(swapped);
    }
  });

  it('does not take a sibling with a common prefix for a child', () => {
    expect(isInside('/media/movies', '/media/movies')).toBe(true);
    expect(isInside('/media/movies', '/media/movies/a.mkv')).toBe(true);
    expect(isInside('/media/movies', '/media/movies-private/a.mkv')).toBe(false);
    expect(isInside('/', '/etc/passwd')).toBe(true);
  });
});

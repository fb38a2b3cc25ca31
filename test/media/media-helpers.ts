// Fixture trees for the media tests: real tiny clips and tagged tracks made with ffmpeg (when it is
// installed), empty files with realistic names, and a server with an admin and a member.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { haveProgram } from '../helpers/services.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.ts';

export const PASSWORD = 'velvet thunder orchard mosaic';

/** Whether ffmpeg and ffprobe are here; prints why not (and fails under CI=true). */
export function haveFfmpeg(): boolean {
  return haveProgram('ffmpeg') && haveProgram('ffprobe');
}

export function tempDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function put(path: string, content: string | Buffer = ''): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });
}

/** A 2-second H.264/AAC MP4 (160x120, yuv420p). */
export function makeClip(path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=duration=2:size=160x120:rate=10',
    '-f',
    'lavfi',
    '-i',
    'sine=duration=2',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    path,
  ]);
  return path;
}

export interface TrackTags {
  title?: string;
  artist?: string;
  album_artist?: string;
  album?: string;
  track?: string;
  disc?: string;
  date?: string;
}

/** A one-second MP3 with ID3 tags, and a small front cover when `cover` is set. */
export function makeTrack(path: string, tags: TrackTags, cover = false): string {
  mkdirSync(dirname(path), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  if (!cover) {
    ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libmp3lame', '-id3v2_version', '3', ...meta, path]);
    return path;
  }
  const image = `${path}.cover.jpg`;
  ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=32x32', '-frames:v', '1', image]);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=duration=1',
    '-i',
    image,
    '-map',
    '0:a',
    '-map',
    '1:v',
    '-c:a',
    'libmp3lame',
    '-c:v',
    'copy',
    '-id3v2_version',
    '3',
    '-metadata:s:v',
    'title=Album cover',
    '-metadata:s:v',
    'comment=Cover (front)',
    '-disposition:v',
    'attached_pic',
    ...meta,
    path,
  ]);
  return path;
}

export function copy(from: string, to: string): string {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  return to;
}

export interface MediaServer {
  s: TestServer;
  admin: string;
  member: { id: string; token: string };
}

export async function mediaServer(options: TestServerOptions = {}): Promise<MediaServer> {
  const s = await startTestServer({ jobs: { pollMs: 20, leaseMs: 2000 }, ...options });
  await s.createUser({ username: 'olive', password: PASSWORD, role: 'owner' });
  const member = await s.createUser({ username: 'milo', password: PASSWORD, role: 'member' });
  const admin = await s.login('olive', PASSWORD);
  const memberToken = await s.login('milo', PASSWORD);
  return { s, admin, member: { id: member.id, token: memberToken } };
}

export async function createLibrary(
  s: TestServer,
  token: string,
  name: string,
  kind: string,
  paths: string[],
): Promise<string> {
  const res = await s.request('POST', '/api/v1/libraries', { token, body: { name, kind, paths } });
  if (res.status !== 201) throw new Error(`library not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Queues a scan through the API and waits for its job to end; returns the job view. */
export async function scan(
  s: TestServer,
  token: string,
  libraryId: string,
  body: { probe?: boolean } = {},
): Promise<any> {
  const queued = await s.request('POST', `/api/v1/libraries/${libraryId}/scan`, { token, body });
  if (queued.status !== 202) throw new Error(`scan not queued: ${queued.status} ${JSON.stringify(queued.body)}`);
  const started = Date.now();
  for (;;) {
    const res = await s.request('GET', `/api/v1/libraries/${libraryId}/scan/${queued.body.job_id}`, { token });
    const job = res.body.job;
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
      if (job.state !== 'done') throw new Error(`scan ${job.state}: ${job.error}`);
      return job;
    }
    if (Date.now() - started > 60_000) throw new Error('scan did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every item of a library, flattened: title → item, for looking things up in tests. */
export async function allItems(s: TestServer, token: string, libraryId: string, type?: string): Promise<any[]> {
  const items: any[] = [];
  for (let offset = 0; ; offset += 500) {
    const query = `limit=500&offset=${offset}${type ? `&type=${type}` : ''}`;
    const res = await s.request('GET', `/api/v1/libraries/${libraryId}/items?${query}`, { token });
    if (res.status !== 200) throw new Error(`items: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    if (res.body.items.length < 500) return items;
  }
}

// HLS on demand: a VOD playlist over the whole duration in fixed 4-second segments, made by one ffmpeg
// per playback as they are asked for. A request far from where the encoder is restarts it at that
// segment; key frames are forced on every 4-second mark, so a restarted encoder cuts the same segments
// with the same numbers. Encoders take a slot of the pool, run under `nice`, stop when nobody asked for
// a segment for 60 s (by the injected clock), and stop at once when their session is revoked (S73).
import type { ChildProcess } from 'node:child_process';
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { inputArgs, spawnFfmpeg } from '../media/ffmpeg.ts';
import { EncoderPool, busyError, type EncoderSlot } from './pool.ts';

export const SEGMENT_SECONDS = 4;
/** An encoder nobody asked a segment of for this long is stopped. */
export const IDLE_STOP_MS = 60_000;
/** Where segment 0 starts on the MPEG-TS clock. */
const TS_BASE_SECONDS = 10;
/** A request more than this many segments beyond the encoder's position restarts it there. */
const FAR_SEGMENTS = 3;
/** An encoder this many segments ahead of the last request is paused until the player catches up. */
const PAUSE_AHEAD_SEGMENTS = 45;
const RESUME_AHEAD_SEGMENTS = 20;
/** A playback nobody touched for this long is forgotten with its segments. */
const FORGET_MS = 6 * 3600_000;
const SEGMENT_WAIT_MS = 120_000;

export type EncodeMode = 'remux' | 'transcode';

/** Everything an encoder is started with: enums and numbers only, and the path from the store (S74). */
export interface EncodeSpec {
  mode: EncodeMode;
  videoIndex: number;
  audioIndex: number | null;
  /** Keep the audio as it is (AAC or MP3 stereo the client plays); otherwise AAC stereo. */
  audioCopy: boolean;
  /** Output height cap (transcode only). */
  height: number | null;
  /** Video bit rate cap in kbit/s (transcode only). */
  videoKbps: number | null;
  /** PQ/HLG source: tone-mapped to SDR when this ffmpeg has zscale and tonemap. */
  toneMap: boolean;
  /** An image subtitle stream index to burn into the picture (transcode only). */
  burnSubtitleIndex: number | null;
}

function int(value: number, min: number, max: number): string {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`encoder argument out of range: ${value}`);
  return String(value);
}

const TONE_MAP =
  'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv';

/** The encoder's arguments (after `ffmpeg -nostdin -hide_banner`). Exported for the benchmark and the S74 test. */
export function encoderArgs(path: string, spec: EncodeSpec, startSegment: number, dir: string): string[] {
  const start = int(startSegment, 0, 10_000_000);
  const startSeconds = startSegment * SEGMENT_SECONDS;
  const args = ['-v', 'error', '-progress', 'pipe:1', '-nostats', '-stats_period', '1'];
  if (startSeconds > 0) args.push('-ss', String(startSeconds));
  args.push(...inputArgs(path));
  const video = `0:${int(spec.videoIndex, 0, 10_000)}`;
  if (spec.mode === 'remux') {
    args.push('-map', video, '-c:v', 'copy');
  } else {
    const filters: string[] = [];
    if (spec.toneMap) filters.push(TONE_MAP);
    // libx264's 4:2:0 needs even sizes: a capped height keeps the ratio, an uncapped one is evened.
    filters.push(spec.height !== null ? `scale=-2:${int(spec.height, 16, 8640)}` : 'scale=trunc(iw/2)*2:trunc(ih/2)*2');
    filters.push('format=yuv420p');
    if (spec.burnSubtitleIndex !== null) {
      const sub = `0:${int(spec.burnSubtitleIndex, 0, 10_000)}`;
      args.push('-filter_complex', `[${video}][${sub}]overlay,${filters.join(',')}[v]`, '-map', '[v]');
    } else {
      args.push('-map', video, '-vf', filters.join(','));
    }
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-profile:v', 'high');
    if (spec.videoKbps !== null) {
      const kbps = int(spec.videoKbps, 100, 1_000_000);
      args.push('-maxrate', `${kbps}k`, '-bufsize', `${int(spec.videoKbps * 2, 200, 2_000_000)}k`);
    }
    args.push('-force_key_frames', `expr:gte(t,n_forced*${SEGMENT_SECONDS})`);
  }
  if (spec.audioIndex !== null) {
    args.push('-map', `0:${int(spec.audioIndex, 0, 10_000)}`);
    if (spec.audioCopy) args.push('-c:a', 'copy');
    // Surround is downmixed to stereo: browsers play two channels everywhere.
    else args.push('-c:a', 'aac', '-ac', '2', '-b:a', '160k');
  }
  args.push('-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1');
  // Every run, the first included, is shifted by a constant: the encoder's delay never makes a timestamp
  // negative, so no run gets shifted on its own and a restarted run's segments line up with the first's.
  args.push('-output_ts_offset', String(startSeconds + TS_BASE_SECONDS));
  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(SEGMENT_SECONDS),
    '-hls_list_size',
    '0',
    '-hls_segment_type',
    'mpegts',
    '-start_number',
    start,
    '-hls_flags',
    'temp_file',
    '-hls_segment_filename',
    join(dir, '%d.ts'),
    join(dir, `encoder-${start}.m3u8`),
  );
  return args;
}

/**
 * Segments in a file of this duration. A tail shorter than a quarter second (audio outlasting the last
 * picture) has no key frame to start a segment of its own: the encoder writes it into the last one.
 */
export function segmentCount(durationSeconds: number): number {
  return Math.max(1, Math.ceil((durationSeconds - 0.25) / SEGMENT_SECONDS));
}

/** The VOD playlist: every segment of the whole duration, each URL carrying `query` (the URL token). */
export function vodPlaylist(durationSeconds: number, segmentUrl: (n: number) => string): string {
  const count = segmentCount(durationSeconds);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${SEGMENT_SECONDS}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  for (let n = 0; n < count; n++) {
    const length = n === count - 1 ? durationSeconds - n * SEGMENT_SECONDS : SEGMENT_SECONDS;
    lines.push(`#EXTINF:${Math.max(0.001, length).toFixed(3)},`, segmentUrl(n));
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

interface Encoder {
  child: ChildProcess;
  startSegment: number;
  /** Seconds encoded since startSegment, from ffmpeg's progress. */
  encodedSeconds: number;
  speed: number | null;
  stderr: string;
  exit: { code: number | null; signal: string | null } | null;
  paused: boolean;
  stopping: boolean;
}

export interface PlayInfo {
  itemId: string;
  title: string;
  userId: string;
  username: string;
  /** The session that asked (a revocation of it stops this playback). */
  sessionId: string;
  path: string;
  durationSeconds: number;
  method: EncodeMode;
  reason: string;
  spec: EncodeSpec;
  /** The URL token segment URLs carry. */
  token: string;
}

export class PlaySession {
  encoder: Encoder | null = null;
  slot: EncoderSlot | null = null;
  lastRequestedSegment = 0;
  /** Counts segment requests: the newest one decides where the encoder goes. */
  requestSeq = 0;
  lastAccess: number;
  readonly startedAt: number;
  ended = false;
  constructor(
    readonly id: string,
    readonly info: PlayInfo,
    readonly dir: string,
    now: number,
  ) {
    this.lastAccess = now;
    this.startedAt = now;
  }

  get segmentCount(): number {
    return segmentCount(this.info.durationSeconds);
  }

  /** The segment the encoder is writing now, or null with no encoder running. */
  get encoderSegment(): number | null {
    const e = this.encoder;
    if (!e || e.exit) return null;
    return e.startSegment + Math.floor(e.encodedSeconds / SEGMENT_SECONDS);
  }
}

export interface PlaybackView {
  id: string;
  user_id: string;
  username: string;
  item_id: string;
  title: string;
  method: EncodeMode;
  reason: string;
  encoding: boolean;
  speed: number | null;
  position_seconds: number;
  started_at: string;
  last_request_at: string;
}

export class PlaybackService {
  readonly pool: EncoderPool;
  readonly cacheDir: string;
  private sessions = new Map<string, PlaySession>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private cacheBytes = 0;

  constructor(private readonly deps: Deps) {
    this.pool = new EncoderPool(deps.config.transcodeMax);
    this.cacheDir = join(deps.config.dataDir, 'transcode');
  }

  /** Empties the segment cache, follows revocations, and starts the once-a-second sweep. */
  async start(): Promise<void> {
    await rm(this.cacheDir, { recursive: true, force: true });
    await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    this.unsubscribe = this.deps.events.subscribe('revoked', (event) => {
      for (const session of [...this.sessions.values()]) {
        if (
          session.info.userId === event.userId &&
          (event.allOfUser === true || event.sessionIds.includes(session.info.sessionId))
        ) {
          this.deps.log.info(
            { play: session.id, user: session.info.userId },
            'playback stopped: its session was revoked',
          );
          void this.end(session);
        }
      }
    });
    this.timer = setInterval(
      () => void this.sweep().catch((err: unknown) => this.deps.log.warn({ err }, 'playback sweep failed')),
      1000,
    );
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.all([...this.sessions.values()].map((s) => this.end(s)));
  }

  get(id: string): PlaySession | undefined {
    return this.sessions.get(id);
  }

  list(): PlaySession[] {
    return [...this.sessions.values()];
  }

  /**
   * A new playback with its encoder started at `startSegment`. The same session replaying the same item
   * (another audio track, quality or subtitle) ends its earlier playback first, freeing its slot.
   */
  async open(info: PlayInfo, startSegment: number): Promise<PlaySession> {
    for (const other of this.sessions.values()) {
      if (other.info.sessionId === info.sessionId && other.info.itemId === info.itemId) await this.end(other);
    }
    const slot = this.pool.acquire(`${info.username}: ${info.title}`);
    const id = this.deps.random(12).toString('base64url');
    const dir = join(this.cacheDir, id);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      slot.release();
      throw err;
    }
    const session = new PlaySession(id, info, dir, this.deps.clock().getTime());
    session.slot = slot;
    this.sessions.set(id, session);
    this.startEncoder(session, Math.min(startSegment, session.segmentCount - 1));
    return session;
  }

  /** Stops a playback and forgets it (revocation, an admin's stop, a replaced playback). */
  async end(session: PlaySession): Promise<void> {
    session.ended = true;
    this.sessions.delete(session.id);
    this.stopEncoder(session);
    await rm(session.dir, { recursive: true, force: true }).catch(() => {});
  }

  private startEncoder(session: PlaySession, startSegment: number): void {
    // A request still waiting when its playback ended (revoked, stopped) starts nothing.
    if (session.ended) throw new AppError('not_found');
    this.stopEncoder(session, true);
    if (session.slot === null) {
      session.slot = this.pool.tryAcquire(`${session.info.username}: ${session.info.title}`);
      if (session.slot === null) throw busyError();
    }
    const args = encoderArgs(session.info.path, session.info.spec, startSegment, session.dir);
    const child = spawnFfmpeg(args);
    const encoder: Encoder = {
      child,
      startSegment,
      encodedSeconds: 0,
      speed: null,
      stderr: '',
      exit: null,
      paused: false,
      stopping: false,
    };
    session.encoder = encoder;
    let progress = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      progress = (progress + chunk).slice(-4096);
      const lines = progress.split('\n');
      progress = lines.pop() ?? '';
      for (const line of lines) {
        const [key, value] = line.split('=', 2) as [string, string | undefined];
        if (key === 'out_time_us' && value !== undefined && /^\d+$/.test(value))
          encoder.encodedSeconds = Number(value) / 1e6;
        else if (key === 'speed' && value !== undefined) {
          const speed = Number.parseFloat(value);
          encoder.speed = Number.isFinite(speed) ? speed : null;
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      encoder.stderr = (encoder.stderr + chunk).slice(-8192);
    });
    child.on('error', (err) => {
      encoder.stderr += `\n${err.message}`;
    });
    child.on('exit', (code, signal) => {
      encoder.exit = { code, signal };
      if (!encoder.stopping && code !== 0) {
        // ffmpeg's own words go to the log; the player gets transcode_failed.
        this.deps.log.error(
          { play: session.id, item: session.info.itemId, code, signal, ffmpeg: encoder.stderr.trim().slice(-4000) },
          'encoder failed',
        );
      }
      if (session.encoder === encoder && code === 0) this.releaseSlot(session);
    });
  }

  private releaseSlot(session: PlaySession): void {
    session.slot?.release();
    session.slot = null;
  }

  private stopEncoder(session: PlaySession, keepSlot = false): void {
    const encoder = session.encoder;
    if (encoder && !encoder.exit) {
      encoder.stopping = true;
      // A paused process only dies of SIGKILL; SIGKILL also ends it at once (S73: gone within 2 s).
      encoder.child.kill('SIGKILL');
    }
    session.encoder = null;
    if (!keepSlot) this.releaseSlot(session);
  }

  /** The running encoder's process id (tests look for it among the processes). */
  encoderPid(session: PlaySession): number | null {
    const e = session.encoder;
    return e && !e.exit ? (e.child.pid ?? null) : null;
  }

  /** The path of segment `n` once it is written: started or restarted here when it is far from the encoder. */
  async segment(session: PlaySession, n: number, signal?: AbortSignal): Promise<string> {
    if (!Number.isInteger(n) || n < 0 || n >= session.segmentCount) throw new AppError('not_found');
    session.lastAccess = this.deps.clock().getTime();
    session.lastRequestedSegment = n;
    const turn = ++session.requestSeq;
    const file = join(session.dir, `${n}.ts`);
    const waitedSince = Date.now();
    let restarted = false;
    for (;;) {
      if (session.ended) throw new AppError('not_found');
      if (await exists(file)) {
        this.resumeIfNeeded(session);
        return file;
      }
      const e = session.encoder;
      // Where the encoder is: by its progress report (once a second) or by the segments it has written since,
      // whichever is further, so a fast encoder is not restarted for a report that lags behind it.
      const written = e ? await highestWritten(session.dir, e.startSegment) : -1;
      const reach = e
        ? Math.max(e.startSegment + Math.floor(e.encodedSeconds / SEGMENT_SECONDS), written + 1) + FAR_SEGMENTS
        : -1;
      const covers = e !== null && n >= e.startSegment && n <= reach;
      if (e?.exit && covers && !e.stopping) {
        // An encoder that failed on this stretch is not restarted in a loop: the player gets a clear error.
        if (e.exit.code !== 0) throw new AppError('transcode_failed');
        // It finished without writing this one (the file is shorter than its stated duration).
        if (restarted) throw new AppError('not_found');
      }
      if (!covers || e?.exit) {
        // A player asks for one segment at a time: a request overtaken by a newer one (the viewer seeked,
        // the player gave up on it) does not move the encoder back, or two requests would restart it in turn.
        if (signal?.aborted || session.requestSeq !== turn)
          throw new AppError('conflict', 'A newer segment request of this playback took the encoder.');
        this.startEncoder(session, n);
        restarted = true;
      }
      this.resumeIfNeeded(session);
      if (Date.now() - waitedSince > SEGMENT_WAIT_MS)
        throw new AppError('transcode_failed', 'The encoder is too slow for this file on this server.');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private resumeIfNeeded(session: PlaySession): void {
    const e = session.encoder;
    const at = session.encoderSegment;
    if (!e || at === null) return;
    if (e.paused && at - session.lastRequestedSegment < RESUME_AHEAD_SEGMENTS) {
      e.child.kill('SIGCONT');
      e.paused = false;
    }
  }

  /** Once a second: idle encoders stopped, far-ahead ones paused, old playbacks forgotten, the cache kept under its cap. */
  async sweep(): Promise<void> {
    const now = this.deps.clock().getTime();
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastAccess >= FORGET_MS) {
        await this.end(session);
        continue;
      }
      const e = session.encoder;
      if (e && !e.exit && now - session.lastAccess >= IDLE_STOP_MS) {
        this.deps.log.info({ play: session.id }, 'encoder stopped: no segment asked for 60 s');
        this.stopEncoder(session);
        continue;
      }
      const at = session.encoderSegment;
      if (e && at !== null && !e.paused && at - session.lastRequestedSegment > PAUSE_AHEAD_SEGMENTS) {
        e.child.kill('SIGSTOP');
        e.paused = true;
      } else this.resumeIfNeeded(session);
    }
    await this.trimCache();
  }

  /** Deletes the oldest segments until the cache is under HEARTH_TRANSCODE_CACHE_MB. */
  async trimCache(): Promise<void> {
    const cap = this.deps.config.transcodeCacheMb * 1024 * 1024;
    const files: { path: string; size: number; mtime: number }[] = [];
    let total = 0;
    for (const session of this.sessions.values()) {
      const names = await readdir(session.dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.ts')) continue;
        const info = await stat(join(session.dir, name)).catch(() => null);
        if (!info) continue;
        files.push({ path: join(session.dir, name), size: info.size, mtime: info.mtimeMs });
        total += info.size;
      }
    }
    this.cacheBytes = total;
    if (total <= cap) return;
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= cap * 0.9) break;
      await unlink(f.path).catch(() => {});
      total -= f.size;
    }
    this.cacheBytes = total;
  }

  get cacheSize(): number {
    return this.cacheBytes;
  }

  view(session: PlaySession): PlaybackView {
    const e = session.encoder;
    return {
      id: session.id,
      user_id: session.info.userId,
      username: session.info.username,
      item_id: session.info.itemId,
      title: session.info.title,
      method: session.info.method,
      reason: session.info.reason,
      encoding: e !== null && e.exit === null,
      speed: e && e.exit === null ? e.speed : null,
      position_seconds: session.lastRequestedSegment * SEGMENT_SECONDS,
      started_at: new Date(session.startedAt).toISOString(),
      last_request_at: new Date(session.lastAccess).toISOString(),
    };
  }
}

/**
 * The last of the segments written in `dir` without a gap from `from` (segments a previous run left further on
 * do not count), or from - 1.
 */
async function highestWritten(dir: string, from: number): Promise<number> {
  const numbers = new Set<number>();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const match = /^(\d+)\.ts$/.exec(name);
    if (match) numbers.add(Number(match[1]));
  }
  let highest = from - 1;
  while (numbers.has(highest + 1)) highest++;
  return highest;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const services = new WeakMap<Deps, PlaybackService>();

/** This server's playback service (made on first use; `startPlayback` starts its sweep). */
export function playbackOf(deps: Deps): PlaybackService {
  let service = services.get(deps);
  if (!service) {
    service = new PlaybackService(deps);
    services.set(deps, service);
  }
  return service;
}

/** Starts the playback service with the server: emptied cache, revocations followed, sweep running. */
export async function startPlayback(deps: Deps): Promise<() => Promise<void>> {
  const service = playbackOf(deps);
  await service.start();
  return () => service.close();
}

/** A slot of the encoder pool for another door's encoder (the Subsonic door's audio transcodes). */
export function acquireEncoderSlot(deps: Deps, label: string): EncoderSlot {
  return playbackOf(deps).pool.acquire(label);
}

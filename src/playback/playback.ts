// Playback for one caller and one item: the decision, the URLs that work without headers (item-bound
// URL tokens, S72/S73), the HLS playback behind remux and transcode, and the subtitles as WebVTT.
// Every door calls these: the web API's routes, the Jellyfin door's PlaybackInfo.
import { realpath } from 'node:fs/promises';
import { issueStreamToken } from '../accounts/stream-tokens.ts';
import type { Caller } from '../accounts/caller.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { streamTarget } from '../media/browse.ts';
import { libraryPaths } from '../media/libraries.ts';
import { isInside } from '../media/walk.ts';
import { findUserById } from '../store/users.repository.ts';
import { decide, type AudioChoice, type ClientCapabilities, type SubtitleChoice } from './decision.ts';
import { SEGMENT_SECONDS, playbackOf, vodPlaylist, type PlaySession } from './hls.ts';
import { probeStreams } from './streams.ts';
import { embeddedAsVtt, findSidecars, sidecarAsVtt } from './subtitles.ts';

export interface PlaybackAnswer {
  method: 'direct' | 'remux' | 'transcode';
  /** Works without headers: the file (direct) or the HLS playlist (remux, transcode). */
  url: string;
  reason: string;
  audio: (AudioChoice & { selected: boolean })[];
  subtitles: (SubtitleChoice & { url: string | null; burned_in: boolean })[];
  duration_seconds: number;
  start_seconds: number;
  /** The HLS playback's id (remux, transcode), for DELETE and the admin's list. */
  play_id: string | null;
}

/** Who plays: the parts of a caller that playback reads (a session's or a stream URL token's holder). */
export type PlaybackCaller = Pick<Caller, 'userId' | 'role' | 'sessionId'> & Partial<Pick<Caller, 'username'>>;

function viewerOf(caller: PlaybackCaller): Pick<Caller, 'userId' | 'role'> {
  return { userId: caller.userId, role: caller.role };
}

const itemPath = (itemId: string) => `/api/v1/items/${encodeURIComponent(itemId)}`;

/** The HLS playlist URL of a playback (for the Jellyfin door's TranscodingUrl). */
export function hlsUrlFor(deps: Pick<Deps, 'config'>, itemId: string, playId: string, token: string): string {
  const url = new URL(`${itemPath(itemId)}/hls/${playId}/index.m3u8`, deps.config.publicUrl);
  url.searchParams.set('st', token);
  return url.toString();
}

/** A subtitle's WebVTT URL. */
export function subtitleUrlFor(deps: Pick<Deps, 'config'>, itemId: string, subtitleId: string, token: string): string {
  const url = new URL(`${itemPath(itemId)}/subtitles/${subtitleId}.vtt`, deps.config.publicUrl);
  url.searchParams.set('st', token);
  return url.toString();
}

/** The file's real path when it still lies inside its library (S71), else 404. */
async function pathInside(path: string, roots: string[]): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real === null || !roots.some((root) => isInside(root, real))) throw new AppError('not_found');
  return real;
}

/**
 * Decides how `caller` plays `itemId` on a client with `caps`, and starts the encoder when it is a remux
 * or transcode (`503 transcode_busy` when the pool is full). Ungranted items are 404 like missing ones.
 */
export async function decidePlayback(
  deps: Deps,
  caller: PlaybackCaller,
  itemId: string,
  caps: ClientCapabilities,
): Promise<PlaybackAnswer> {
  const { item, library, path: stored } = await streamTarget(deps, viewerOf(caller), itemId);
  const path = await pathInside(stored, libraryPaths(library));
  const streams = await probeStreams(path).catch((err: unknown) => {
    deps.log.warn({ err, item: item.id }, 'could not read the file to decide its playback');
    throw new AppError('transcode_failed', 'This file could not be read.');
  });
  const sidecars = await findSidecars(path);
  const decision = await decide(streams, sidecars, caps);
  const now = deps.clock();
  const { token } = issueStreamToken(deps, caller, item.id, now);
  const duration = streams.durationSeconds || item.duration_seconds || 0;
  const start = Math.max(0, Math.min(caps.startSeconds ?? 0, Math.max(0, duration - 1)));
  let url: string;
  let playId: string | null = null;
  if (decision.method === 'direct' || decision.spec === null) {
    const direct = new URL(`${itemPath(item.id)}/stream`, deps.config.publicUrl);
    direct.searchParams.set('st', token);
    url = direct.toString();
  } else {
    const username = caller.username ?? (await findUserById(deps.db, caller.userId))?.username ?? caller.userId;
    const session = await playbackOf(deps).open(
      {
        itemId: item.id,
        title: item.title,
        userId: caller.userId,
        username,
        sessionId: caller.sessionId,
        path,
        durationSeconds: duration,
        method: decision.method,
        reason: decision.reason,
        spec: decision.spec,
        token,
      },
      Math.floor(start / SEGMENT_SECONDS),
    );
    playId = session.id;
    url = hlsUrlFor(deps, item.id, session.id, token);
  }
  const burned = decision.spec?.burnSubtitleIndex ?? null;
  return {
    method: decision.method,
    url,
    reason: decision.reason,
    audio: decision.audio.map((a) => ({ ...a, selected: a.track === decision.audioTrack })),
    subtitles: decision.subtitles.map((s) => ({
      ...s,
      url: s.kind === 'text' ? subtitleUrlFor(deps, item.id, s.id, token) : null,
      burned_in: burned !== null && s.id === caps.subtitle,
    })),
    duration_seconds: duration,
    start_seconds: start,
    play_id: playId,
  };
}

/** A playback of this caller on this item, or 404 (another user's, another session's, or gone). */
export async function callerPlayback(
  deps: Deps,
  caller: PlaybackCaller,
  itemId: string,
  playId: string,
): Promise<PlaySession> {
  const session = playbackOf(deps).get(playId);
  if (
    !session ||
    session.info.itemId !== itemId ||
    session.info.userId !== caller.userId ||
    session.info.sessionId !== caller.sessionId
  ) {
    throw new AppError('not_found');
  }
  // The grant is asked again on every request: a library taken away ends its segments too.
  await streamTarget(deps, viewerOf(caller), itemId);
  return session;
}

export function playlistFor(deps: Deps, session: PlaySession): string {
  const token = encodeURIComponent(session.info.token);
  return vodPlaylist(session.info.durationSeconds, (n) => `${n}.ts?st=${token}`);
}

/** A subtitle of the item as WebVTT: embedded (`e<n>`) or sidecar (`x<n>`). */
export async function subtitleVtt(
  deps: Deps,
  caller: PlaybackCaller,
  itemId: string,
  subtitleId: string,
): Promise<string> {
  const { library, path: stored } = await streamTarget(deps, viewerOf(caller), itemId);
  const roots = libraryPaths(library);
  const path = await pathInside(stored, roots);
  const match = /^([ex])(\d{1,4})$/.exec(subtitleId);
  if (!match) throw new AppError('not_found');
  const n = Number(match[2]);
  if (match[1] === 'x') {
    const sidecar = (await findSidecars(path))[n];
    if (!sidecar) throw new AppError('not_found');
    const vtt = await sidecarAsVtt(sidecar, roots);
    if (vtt === null) throw new AppError('not_found');
    return vtt;
  }
  const streams = await probeStreams(path);
  const track = streams.subtitles[n];
  if (!track || track.image) throw new AppError('not_found');
  try {
    return await embeddedAsVtt(path, track.index);
  } catch (err) {
    deps.log.error({ err, item: itemId }, 'subtitle conversion failed');
    throw new AppError('transcode_failed', 'This subtitle could not be converted.');
  }
}

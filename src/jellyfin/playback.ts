// PlaybackInfo: whether the app can play Hearth's file as it is, read from the device profile it sends.
// Played as it is, the file is served by Videos/{id}/stream?static=true or Audio/{id}/universal with ranges.
import type { Caller } from '../accounts/caller.ts';
import type { Deps } from '../deps.ts';
import { decidePlayback } from '../playback/playback.ts';
import type { ItemViewRow } from '../store/media.repository.ts';
import { playableRow } from './browse.ts';
import { TICKS_PER_SECOND, containerName, mediaSource, type Json, type SourceDecision } from './dto.ts';

interface DirectPlayProfile {
  Container?: string;
  Type?: string;
  VideoCodec?: string;
  AudioCodec?: string;
}

function listOf(value: unknown): string[] {
  return typeof value === 'string'
    ? value
        .toLowerCase()
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [];
}

const CONTAINER_ALIASES: Record<string, string[]> = {
  mp4: ['mp4', 'm4v', 'mov'],
  mov: ['mov', 'mp4'],
  mkv: ['mkv', 'matroska', 'webm'],
  webm: ['webm', 'mkv'],
  ts: ['ts', 'mpegts', 'm2ts'],
  mp3: ['mp3'],
  flac: ['flac'],
  ogg: ['ogg', 'oga'],
};

/** Whether one of the profile's direct-play entries takes this file's container and codecs. */
export function directPlayable(row: ItemViewRow, profile: unknown): boolean {
  if (!profile || typeof profile !== 'object') return true;
  const entries = (profile as { DirectPlayProfiles?: unknown }).DirectPlayProfiles;
  if (!Array.isArray(entries)) return true;
  const kind = row.type === 'track' ? 'audio' : 'video';
  const container = containerName(row.container, row.mime);
  const names = CONTAINER_ALIASES[container] ?? [container];
  return entries.some((entry: DirectPlayProfile) => {
    if (!entry || typeof entry !== 'object' || (entry.Type ?? '').toLowerCase() !== kind) return false;
    const containers = listOf(entry.Container);
    if (containers.length > 0 && !containers.some((c) => names.includes(c))) return false;
    const videoCodecs = listOf(entry.VideoCodec);
    if (
      kind === 'video' &&
      videoCodecs.length > 0 &&
      row.video_codec &&
      !videoCodecs.includes(row.video_codec.toLowerCase())
    )
      return false;
    const audioCodecs = listOf(entry.AudioCodec);
    if (audioCodecs.length > 0 && row.audio_codec && !audioCodecs.includes(row.audio_codec.toLowerCase())) return false;
    return true;
  });
}

export interface PlaybackRequest {
  profile?: unknown;
  enableDirectPlay?: boolean;
  enableDirectStream?: boolean;
  enableTranscoding?: boolean;
  maxStreamingBitrate?: number;
  startTimeTicks?: number;
  playSessionId: string;
}

/** What the profile says the device plays, in the playback capability's terms. */
function capabilitiesOf(profile: unknown, request: PlaybackRequest) {
  const entries = [
    ...(((profile as { DirectPlayProfiles?: unknown } | undefined)?.DirectPlayProfiles as
      | DirectPlayProfile[]
      | undefined) ?? []),
    ...(((profile as { TranscodingProfiles?: unknown } | undefined)?.TranscodingProfiles as
      | DirectPlayProfile[]
      | undefined) ?? []),
  ].filter((e) => e && typeof e === 'object');
  const video = new Set(entries.flatMap((e) => listOf(e.VideoCodec)));
  const audio = new Set(entries.flatMap((e) => listOf(e.AudioCodec)));
  const containers = new Set(entries.flatMap((e) => listOf(e.Container)));
  return {
    video: video.size > 0 ? [...video] : ['h264'],
    audio: audio.size > 0 ? [...audio] : ['aac'],
    containers: [...containers],
    ...(request.maxStreamingBitrate ? { maxBitrate: request.maxStreamingBitrate } : {}),
    ...(request.startTimeTicks ? { startSeconds: request.startTimeTicks / TICKS_PER_SECOND } : {}),
  };
}

/**
 * The playback capability's HLS URL as apps use a TranscodingUrl: a path they append to the server address
 * they were given (…/jellyfin), climbing out of it to Hearth's own playback routes.
 */
function transcodingPath(deps: Pick<Deps, 'config'>, url: string): string {
  const target = new URL(url);
  const base = new URL(deps.config.publicUrl);
  return target.origin === base.origin ? `/..${target.pathname}${target.search}` : url;
}

/**
 * PlaybackInfoResponse: one media source and what the app may do with it. A file the device cannot play as it
 * is goes to the playback capability (remux or transcode to HLS), whose playlist becomes the TranscodingUrl.
 */
export async function playbackInfo(
  deps: Deps,
  caller: Caller,
  jellyfinId: string,
  request: PlaybackRequest,
): Promise<Json> {
  const row = await playableRow(deps, caller, jellyfinId);
  const allowed = request.enableDirectPlay !== false || request.enableDirectStream !== false;
  const decision: SourceDecision = { directPlay: allowed && directPlayable(row, request.profile) };
  if (!decision.directPlay && request.enableTranscoding !== false && row.type !== 'track') {
    const answer = await decidePlayback(deps, caller, row.id, capabilitiesOf(request.profile, request));
    if (answer.method === 'direct') decision.directPlay = true;
    else {
      decision.transcodingUrl = transcodingPath(deps, answer.url);
      decision.transcodingContainer = 'ts';
      decision.transcodingSubProtocol = 'hls';
    }
  }
  const source = mediaSource(row, decision);
  const playable = decision.directPlay || decision.transcodingUrl !== undefined;
  return {
    MediaSources: [source],
    PlaySessionId: request.playSessionId,
    ...(playable ? {} : { ErrorCode: 'NoCompatibleStream' }),
  };
}

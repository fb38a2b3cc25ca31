// PlaybackInfo: whether the app can play Hearth's file as it is, read from the device profile it sends.
// Played as it is, the file is served by Videos/{id}/stream?static=true or Audio/{id}/universal with ranges.
import type { Deps } from '../deps.ts';
import type { ItemViewRow } from '../store/media.repository.ts';
import { playableRow, type Viewer } from './browse.ts';
import { containerName, mediaSource, type Json, type SourceDecision } from './dto.ts';

interface DirectPlayProfile {
  Container?: string;
  Type?: string;
  VideoCodec?: string;
  AudioCodec?: string;
}

function listOf(value: unknown): string[] {
  return typeof value === 'string' ? value.toLowerCase().split(',').map((v) => v.trim()).filter(Boolean) : [];
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
    if (kind === 'video' && videoCodecs.length > 0 && row.video_codec && !videoCodecs.includes(row.video_codec.toLowerCase())) return false;
    const audioCodecs = listOf(entry.AudioCodec);
    if (audioCodecs.length > 0 && row.audio_codec && !audioCodecs.includes(row.audio_codec.toLowerCase())) return false;
    return true;
  });
}

export interface PlaybackRequest {
  profile?: unknown;
  enableDirectPlay?: boolean;
  enableDirectStream?: boolean;
  playSessionId: string;
}

/** PlaybackInfoResponse: one media source and what the app may do with it. */
export async function playbackInfo(deps: Deps, viewer: Viewer, jellyfinId: string, request: PlaybackRequest): Promise<Json> {
  const row = await playableRow(deps, viewer, jellyfinId);
  const allowed = request.enableDirectPlay !== false || request.enableDirectStream !== false;
  const decision: SourceDecision = { directPlay: allowed && directPlayable(row, request.profile) };
  const source = mediaSource(row, decision);
  return {
    MediaSources: [source],
    PlaySessionId: request.playSessionId,
    // Hearth cannot yet convert a file through this door: an app that can play neither is told so.
    ...(decision.directPlay ? {} : { ErrorCode: 'NoCompatibleStream' }),
  };
}

// The wire shapes of playback (issue 14): the decision's answer and the admin's "Now playing". Declared once;
// the routes declare responses with them, the web app imports the derived types.
import { Type, type Static } from 'typebox';
import { Nullable } from './common.ts';

export const AudioSchema = Type.Object({
  track: Type.Integer(),
  language: Nullable(Type.String()),
  codec: Type.String(),
  channels: Type.Integer(),
  label: Type.String(),
  default: Type.Boolean(),
  selected: Type.Boolean(),
});
export const SubtitleSchema = Type.Object({
  id: Type.String(),
  language: Nullable(Type.String()),
  label: Type.String(),
  forced: Type.Boolean(),
  default: Type.Boolean(),
  hearing_impaired: Type.Boolean(),
  codec: Type.String(),
  kind: Type.Union([Type.Literal('text'), Type.Literal('image')]),
  external: Type.Boolean(),
  url: Nullable(
    Type.String({ description: 'WebVTT, works without headers; null for picture subtitles (burn-in only)' }),
  ),
  burned_in: Type.Boolean(),
});
export const PlaybackSchema = Type.Object({
  method: Type.Union([Type.Literal('direct'), Type.Literal('remux'), Type.Literal('transcode')]),
  url: Type.String(),
  reason: Type.String(),
  audio: Type.Array(AudioSchema),
  subtitles: Type.Array(SubtitleSchema),
  duration_seconds: Type.Number(),
  start_seconds: Type.Number(),
  play_id: Nullable(Type.String()),
});
export const NowPlayingSchema = Type.Object({
  id: Type.String(),
  user_id: Type.String(),
  username: Type.String(),
  item_id: Type.String(),
  title: Type.String(),
  method: Type.String(),
  reason: Type.String(),
  encoding: Type.Boolean(),
  speed: Nullable(Type.Number()),
  position_seconds: Type.Number(),
  started_at: Type.String(),
  last_request_at: Type.String(),
});

export const NowPlayingListSchema = Type.Object({
  streams: Type.Array(NowPlayingSchema),
  encoders: Type.Object({ active: Type.Integer(), max: Type.Integer() }),
  cache_bytes: Type.Integer(),
});

export type AudioTrackView = Static<typeof AudioSchema>;
export type SubtitleTrackView = Static<typeof SubtitleSchema>;
export type PlaybackView = Static<typeof PlaybackSchema>;
export type NowPlayingView = Static<typeof NowPlayingSchema>;
export type NowPlayingListView = Static<typeof NowPlayingListSchema>;

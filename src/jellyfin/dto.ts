// Hearth's items, libraries and users in the shapes Jellyfin sends (BaseItemDto, UserDto, MediaSourceInfo…):
// PascalCase fields, ids as 32 hex digits, times in ticks of 100 ns.
import { keyedDigest, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { AncestorRow } from '../store/jellyfin.repository.ts';
import type { ItemViewRow, LibraryRow } from '../store/media.repository.ts';
import type { MediaItemType, Role } from '../store/schema.ts';
import { toJellyfinId } from './ids.ts';

export const TICKS_PER_SECOND = 10_000_000;
/** The Jellyfin server version whose API this door follows (apps refuse servers older than 10.10). */
export const JELLYFIN_VERSION = '10.10.7';

export type Json = Record<string, unknown>;

/** A stable id for this server, derived from its secret key (no table, no leak of the key). */
export function serverId(deps: Pick<Deps, 'config'>): string {
  return keyedDigest(deps.config.secretKey, 'jellyfin-server-id', 'hearth').slice(0, 32);
}

export const ITEM_TYPE_NAMES: Record<MediaItemType, string> = {
  movie: 'Movie',
  show: 'Series',
  season: 'Season',
  episode: 'Episode',
  artist: 'MusicArtist',
  album: 'MusicAlbum',
  track: 'Audio',
  video: 'Video',
  extra: 'Video',
};

/** Jellyfin's item types (IncludeItemTypes) → Hearth's; unknown ones map to nothing. */
export function hearthTypes(names: string[]): MediaItemType[] {
  const out = new Set<MediaItemType>();
  for (const name of names) {
    switch (name.toLowerCase()) {
      case 'movie':
        out.add('movie');
        break;
      case 'series':
        out.add('show');
        break;
      case 'season':
        out.add('season');
        break;
      case 'episode':
        out.add('episode');
        break;
      case 'musicartist':
        out.add('artist');
        break;
      case 'musicalbum':
        out.add('album');
        break;
      case 'audio':
        out.add('track');
        break;
      case 'video':
        out.add('video');
        out.add('extra');
        break;
    }
  }
  return [...out];
}

const COLLECTION_TYPES: Record<string, string> = {
  movies: 'movies',
  shows: 'tvshows',
  music: 'music',
  videos: 'homevideos',
};

/** ffprobe's format name → the container name Jellyfin's device profiles use. */
export function containerName(format: string | null, mime: string | null): string {
  const f = (format ?? '').toLowerCase();
  if (f.includes('mp4') || f.includes('mov')) return mime === 'video/quicktime' ? 'mov' : 'mp4';
  if (f.includes('webm') && mime === 'video/webm') return 'webm';
  if (f.includes('matroska')) return 'mkv';
  const first = f.split(',')[0];
  if (first) return first === 'mpegts' ? 'ts' : first;
  return (mime ?? '').split('/')[1] ?? '';
}

function mediaTypeOf(type: MediaItemType): string {
  if (type === 'track') return 'Audio';
  if (type === 'movie' || type === 'episode' || type === 'video' || type === 'extra') return 'Video';
  return 'Unknown';
}

function ticks(seconds: number | null): number | undefined {
  return seconds === null ? undefined : Math.round(seconds * TICKS_PER_SECOND);
}

/** An image tag names one version of one image: it changes when the artwork does. */
function imageTag(id: string, source: string): string {
  return sha256(`${id}\0${source}`).slice(0, 32);
}

export interface DtoContext {
  serverId: string;
  /** Parents and grandparents of the rows being shown, by Hearth id. */
  ancestors: Map<string, AncestorRow>;
  favorites: Set<string>;
}

export function userData(row: ItemViewRow, favorite: boolean): Json {
  const played = row.watched === 1;
  const position = row.position_seconds ?? 0;
  const data: Json = {
    PlaybackPositionTicks: played ? 0 : Math.round(position * TICKS_PER_SECOND),
    PlayCount: played ? 1 : 0,
    IsFavorite: favorite,
    Played: played,
    Key: toJellyfinId(row.id),
    ItemId: toJellyfinId(row.id),
  };
  if (row.progress_updated_at !== null) data.LastPlayedDate = new Date(row.progress_updated_at).toISOString();
  if (!played && position > 0 && row.duration_seconds)
    data.PlayedPercentage = Math.min(100, (position / row.duration_seconds) * 100);
  return data;
}

export function mediaStreams(
  row: Pick<ItemViewRow, 'video_codec' | 'audio_codec' | 'width' | 'height' | 'pix_fmt' | 'type'>,
): Json[] {
  const streams: Json[] = [];
  if (row.video_codec && row.type !== 'track') {
    streams.push({
      Type: 'Video',
      Codec: row.video_codec,
      Index: streams.length,
      IsDefault: true,
      IsForced: false,
      IsExternal: false,
      IsInterlaced: false,
      IsTextSubtitleStream: false,
      SupportsExternalStream: false,
      ...(row.width !== null ? { Width: row.width } : {}),
      ...(row.height !== null ? { Height: row.height } : {}),
      ...(row.pix_fmt ? { PixelFormat: row.pix_fmt } : {}),
      VideoRange: 'SDR',
      VideoRangeType: 'SDR',
    });
  }
  if (row.audio_codec) {
    streams.push({
      Type: 'Audio',
      Codec: row.audio_codec,
      Index: streams.length,
      IsDefault: true,
      IsForced: false,
      IsExternal: false,
      IsInterlaced: false,
      IsTextSubtitleStream: false,
      SupportsExternalStream: false,
    });
  }
  return streams;
}

export interface SourceDecision {
  directPlay: boolean;
  transcodingUrl?: string;
  transcodingContainer?: string;
  transcodingSubProtocol?: string;
}

/** One MediaSourceInfo: Hearth has one file per item, so the source id is the item's. */
export function mediaSource(row: ItemViewRow, decision: SourceDecision = { directPlay: true }): Json {
  const id = toJellyfinId(row.id);
  const streams = mediaStreams(row);
  const bitrate = row.size && row.duration_seconds ? Math.round((row.size * 8) / row.duration_seconds) : undefined;
  const audioIndex = streams.findIndex((s) => s.Type === 'Audio');
  return {
    Protocol: 'File',
    Id: id,
    Type: 'Default',
    Container: containerName(row.container, row.mime),
    ...(row.size !== null ? { Size: row.size } : {}),
    Name: row.title,
    IsRemote: false,
    ETag: imageTag(row.id, String(row.size ?? '')),
    ...(row.duration_seconds !== null ? { RunTimeTicks: ticks(row.duration_seconds) } : {}),
    ReadAtNativeFramerate: false,
    IgnoreDts: false,
    IgnoreIndex: false,
    GenPtsInput: false,
    SupportsTranscoding: decision.transcodingUrl !== undefined,
    SupportsDirectStream: decision.directPlay,
    SupportsDirectPlay: decision.directPlay,
    IsInfiniteStream: false,
    RequiresOpening: false,
    RequiresClosing: false,
    RequiresLooping: false,
    SupportsProbing: true,
    ...(mediaTypeOf(row.type) === 'Video' ? { VideoType: 'VideoFile' } : {}),
    MediaStreams: streams,
    MediaAttachments: [],
    Formats: [],
    ...(bitrate !== undefined ? { Bitrate: bitrate } : {}),
    RequiredHttpHeaders: {},
    ...(decision.transcodingUrl !== undefined
      ? {
          TranscodingUrl: decision.transcodingUrl,
          TranscodingSubProtocol: decision.transcodingSubProtocol ?? 'hls',
          TranscodingContainer: decision.transcodingContainer ?? 'ts',
        }
      : {}),
    ...(audioIndex >= 0 ? { DefaultAudioStreamIndex: audioIndex } : {}),
    DefaultSubtitleStreamIndex: -1,
    HasSegments: false,
  };
}

export function baseItem(ctx: DtoContext, row: ItemViewRow, options: { mediaSources?: boolean } = {}): Json {
  const id = toJellyfinId(row.id);
  const type = ITEM_TYPE_NAMES[row.type];
  const folder = row.type === 'show' || row.type === 'season' || row.type === 'artist' || row.type === 'album';
  const parent = row.parent_id ? ctx.ancestors.get(row.parent_id) : undefined;
  const grandparent = parent?.parent_id ? ctx.ancestors.get(parent.parent_id) : undefined;
  const item: Json = {
    Name: row.title,
    ServerId: ctx.serverId,
    Id: id,
    DateCreated: new Date(row.added_at).toISOString(),
    CanDelete: false,
    CanDownload: false,
    SortName: row.title.toLowerCase(),
    ...(row.air_date ? { PremiereDate: `${row.air_date}T00:00:00.0000000Z` } : {}),
    ...(row.year !== null ? { ProductionYear: row.year } : {}),
    ...(row.index_number !== null ? { IndexNumber: row.index_number } : {}),
    ...(row.index_end !== null ? { IndexNumberEnd: row.index_end } : {}),
    IsFolder: folder,
    Type: type,
    ParentId: toJellyfinId(row.parent_id ?? row.library_id),
    MediaType: mediaTypeOf(row.type),
    LocationType: 'FileSystem',
    UserData: userData(row, ctx.favorites.has(row.id)),
    ImageTags: {} as Record<string, string>,
    BackdropImageTags: [] as string[],
  };
  if (!folder) {
    item.RunTimeTicks = ticks(row.duration_seconds);
    item.Container = containerName(row.container, row.mime);
    if (row.width !== null) item.Width = row.width;
    if (row.height !== null) item.Height = row.height;
    if (item.MediaType === 'Video') item.VideoType = 'VideoFile';
    item.HasSubtitles = false;
  } else {
    item.ChildCount = row.child_count;
  }
  if (row.type === 'episode' && parent) {
    item.SeasonId = toJellyfinId(parent.id);
    item.SeasonName = parent.title;
    if (parent.index_number !== null) item.ParentIndexNumber = parent.index_number;
    if (grandparent) {
      item.SeriesId = toJellyfinId(grandparent.id);
      item.SeriesName = grandparent.title;
    }
  }
  if (row.type === 'season' && parent) {
    item.SeriesId = toJellyfinId(parent.id);
    item.SeriesName = parent.title;
  }
  if (row.type === 'track') {
    if (row.disc_number !== null) item.ParentIndexNumber = row.disc_number;
    const artist = row.artist ?? grandparent?.title ?? null;
    if (parent?.type === 'album') {
      item.AlbumId = toJellyfinId(parent.id);
      item.Album = parent.title;
    }
    if (artist) {
      item.Artists = [artist];
      item.AlbumArtist = grandparent?.title ?? artist;
      item.ArtistItems = grandparent ? [{ Name: grandparent.title, Id: toJellyfinId(grandparent.id) }] : [];
      item.AlbumArtists = grandparent ? [{ Name: grandparent.title, Id: toJellyfinId(grandparent.id) }] : [];
    }
  }
  if (row.type === 'album' && parent?.type === 'artist') {
    item.AlbumArtist = parent.title;
    item.Artists = [parent.title];
    item.ArtistItems = [{ Name: parent.title, Id: toJellyfinId(parent.id) }];
    item.AlbumArtists = [{ Name: parent.title, Id: toJellyfinId(parent.id) }];
  }
  const tags = item.ImageTags as Record<string, string>;
  const cover =
    row.poster_path ?? (row.embedded_cover === 1 || (row.type === 'album' && row.child_covers > 0) ? 'embedded' : null);
  if (cover !== null) {
    tags.Primary = imageTag(row.id, cover);
    item.PrimaryImageAspectRatio = row.type === 'movie' || row.type === 'show' || row.type === 'season' ? 2 / 3 : 1;
  }
  if (row.fanart_path !== null) {
    const tag = imageTag(row.id, row.fanart_path);
    (item.BackdropImageTags as string[]).push(tag);
    tags.Thumb = tag;
  }
  if (options.mediaSources && !folder) item.MediaSources = [mediaSource(row)];
  if (options.mediaSources && !folder) item.MediaStreams = mediaStreams(row);
  return item;
}

/** A library as the apps' home screen shows it: a CollectionFolder with its collection type. */
export function libraryItem(ctx: Pick<DtoContext, 'serverId'>, library: LibraryRow): Json {
  const id = toJellyfinId(library.id);
  return {
    Name: library.name,
    ServerId: ctx.serverId,
    Id: id,
    Etag: id,
    DateCreated: new Date(library.created_at).toISOString(),
    CanDelete: false,
    CanDownload: false,
    SortName: library.name.toLowerCase(),
    IsFolder: true,
    Type: 'CollectionFolder',
    CollectionType: COLLECTION_TYPES[library.kind] ?? 'homevideos',
    ParentId: ctx.serverId,
    LocationType: 'FileSystem',
    MediaType: 'Unknown',
    UserData: { PlaybackPositionTicks: 0, PlayCount: 0, IsFavorite: false, Played: false, Key: id, ItemId: id },
    ImageTags: {},
    BackdropImageTags: [],
  };
}

export function queryResult(items: Json[], total: number, startIndex: number): Json {
  return { Items: items, TotalRecordCount: total, StartIndex: startIndex };
}

export interface UserFacts {
  id: string;
  username: string;
  display_name?: string | null;
  role: Role;
  disabled: boolean | number;
}

/** UserDto: what the app needs to run; no administration is offered through this door, so no one is its admin. */
export function userDto(serverIdValue: string, user: UserFacts, lastLogin: Date | null): Json {
  return {
    Name: user.username,
    ServerId: serverIdValue,
    Id: toJellyfinId(user.id),
    HasPassword: true,
    HasConfiguredPassword: true,
    HasConfiguredEasyPassword: false,
    EnableAutoLogin: false,
    ...(lastLogin ? { LastLoginDate: lastLogin.toISOString(), LastActivityDate: lastLogin.toISOString() } : {}),
    Configuration: {
      PlayDefaultAudioTrack: true,
      SubtitleLanguagePreference: '',
      DisplayMissingEpisodes: false,
      GroupedFolders: [],
      SubtitleMode: 'Default',
      DisplayCollectionsView: false,
      EnableLocalPassword: false,
      OrderedViews: [],
      LatestItemsExcludes: [],
      MyMediaExcludes: [],
      HidePlayedInLatest: true,
      RememberAudioSelections: true,
      RememberSubtitleSelections: true,
      EnableNextEpisodeAutoPlay: true,
      CastReceiverId: '',
    },
    Policy: {
      IsAdministrator: false,
      IsHidden: true,
      EnableCollectionManagement: false,
      EnableSubtitleManagement: false,
      EnableLyricManagement: false,
      IsDisabled: Boolean(user.disabled),
      BlockedTags: [],
      AllowedTags: [],
      EnableUserPreferenceAccess: false,
      AccessSchedules: [],
      BlockUnratedItems: [],
      EnableRemoteControlOfOtherUsers: false,
      EnableSharedDeviceControl: false,
      EnableRemoteAccess: true,
      EnableLiveTvManagement: false,
      EnableLiveTvAccess: false,
      EnableMediaPlayback: true,
      EnableAudioPlaybackTranscoding: false,
      EnableVideoPlaybackTranscoding: false,
      EnablePlaybackRemuxing: false,
      ForceRemoteSourceTranscoding: false,
      EnableContentDeletion: false,
      EnableContentDeletionFromFolders: [],
      EnableContentDownloading: false,
      EnableSyncTranscoding: false,
      EnableMediaConversion: false,
      EnabledDevices: [],
      EnableAllDevices: true,
      EnabledChannels: [],
      EnableAllChannels: false,
      EnabledFolders: [],
      EnableAllFolders: false,
      InvalidLoginAttemptCount: 0,
      LoginAttemptsBeforeLockout: -1,
      MaxActiveSessions: 0,
      EnablePublicSharing: false,
      BlockedMediaFolders: [],
      BlockedChannels: [],
      RemoteClientBitrateLimit: 0,
      AuthenticationProviderId: 'Hearth',
      PasswordResetProviderId: 'Hearth',
      SyncPlayAccess: 'None',
    },
  };
}

export function publicSystemInfo(deps: Pick<Deps, 'config'>): Json {
  return {
    LocalAddress: new URL('/jellyfin', deps.config.publicUrl).toString(),
    ServerName: 'Hearth',
    Version: JELLYFIN_VERSION,
    ProductName: 'Jellyfin Server',
    OperatingSystem: '',
    Id: serverId(deps),
    StartupWizardCompleted: true,
  };
}

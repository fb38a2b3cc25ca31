// What the scanner keeps of a track's music tags (music-tags.ts), in the store's music_tags and music_genres.
import type { Executor } from '../store/media.repository.ts';
import { upsertMusicTags } from '../store/music.repository.ts';
import type { MusicExtras } from './music-tags.ts';

export async function saveMusicExtras(db: Executor, itemId: string, m: MusicExtras): Promise<void> {
  await upsertMusicTags(
    db,
    {
      item_id: itemId,
      album_artist: m.albumArtist,
      compilation: m.compilation ? 1 : 0,
      original_year: m.originalYear,
      disc_total: m.discTotal,
      track_total: m.trackTotal,
      genres: m.genres.length > 0 ? JSON.stringify(m.genres) : null,
      mb_track_id: m.mbTrackId,
      mb_recording_id: m.mbRecordingId,
      mb_album_id: m.mbAlbumId,
      mb_artist_id: m.mbArtistId,
      mb_album_artist_id: m.mbAlbumArtistId,
      rg_track_gain: m.rgTrackGain,
      rg_track_peak: m.rgTrackPeak,
      rg_album_gain: m.rgAlbumGain,
      rg_album_peak: m.rgAlbumPeak,
      bitrate: m.bitrate,
      sample_rate: m.sampleRate,
      channels: m.channels,
      lyrics: m.lyrics,
    },
    m.genres,
  );
}

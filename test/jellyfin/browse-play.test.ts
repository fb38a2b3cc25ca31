// Browsing, playing and progress through the Jellyfin door with the real @jellyfin/sdk: the same libraries,
// grants and "continue watching" as Hearth's own API; tokens in URLs only where players need them (S93).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { getImageApi } from '@jellyfin/sdk/lib/utils/api/image-api.js';
import { getLibraryApi } from '@jellyfin/sdk/lib/utils/api/library-api.js';
import { getMediaInfoApi } from '@jellyfin/sdk/lib/utils/api/media-info-api.js';
import { getSessionApi } from '@jellyfin/sdk/lib/utils/api/session-api.js';
import { getShowApi } from '@jellyfin/sdk/lib/utils/api/show-api.js';
import { getUserDataApi } from '@jellyfin/sdk/lib/utils/api/user-data-api.js';
import { getUserViewApi } from '@jellyfin/sdk/lib/utils/api/user-view-api.js';
import { getArtistApi } from '@jellyfin/sdk/lib/utils/api/artist-api.js';
import { getSearchApi } from '@jellyfin/sdk/lib/utils/api/search-api.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCI } from '../helpers/services.ts';
import {
  PASSWORD,
  createLibrary,
  haveFfmpeg,
  makeClip,
  makeTrack,
  mediaServer,
  put,
  scan,
  tempDir,
  type MediaServer,
} from '../media/media-helpers.ts';
import { jellyfinApi, statusOf } from './jellyfin-helpers.ts';

const ffmpegHere = haveFfmpeg();
if (!ffmpegHere && inCI) throw new Error('ffmpeg is required under CI=true');

/** A small JPEG, for a poster. */
function makeJpeg(path: string): string {
  put(path);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:size=40x60',
    '-frames:v',
    '1',
    path,
  ]);
  return path;
}

const H264_MP4_PROFILE = {
  DirectPlayProfiles: [
    { Container: 'mp4,m4v', Type: 'Video', VideoCodec: 'h264', AudioCodec: 'aac' },
    { Container: 'mp3', Type: 'Audio' },
  ],
  TranscodingProfiles: [],
};
const HEVC_MKV_PROFILE = {
  DirectPlayProfiles: [{ Container: 'mkv', Type: 'Video', VideoCodec: 'hevc', AudioCodec: 'opus' }],
};

describe.skipIf(!ffmpegHere)('browsing and playing through the Jellyfin door', () => {
  let m: MediaServer;
  const lines: string[] = [];
  let token: string;
  let libraries: Record<string, string>;
  let hiddenMovieHex: string;

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((l: string) => l !== ''),
        );
        done();
      },
    });
    m = await mediaServer({ log: pino({ level: 'debug' }, stream) });
    const root = tempDir('hearth-jf-');
    makeClip(`${root}/movies/Big Clip (2020)/Big Clip (2020).mp4`);
    makeJpeg(`${root}/movies/Big Clip (2020)/poster.jpg`);
    const clip = `${root}/shows/Test Show/Season 01/Test Show - S01E01.mp4`;
    makeClip(clip);
    for (const name of ['Season 01/Test Show - S01E02.mp4', 'Season 02/Test Show - S02E01.mp4'])
      makeClip(`${root}/shows/Test Show/${name}`);
    makeTrack(`${root}/music/Some Artist/First Album/01 - Opening.mp3`, {
      title: 'Opening',
      artist: 'Some Artist',
      album_artist: 'Some Artist',
      album: 'First Album',
      track: '1',
    });
    makeClip(`${root}/hidden/Secret Movie (2019)/Secret Movie (2019).mp4`);
    libraries = {
      movies: await createLibrary(m.s, m.admin, 'Movies', 'movies', [`${root}/movies`]),
      shows: await createLibrary(m.s, m.admin, 'Shows', 'shows', [`${root}/shows`]),
      music: await createLibrary(m.s, m.admin, 'Music', 'music', [`${root}/music`]),
      hidden: await createLibrary(m.s, m.admin, 'Hidden', 'movies', [`${root}/hidden`]),
    };
    for (const id of Object.values(libraries)) await scan(m.s, m.admin, id);
    const grant = await m.s.request('PUT', `/api/v1/admin/users/${m.member.id}/libraries`, {
      token: m.admin,
      body: { library_ids: [libraries.movies, libraries.shows, libraries.music] },
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(200);
    const hidden = await m.s.request('GET', `/api/v1/libraries/${libraries.hidden}/items`, { token: m.admin });
    hiddenMovieHex = Buffer.from(hidden.body.items[0].id, 'base64url').toString('hex');
    token = (await jellyfinApi(m.s).authenticateUserByName('milo', PASSWORD)).data.AccessToken!;
  }, 120_000);
  afterAll(async () => m?.s.close());

  const hex = (id: string) => Buffer.from(id, 'base64url').toString('hex');
  const api = () => jellyfinApi(m.s, token);
  // The SDK's declarations do not resolve under NodeNext (extensionless imports): its calls are typed loosely here.
  const sdk = (get: (api: any) => unknown): any => get(api());

  async function movie() {
    const res = await sdk(getLibraryApi).getItems({
      parentId: hex(libraries.movies),
      includeItemTypes: ['Movie' as never],
      recursive: true,
      fields: ['MediaSources' as never],
    });
    return res.data.Items![0]!;
  }

  async function show() {
    const res = await sdk(getLibraryApi).getItems({ parentId: hex(libraries.shows) });
    return res.data.Items!.find((i: any) => i.Type === 'Series')!;
  }

  it("a member's app sees only granted libraries; an ungranted one and its items are 404 (S70)", async () => {
    const views = await sdk(getUserViewApi).getUserViews();
    expect(views.data.Items!.map((v: any) => v.Name).sort()).toEqual(['Movies', 'Music', 'Shows']);
    const types = Object.fromEntries(views.data.Items!.map((v: any) => [v.Name, v.CollectionType]));
    expect(types).toEqual({ Movies: 'movies', Shows: 'tvshows', Music: 'music' });
    expect(await statusOf(sdk(getLibraryApi).getItems({ parentId: hex(libraries.hidden) }))).toBe(404);
    expect(await statusOf(sdk(getLibraryApi).getItem({ itemId: hiddenMovieHex }))).toBe(404);
    expect(
      await statusOf(sdk(getMediaInfoApi).getPostedPlaybackInfo({ itemId: hiddenMovieHex, playbackInfoDto: {} })),
    ).toBe(404);
    const everything = await sdk(getLibraryApi).getItems({ recursive: true, includeItemTypes: ['Movie' as never] });
    expect(everything.data.Items!.map((i: any) => i.Name)).toEqual(['Big Clip']);
  });

  it("a movie with Jellyfin's ids, paging, media sources and user data", async () => {
    const page = await sdk(getLibraryApi).getItems({
      parentId: hex(libraries.movies),
      includeItemTypes: ['Movie' as never],
      recursive: true,
      startIndex: 0,
      limit: 1,
      sortBy: ['SortName' as never],
    });
    expect(page.data.TotalRecordCount).toBe(1);
    expect(page.data.StartIndex).toBe(0);
    const item = page.data.Items![0]!;
    expect(item.Id).toMatch(/^[0-9a-f]{32}$/);
    expect(item).toMatchObject({
      Name: 'Big Clip',
      Type: 'Movie',
      ProductionYear: 2020,
      IsFolder: false,
      MediaType: 'Video',
    });
    expect(item.ImageTags?.Primary).toBeTruthy();
    expect(item.UserData).toMatchObject({ Played: false, PlaybackPositionTicks: 0, IsFavorite: false });
    const detail = await sdk(getLibraryApi).getItem({ itemId: item.Id! });
    expect(detail.data.RunTimeTicks).toBeGreaterThan(1.5e7);
    const source = detail.data.MediaSources![0]!;
    expect(source).toMatchObject({ Id: item.Id, Container: 'mp4', Protocol: 'File', SupportsDirectPlay: true });
    expect(source.MediaStreams!.map((s: any) => [s.Type, s.Codec])).toEqual([
      ['Video', 'h264'],
      ['Audio', 'aac'],
    ]);
    // The older path with the user id answers the same.
    const me = await (await fetch(`${m.s.url}/jellyfin/Users/Me`, { headers: { 'x-emby-token': token } })).json();
    const old = await fetch(`${m.s.url}/jellyfin/Users/${me.Id}/Items/${item.Id}`, {
      headers: { 'x-emby-token': token },
    });
    expect((await old.json()).Name).toBe('Big Clip');
  });

  it("a show's seasons and episodes, in order, with series and season names", async () => {
    const series = await show();
    expect(series).toMatchObject({ Name: 'Test Show', IsFolder: true });
    const seasons = await sdk(getShowApi).getSeasons({ seriesId: series.Id! });
    expect(seasons.data.Items!.map((s: any) => s.IndexNumber)).toEqual([1, 2]);
    expect(seasons.data.Items![0]!.SeriesName).toBe('Test Show');
    const all = await sdk(getShowApi).getEpisodes({ seriesId: series.Id! });
    expect(all.data.Items!.map((e: any) => `${e.ParentIndexNumber}x${e.IndexNumber}`)).toEqual(['1x1', '1x2', '2x1']);
    const first = await sdk(getShowApi).getEpisodes({ seriesId: series.Id!, seasonId: seasons.data.Items![0]!.Id! });
    expect(first.data.Items!.map((e: any) => e.IndexNumber)).toEqual([1, 2]);
    expect(first.data.Items![0]).toMatchObject({
      Type: 'Episode',
      SeriesName: 'Test Show',
      SeriesId: series.Id,
      SeasonId: seasons.data.Items![0]!.Id,
    });
  });

  it('PlaybackInfo decides from the device profile: direct play when it takes the file, else the HLS of the playback capability', async () => {
    const item = await movie();
    const yes = await sdk(getMediaInfoApi).getPostedPlaybackInfo({
      itemId: item.Id!,
      playbackInfoDto: { DeviceProfile: H264_MP4_PROFILE as never },
    });
    expect(yes.data.MediaSources![0]).toMatchObject({ SupportsDirectPlay: true, SupportsDirectStream: true });
    expect(yes.data.PlaySessionId).toBeTruthy();
    expect(yes.data.ErrorCode ?? null).toBeNull();
    // A device that cannot play the file gets the playback capability's HLS as its TranscodingUrl.
    const no = await sdk(getMediaInfoApi).getPostedPlaybackInfo({
      itemId: item.Id!,
      playbackInfoDto: { DeviceProfile: HEVC_MKV_PROFILE as never },
    });
    const source = no.data.MediaSources![0];
    expect(source).toMatchObject({
      SupportsDirectPlay: false,
      SupportsTranscoding: true,
      TranscodingSubProtocol: 'hls',
    });
    expect(no.data.ErrorCode ?? null).toBeNull();
    // Apps append it to the server address they were given.
    const playlist = await fetch(`${api().basePath}${source.TranscodingUrl}`);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toMatch(/^#EXTM3U/);
  });

  it('S93: the stream URL the app builds plays with ranges and through ffprobe; its api_key is refused elsewhere and never logged', async () => {
    const item = await movie();
    const url = api().getUri(`/Videos/${item.Id}/stream`, { static: true, mediaSourceId: item.Id, api_key: token });
    expect(url.startsWith(`${m.s.url}/jellyfin/Videos/`)).toBe(true);
    const ranged = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    // ffprobe reads it over HTTP as a player would (pointed at this test's own server only).
    expect(url.startsWith('http://127.0.0.1:')).toBe(true);
    // Not execFileSync: the server answering ffprobe runs in this very process.
    const { stdout } = await promisify(execFile)(
      'ffprobe',
      ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', url],
      { encoding: 'utf8', timeout: 20_000 },
    );
    const probed = JSON.parse(stdout);
    expect(probed.streams.map((s: any) => s.codec_name)).toEqual(['h264', 'aac']);
    expect(Number(probed.format.duration)).toBeGreaterThan(1.5);
    // ApiKey (the SDK's own name) works too, on the audio route.
    const track = (await sdk(getLibraryApi).getItems({ recursive: true, includeItemTypes: ['Audio' as never] })).data
      .Items![0]!;
    const audio = await fetch(`${m.s.url}/jellyfin/Audio/${track.Id}/universal?ApiKey=${token}`);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/audio\/mpeg/);
    await audio.arrayBuffer();
    // The same token in the URL of a browsing route opens nothing (S93).
    expect((await fetch(`${m.s.url}/jellyfin/Users/Me?api_key=${token}`)).status).toBe(401);
    expect((await fetch(`${m.s.url}/jellyfin/Items?api_key=${token}`)).status).toBe(401);
    expect((await fetch(`${m.s.url}/jellyfin/Videos/${item.Id}/stream?static=true`)).status).toBe(401);
    // Logged with the credential cut out.
    const logged = lines.join('\n');
    expect(logged).toContain('api_key=[redacted]');
    expect(logged).toContain('ApiKey=[redacted]');
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.slice(3, 20));
  });

  it("S93: images by Jellyfin's image types, with the token in the URL as apps send it", async () => {
    const item = await movie();
    const url = api().getUri(`/Items/${item.Id}/Images/Primary`, {
      maxWidth: 100,
      quality: 90,
      tag: item.ImageTags!.Primary,
      api_key: token,
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(
      (
        await sdk(getImageApi).getItemImage(
          { itemId: item.Id!, imageType: 'Primary' as never },
          { responseType: 'arraybuffer' },
        )
      ).status,
    ).toBe(200);
    expect(await statusOf(sdk(getImageApi).getItemImage({ itemId: item.Id!, imageType: 'Logo' as never }))).toBe(404);
    expect((await fetch(`${m.s.url}/jellyfin/Items/${hiddenMovieHex}/Images/Primary?api_key=${token}`)).status).toBe(
      404,
    );
  });

  it("progress reported by the app is Hearth's continue watching; resume, played, next up and favourites follow", async () => {
    const series = await show();
    const [e1, e2] = (await sdk(getShowApi).getEpisodes({ seriesId: series.Id! })).data.Items!;
    const item = await movie();
    const session = sdk(getSessionApi);
    await session.reportPlaybackStart({ playbackStartInfo: { ItemId: item.Id!, PositionTicks: 0 } });
    await session.reportPlaybackProgress({ playbackProgressInfo: { ItemId: item.Id!, PositionTicks: 8_000_000 } });
    await session.reportPlaybackStopped({ playbackStopInfo: { ItemId: item.Id!, PositionTicks: 9_000_000 } });
    const web = await m.s.request('GET', '/api/v1/me/continue-watching', { token: m.member.token });
    expect(web.body.items.map((i: any) => [i.title, i.progress.position_seconds])).toEqual([['Big Clip', 0.9]]);
    const resume = await sdk(getLibraryApi).getResumeItems({});
    expect(resume.data.Items!.map((i: any) => [i.Name, i.UserData?.PlaybackPositionTicks])).toEqual([
      ['Big Clip', 9_000_000],
    ]);

    // Played in the app: watched in Hearth, and next up moves on.
    const played = await sdk(getUserDataApi).markPlayedItem({ itemId: e1!.Id! });
    expect(played.data.Played).toBe(true);
    const items = await m.s.request('GET', `/api/v1/items/${Buffer.from(e1!.Id!, 'hex').toString('base64url')}`, {
      token: m.member.token,
    });
    expect(items.body.progress.watched).toBe(true);
    const next = await sdk(getShowApi).getNextUp({});
    expect(next.data.Items!.map((i: any) => i.Id)).toEqual([e2!.Id]);
    expect(next.data.Items![0]!.SeriesName).toBe('Test Show');
    expect((await sdk(getUserDataApi).markUnplayedItem({ itemId: e1!.Id! })).data.Played).toBe(false);

    const fav = await sdk(getUserDataApi).markFavoriteItem({ itemId: item.Id! });
    expect(fav.data.IsFavorite).toBe(true);
    const favourites = await sdk(getLibraryApi).getItems({ recursive: true, filters: ['IsFavorite' as never] });
    expect(favourites.data.Items!.map((i: any) => i.Name)).toEqual(['Big Clip']);
    expect((await sdk(getUserDataApi).unmarkFavoriteItem({ itemId: item.Id! })).data.IsFavorite).toBe(false);
  });

  it('music: artists, albums and tracks with their artist and album', async () => {
    const artists = await sdk(getArtistApi).getAlbumArtists({ parentId: hex(libraries.music) });
    expect(artists.data.Items!.map((a: any) => [a.Name, a.Type])).toEqual([['Some Artist', 'MusicArtist']]);
    const albums = await sdk(getLibraryApi).getItems({
      recursive: true,
      includeItemTypes: ['MusicAlbum' as never],
      albumArtistIds: [artists.data.Items![0]!.Id!],
    });
    expect(albums.data.Items!.map((a: any) => [a.Name, a.AlbumArtist])).toEqual([['First Album', 'Some Artist']]);
    const tracks = await sdk(getLibraryApi).getItems({ parentId: albums.data.Items![0]!.Id! });
    expect(tracks.data.Items!.map((t: any) => [t.Name, t.Album, t.AlbumArtist, t.IndexNumber])).toEqual([
      ['Opening', 'First Album', 'Some Artist', 1],
    ]);
    const hints = await sdk(getSearchApi).getSearchHints({ searchTerm: 'openi' });
    expect(hints.data.SearchHints!.map((h: any) => h.Name)).toEqual(['Opening']);
  });

  it('paths are case-insensitive; what Hearth does not do answers empty or 404 JSON, never 500; no administration', async () => {
    const headers = { 'x-emby-token': token };
    expect((await fetch(`${m.s.url}/JELLYFIN/users/ME`, { headers })).status).toBe(200);
    expect((await fetch(`${m.s.url}/jellyfin/uSERvIEWS`, { headers })).status).toBe(200);
    const genres = await fetch(`${m.s.url}/jellyfin/Genres?ParentId=${hex(libraries.movies)}`, { headers });
    expect(await genres.json()).toMatchObject({ Items: [], TotalRecordCount: 0 });
    for (const path of [
      '/LiveTv/Channels',
      '/System/Configuration',
      '/Library/VirtualFolders',
      '/Startup/Configuration',
      '/Plugins',
      '/ScheduledTasks',
      '/System/Logs',
      '/Users/New',
      '/Devices',
      '/Auth/Keys',
    ]) {
      const res = await fetch(`${m.s.url}/jellyfin${path}`, { headers });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/json/);
    }
    for (const path of [
      '/Items?StartIndex=abc',
      '/Items?ParentId=nothex',
      '/Items/zz',
      '/Shows/NextUp?SeriesId=1',
      '/Items?Ids=a,b',
      '/Items?Genres=Drama',
      '/Items?SortBy=Random&Filters=IsResumable',
      '/Videos/abc/stream',
    ]) {
      const res = await fetch(`${m.s.url}/jellyfin${path}`, { headers });
      expect(res.status, path).toBeLessThan(500);
    }
    const bad = await fetch(`${m.s.url}/jellyfin/Sessions/Playing`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
  });
});

// Music apps through the real `subsonic-api` client: browse artist → album → song with music tags done
// properly, search, stream (whole, a range, transcoded), covers at a size, scrobbles, stars, ratings,
// playlists, the play queue, lyrics, and a member who sees only the music folders granted to them.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.ts';
import {
  createLibrary,
  haveFfmpeg,
  makeTrack,
  mediaServer,
  put,
  scan,
  tempDir,
  PASSWORD,
} from '../media/media-helpers.ts';
import { client, makeAppPassword, raw } from './subsonic-helpers.ts';

const RG = {
  REPLAYGAIN_TRACK_GAIN: '-6.50 dB',
  REPLAYGAIN_TRACK_PEAK: '0.988',
  REPLAYGAIN_ALBUM_GAIN: '-7.25 dB',
  REPLAYGAIN_ALBUM_PEAK: '0.999',
};
const MB_ALBUM = '1b3c5d7e-0000-4000-8000-00000000abcd';

function image(path: string, size: number): string {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `color=c=blue:size=${size}x${size}`,
    '-frames:v',
    '1',
    path,
  ]);
  return path;
}

describe.runIf(haveFfmpeg())('music apps (Subsonic)', () => {
  let s: TestServer;
  let root: string;
  let owner: any;
  let member: any;
  let ownerKey: string;
  let memberKey: string;
  let songOne: string;
  let memberToken: string;
  let m: Awaited<ReturnType<typeof mediaServer>>;

  beforeAll(async () => {
    m = await mediaServer();
    memberToken = m.member.token;
    s = m.s;
    root = tempDir('hearth-music-');
    const lib = join(root, 'music');
    const priv = join(root, 'private');
    songOne = makeTrack(
      join(lib, 'Aurora Lane/Night Roads (2001)/CD1/01 - Lantern.mp3'),
      {
        title: 'Lantern',
        artist: 'Aurora Lane',
        album_artist: 'Aurora Lane',
        album: 'Night Roads',
        track: '1/2',
        disc: '1/2',
        date: '2001',
        genre: 'Rock; Indie',
        'MusicBrainz Album Id': MB_ALBUM,
        ...RG,
      } as never,
      true,
    );
    put(
      join(lib, 'Aurora Lane/Night Roads (2001)/CD1/01 - Lantern.lrc'),
      '[ar:Aurora Lane]\n[00:01.50]First line\n[00:03.00]Second line\n',
    );
    makeTrack(join(lib, 'Aurora Lane/Night Roads (2001)/CD1/02 - Harbour.mp3'), {
      title: 'Harbour',
      artist: 'Aurora Lane feat. Milo',
      album_artist: 'Aurora Lane',
      album: 'Night Roads',
      track: '2',
      disc: '1',
      date: '2001',
      genre: 'Rock',
    } as never);
    makeTrack(join(lib, 'Aurora Lane/Night Roads (2001)/CD2/01 - Ember.mp3'), {
      title: 'Ember',
      artist: 'Aurora Lane',
      album_artist: 'Aurora Lane',
      album: 'Night Roads',
      track: '1',
      disc: '2',
      date: '2001',
      genre: 'Rock',
    } as never);
    makeTrack(join(lib, 'Brass Owls/Copper/01 - Tin Roof.mp3'), {
      title: 'Tin Roof',
      artist: 'Brass Owls',
      album: 'Copper',
      track: '1',
      date: '1999',
      genre: 'Jazz',
    } as never);
    image(join(lib, 'Brass Owls/Copper/cover.jpg'), 120);
    makeTrack(join(lib, 'Compilations/Summer Hits/01 - Sun.mp3'), {
      title: 'Sun',
      artist: 'Someone',
      album: 'Summer Hits',
      track: '1',
      compilation: '1',
      date: '2010',
    } as never);
    makeTrack(join(lib, 'Compilations/Summer Hits/02 - Sea.mp3'), {
      title: 'Sea',
      artist: 'Someone Else',
      album: 'Summer Hits',
      track: '2',
      compilation: '1',
      date: '2010',
    } as never);
    makeTrack(join(priv, 'Secret Band/Hidden/01 - Whisper.mp3'), {
      title: 'Whisper',
      artist: 'Secret Band',
      album: 'Hidden',
      track: '1',
    } as never);
    const music = await createLibrary(s, m.admin, 'Music', 'music', [lib]);
    const privateId = await createLibrary(s, m.admin, 'Private', 'music', [priv]);
    await scan(s, m.admin, music);
    await scan(s, m.admin, privateId);
    expect(
      (
        await s.request('PUT', `/api/v1/admin/users/${m.member.id}/libraries`, {
          token: m.admin,
          body: { library_ids: [music] },
        })
      ).status,
    ).toBe(200);
    ownerKey = (await makeAppPassword(s, m.admin, ['subsonic'])).password;
    memberKey = (await makeAppPassword(s, m.member.token, ['subsonic'])).password;
    owner = client(s, { apiKey: ownerKey });
    member = client(s, { username: 'milo', password: memberKey });
  }, 120_000);
  afterAll(async () => s?.close());

  async function songByTitle(title: string): Promise<any> {
    const res = await owner.search3({ query: title, artistCount: 0, albumCount: 0 });
    const song = res.searchResult3.song.find((x: any) => x.title === title);
    expect(song, title).toBeDefined();
    return song;
  }

  it('browses artist → album → song, with album artists, discs, tracks, years, genres, MusicBrainz ids and ReplayGain', async () => {
    const artists = await owner.getArtists();
    expect(artists.status).toBe('ok');
    const names = artists.artists.index.flatMap((i: any) => i.artist.map((a: any) => a.name));
    expect(names).toEqual(expect.arrayContaining(['Aurora Lane', 'Brass Owls', 'Various Artists', 'Secret Band']));
    expect(names).not.toContain('Aurora Lane feat. Milo');
    const aurora = artists.artists.index.flatMap((i: any) => i.artist).find((a: any) => a.name === 'Aurora Lane');
    const artist = await owner.getArtist({ id: aurora.id });
    expect(artist.artist.album).toHaveLength(1);
    const album = await owner.getAlbum({ id: artist.artist.album[0].id });
    expect(album.album).toMatchObject({
      name: 'Night Roads',
      artist: 'Aurora Lane',
      year: 2001,
      songCount: 3,
      musicBrainzId: MB_ALBUM,
    });
    expect(album.album.song.map((x: any) => [x.discNumber, x.track, x.title])).toEqual([
      [1, 1, 'Lantern'],
      [1, 2, 'Harbour'],
      [2, 1, 'Ember'],
    ]);
    const harbour = album.album.song[1];
    expect(harbour).toMatchObject({
      artist: 'Aurora Lane feat. Milo',
      displayAlbumArtist: 'Aurora Lane',
      albumId: album.album.id,
      artistId: aurora.id,
    });
    const song = await owner.getSong({ id: album.album.song[0].id });
    expect(song.song.genres.map((g: any) => g.name)).toEqual(['Rock', 'Indie']);
    expect(song.song.replayGain).toMatchObject({ trackGain: -6.5, albumGain: -7.25 });
    expect(song.song.replayGain.trackPeak).toBeCloseTo(0.988);
    expect(song.song).toMatchObject({ contentType: 'audio/mpeg', suffix: 'mp3', isDir: false, type: 'music' });
    expect(song.song.path).not.toContain(root);
  });

  it('puts compilations under Various Artists, with each track keeping its own artist', async () => {
    const list = await owner.getAlbumList2({ type: 'alphabeticalByName', size: 50 });
    const hits = list.albumList2.album.find((a: any) => a.name === 'Summer Hits');
    expect(hits).toMatchObject({ artist: 'Various Artists', isCompilation: true, songCount: 2 });
    const album = await owner.getAlbum({ id: hits.id });
    expect(album.album.song.map((x: any) => x.artist)).toEqual(['Someone', 'Someone Else']);
  });

  it('folder browsing: getMusicFolders, getIndexes, getMusicDirectory', async () => {
    const folders = await owner.getMusicFolders();
    expect(folders.musicFolders.musicFolder.map((f: any) => f.name)).toEqual(['Music', 'Private']);
    const indexes = await owner.getIndexes({ musicFolderId: folders.musicFolders.musicFolder[0].id });
    const all = indexes.indexes.index.flatMap((i: any) => i.artist);
    expect(all.map((a: any) => a.name)).not.toContain('Secret Band');
    const brass = all.find((a: any) => a.name === 'Brass Owls');
    const dir = await owner.getMusicDirectory({ id: brass.id });
    expect(dir.directory.child[0]).toMatchObject({ title: 'Copper', isDir: true });
    const albumDir = await owner.getMusicDirectory({ id: dir.directory.child[0].id });
    expect(albumDir.directory.child[0]).toMatchObject({ title: 'Tin Roof', isDir: false });
  });

  it('search3 finds artists, albums and songs; getGenres counts songs and albums', async () => {
    const res = await owner.search3({ query: 'night' });
    expect(res.searchResult3.album.map((a: any) => a.name)).toEqual(['Night Roads']);
    expect(res.searchResult3.song.map((x: any) => x.title).sort()).toEqual(['Ember', 'Harbour', 'Lantern']);
    const artist = await owner.search3({ query: 'brass', songCount: 0, albumCount: 0 });
    expect(artist.searchResult3.artist.map((a: any) => a.name)).toEqual(['Brass Owls']);
    const genres = await owner.getGenres();
    const rock = genres.genres.genre.find((g: any) => g.value === 'Rock');
    expect(rock).toMatchObject({ songCount: 3, albumCount: 1 });
    const byGenre = await owner.getAlbumList2({ type: 'byGenre', genre: 'Jazz' });
    expect(byGenre.albumList2.album.map((a: any) => a.name)).toEqual(['Copper']);
    const byYear = await owner.getAlbumList2({ type: 'byYear', fromYear: 2000, toYear: 2005 });
    expect(byYear.albumList2.album.map((a: any) => a.name)).toEqual(['Night Roads']);
  });

  it("stream gives the file's bytes, and a range; maxBitRate transcodes to MP3 and format=opus to Opus", async () => {
    const lantern = await songByTitle('Lantern');
    const bytes = readFileSync(songOne);
    const whole = await owner.stream({ id: lantern.id });
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const search = new URLSearchParams({ v: '1.16.1', c: 't', apiKey: ownerKey, id: lantern.id });
    const ranged = await fetch(`${s.url}/rest/stream.view?${search}`, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const download = await owner.download({ id: lantern.id });
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    const low = await owner.stream({ id: lantern.id, maxBitRate: 32, format: 'mp3' });
    expect(low.headers.get('content-type')).toBe('audio/mpeg');
    const lowBytes = Buffer.from(await low.arrayBuffer());
    expect(lowBytes.length).toBeGreaterThan(1000);
    expect(lowBytes.equals(bytes)).toBe(false);
    const opus = await owner.stream({ id: lantern.id, format: 'opus' });
    expect(opus.headers.get('content-type')).toBe('audio/ogg');
    expect(
      Buffer.from(await opus.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('OggS');
  });

  it("getCoverArt answers an image of the asked size, and a track without art of its own shows its album's folder cover", async () => {
    const tin = await songByTitle('Tin Roof');
    const full = await owner.getCoverArt({ id: tin.coverArt });
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await full.arrayBuffer())).metadata()).width).toBe(120);
    const small = await owner.getCoverArt({ id: tin.coverArt, size: 48 });
    const meta = await sharp(Buffer.from(await small.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([48, 48]);
    // The album's cover is the embedded one of its first track, carried to every track.
    const harbour = await songByTitle('Harbour');
    const embedded = await owner.getCoverArt({ id: harbour.coverArt });
    expect((await sharp(Buffer.from(await embedded.arrayBuffer())).metadata()).width).toBe(32);
  });

  it('scrobble shows in recently played and play counts; getNowPlaying shows what is playing now', async () => {
    const ember = await songByTitle('Ember');
    expect((await member.scrobble({ id: ember.id, submission: false })).status).toBe('ok');
    const now = await member.getNowPlaying();
    expect(now.nowPlaying.entry.map((e: any) => e.title)).toEqual(['Ember']);
    expect((await member.scrobble({ id: ember.id })).status).toBe('ok');
    expect((await member.scrobble({ id: ember.id, submission: true })).status).toBe('ok');
    const recent = await member.getAlbumList2({ type: 'recent' });
    expect(recent.albumList2.album.map((a: any) => a.name)).toEqual(['Night Roads']);
    const frequent = await member.getAlbumList2({ type: 'frequent' });
    expect(frequent.albumList2.album.map((a: any) => a.name)).toEqual(['Night Roads']);
    expect((await member.getSong({ id: ember.id })).song.playCount).toBe(2);
    // Plays are the member's own.
    expect((await owner.getAlbumList2({ type: 'recent' })).albumList2.album).toEqual([]);
  });

  it('stars, unstars, getStarred2 and setRating', async () => {
    const sun = await songByTitle('Sun');
    expect((await member.star({ id: sun.id, albumId: sun.albumId, artistId: sun.artistId })).status).toBe('ok');
    let starred = await member.getStarred2();
    expect(starred.starred2.song.map((x: any) => x.title)).toEqual(['Sun']);
    expect(starred.starred2.album.map((x: any) => x.name)).toEqual(['Summer Hits']);
    expect(starred.starred2.artist.map((x: any) => x.name)).toEqual(['Various Artists']);
    expect((await member.getAlbumList2({ type: 'starred' })).albumList2.album.map((a: any) => a.name)).toEqual([
      'Summer Hits',
    ]);
    expect((await member.unstar({ id: sun.id })).status).toBe('ok');
    starred = await member.getStarred2();
    expect(starred.starred2.song).toEqual([]);
    expect((await member.setRating({ id: sun.id, rating: 4 })).status).toBe('ok');
    expect((await member.getSong({ id: sun.id })).song.userRating).toBe(4);
    expect((await owner.getSong({ id: sun.id })).song.userRating).toBeUndefined();
  });

  it('playlists: create, read, update (add, remove, rename), delete; only the owner may change one', async () => {
    const [a, b, c] = await Promise.all(['Lantern', 'Harbour', 'Tin Roof'].map(songByTitle));
    const made = await member.createPlaylist({ name: 'Evening', songId: [a.id, b.id] });
    expect(made.playlist).toMatchObject({ name: 'Evening', owner: 'milo', songCount: 2 });
    const id = made.playlist.id;
    expect(
      (
        await member.updatePlaylist({
          playlistId: id,
          name: 'Late evening',
          songIdToAdd: [c.id],
          songIndexToRemove: [0],
        })
      ).status,
    ).toBe('ok');
    const read = await member.getPlaylist({ id });
    expect(read.playlist.name).toBe('Late evening');
    expect(read.playlist.entry.map((x: any) => x.title)).toEqual(['Harbour', 'Tin Roof']);
    expect((await member.getPlaylists()).playlists.playlist.map((p: any) => p.name)).toEqual(['Late evening']);
    // Someone else's private playlist does not exist for the owner of the server either.
    expect((await owner.getPlaylist({ id })).error.code).toBe(70);
    expect((await owner.deletePlaylist({ id })).error.code).toBe(70);
    expect((await member.deletePlaylist({ id })).status).toBe('ok');
    expect((await member.getPlaylist({ id })).error.code).toBe(70);
  });

  it("the web app's playlists and stars are the ones music apps see", async () => {
    const [a, b] = await Promise.all(['Lantern', 'Sun'].map(songByTitle));
    const made = await s.request('POST', '/api/v1/playlists', {
      token: memberToken,
      body: { name: 'Made on the web', item_ids: [a.id] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ name: 'Made on the web', own: true, song_count: 1 });
    const inApp = await member.getPlaylist({ id: made.body.id });
    expect(inApp.playlist.entry.map((x: any) => x.title)).toEqual(['Lantern']);
    expect((await member.updatePlaylist({ playlistId: made.body.id, songIdToAdd: [b.id] })).status).toBe('ok');
    const onWeb = await s.request('GET', `/api/v1/playlists/${made.body.id}`, { token: memberToken });
    expect(onWeb.body.tracks.map((t: any) => t.title)).toEqual(['Lantern', 'Sun']);
    const renamed = await s.request('PATCH', `/api/v1/playlists/${made.body.id}`, {
      token: memberToken,
      body: { name: 'Renamed', remove_indexes: [0] },
    });
    expect(renamed.body).toMatchObject({ name: 'Renamed', song_count: 1 });
    expect((await s.request('GET', `/api/v1/playlists/${made.body.id}`, { token: m.admin })).status).toBe(404);
    const whisper = await songByTitle('Whisper');
    expect(
      (
        await s.request('PATCH', `/api/v1/playlists/${made.body.id}`, {
          token: memberToken,
          body: { add: [whisper.id] },
        })
      ).status,
    ).toBe(404);
    expect((await s.request('PUT', `/api/v1/items/${b.id}/star`, { token: memberToken, body: {} })).status).toBe(200);
    expect((await member.getSong({ id: b.id })).song.starred).toBeDefined();
    expect((await s.request('DELETE', `/api/v1/playlists/${made.body.id}`, { token: memberToken })).status).toBe(200);
    expect((await member.getPlaylist({ id: made.body.id })).error.code).toBe(70);
    await member.unstar({ id: b.id });
  });

  it('savePlayQueue and getPlayQueue carry a queue from one app to another', async () => {
    const [a, b] = await Promise.all(['Lantern', 'Ember'].map(songByTitle));
    expect((await member.savePlayQueue({ id: [a.id, b.id], current: b.id, position: 12_000 })).status).toBe('ok');
    const other = client(s, { apiKey: memberKey });
    const queue = await other.getPlayQueue();
    expect(queue.playQueue).toMatchObject({ current: b.id, position: 12_000, username: 'milo' });
    expect(queue.playQueue.entry.map((x: any) => x.title)).toEqual(['Lantern', 'Ember']);
  });

  it('getLyricsBySongId gives synced lyrics from the .lrc beside the track', async () => {
    const lantern = await songByTitle('Lantern');
    const lyrics = await owner.getLyricsBySongId({ id: lantern.id });
    const first = lyrics.lyricsList.structuredLyrics[0];
    expect(first).toMatchObject({ synced: true, displayTitle: 'Lantern' });
    expect(first.line).toEqual([
      { start: 1500, value: 'First line' },
      { start: 3000, value: 'Second line' },
    ]);
  });

  it('a member sees only the music folders granted to them; the rest answers 70 like a missing id', async () => {
    const folders = await member.getMusicFolders();
    expect(folders.musicFolders.musicFolder.map((f: any) => f.name)).toEqual(['Music']);
    const names = (await member.getArtists()).artists.index.flatMap((i: any) => i.artist.map((a: any) => a.name));
    expect(names).not.toContain('Secret Band');
    const whisper = await songByTitle('Whisper');
    expect((await member.getSong({ id: whisper.id })).error.code).toBe(70);
    expect((await member.getAlbum({ id: whisper.albumId })).error.code).toBe(70);
    const stream = await raw(s, 'stream', { apiKey: memberKey, id: whisper.id, f: 'json' });
    expect(stream.json.error.code).toBe(70);
    expect((await raw(s, 'getCoverArt', { apiKey: memberKey, id: whisper.id, f: 'json' })).json.error.code).toBe(70);
    expect((await member.search3({ query: 'whisper' })).searchResult3.song).toEqual([]);
    expect((await member.star({ id: whisper.id })).error.code).toBe(70);
    expect((await member.createPlaylist({ name: 'Sneaky', songId: [whisper.id] })).error.code).toBe(70);
    expect((await member.getAlbumList2({ type: 'alphabeticalByName', musicFolderId: 2 })).albumList2.album).toEqual([]);
    void PASSWORD;
  });

  it('answers XML in the Subsonic schema by default, and every album list type answers', async () => {
    const xml = await raw(s, 'getAlbumList2.view', { apiKey: ownerKey, type: 'newest' });
    expect(xml.headers.get('content-type')).toContain('text/xml');
    expect(xml.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?><subsonic-response xmlns="http:\/\/subsonic.org\/restapi" status="ok"/,
    );
    expect(xml.text).toMatch(/<albumList2><album id="[^"]+" /);
    for (const type of [
      'random',
      'newest',
      'frequent',
      'recent',
      'alphabeticalByName',
      'alphabeticalByArtist',
      'starred',
      'highest',
    ]) {
      expect((await owner.getAlbumList2({ type })).status, type).toBe('ok');
    }
    expect((await owner.getRandomSongs({ size: 3 })).randomSongs.song).toHaveLength(3);
  });
});

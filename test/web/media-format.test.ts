// The media pages' pure helpers, in Node: times, labels, where playback resumes, and whether a file plays.
import { describe, expect, it } from 'vitest';
import type { MediaItem } from '../../web/src/api/media.ts';
import {
  codecLabel,
  displayTitle,
  episodeCode,
  formatClock,
  formatDuration,
  formatSize,
  itemSubtitle,
  nearTheEnd,
  playbackVerdict,
  progressShare,
  resolutionLabel,
  resumePosition,
  spokenClock,
} from '../../web/src/media/format.ts';

function item(fields: Partial<MediaItem> = {}): MediaItem {
  return {
    id: 'i1',
    library_id: 'l1',
    parent_id: null,
    type: 'movie',
    title: 'Test Pattern',
    year: 2024,
    index: null,
    index_end: null,
    disc: null,
    part: null,
    edition: null,
    air_date: null,
    artist: null,
    extra_type: null,
    playable: true,
    size: 12_345,
    mime: 'video/mp4',
    container: 'mov,mp4,m4a,3gp,3g2,mj2',
    video_codec: 'h264',
    audio_codec: 'aac',
    width: 1920,
    height: 1080,
    duration_seconds: 6000,
    browser_playable: true,
    has_artwork: false,
    child_count: 0,
    added_at: '2026-01-01T00:00:00.000Z',
    progress: null,
    version_label: null,
    original_title: null,
    plot: null,
    tagline: null,
    rating: null,
    certification: null,
    premiered: null,
    runtime_minutes: null,
    genres: [],
    studios: [],
    tags: [],
    people: [],
    collection: null,
    external_ids: {},
    chapters: [],
    has_thumbnail: false,
    ...fields,
  };
}

const progress = (position_seconds: number, watched = false) => ({
  position_seconds,
  watched,
  updated_at: '2026-01-01T00:00:00.000Z',
});

describe('media formatting', () => {
  it('writes durations, clocks and sizes for people and for screen readers', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(240)).toBe('4 min');
    expect(formatDuration(5520)).toBe('1 h 32 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(null)).toBe('');
    expect(formatClock(125)).toBe('2:05');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(Number.NaN)).toBe('0:00');
    expect(spokenClock(65)).toBe('1 minute 5 seconds');
    expect(spokenClock(0)).toBe('0 seconds');
    expect(formatSize(999)).toBe('999 bytes');
    expect(formatSize(1_500_000)).toBe('1.5 MB');
    expect(formatSize(734_000_000)).toBe('734 MB');
  });

  it('names resolutions by their frame, cinema crops included, and codecs by their common names', () => {
    expect(resolutionLabel(3840, 2160)).toBe('4K');
    expect(resolutionLabel(1920, 800)).toBe('1080p');
    expect(resolutionLabel(1280, 720)).toBe('720p');
    expect(resolutionLabel(720, 480)).toBe('SD');
    expect(resolutionLabel(160, 120)).toBe('160×120');
    expect(resolutionLabel(null, 120)).toBeNull();
    expect(codecLabel('h264')).toBe('H.264');
    expect(codecLabel('hevc')).toBe('HEVC (H.265)');
    expect(codecLabel('e-ac-3')).toBe('Dolby Digital Plus (E-AC-3)');
    expect(codecLabel('prores')).toBe('PRORES');
  });

  it('numbers episodes and seasons, and says what a group holds', () => {
    expect(episodeCode(1, 2)).toBe('S01E02');
    expect(episodeCode(1, 1, 3)).toBe('S01E01–E03');
    expect(episodeCode(null, 7)).toBe('E07');
    expect(displayTitle(item({ type: 'season', title: 'Season 2', index: 2 }))).toBe('Season 2');
    expect(displayTitle(item({ type: 'season', title: 'Season 0', index: 0 }))).toBe('Specials');
    expect(displayTitle(item({ type: 'season', title: 'The Early Years', index: 1 }))).toBe('The Early Years');
    expect(itemSubtitle(item({ type: 'show', year: 2019, child_count: 3 }))).toBe('2019 · 3 seasons');
    expect(itemSubtitle(item({ type: 'album', year: null, child_count: 1 }))).toBe('1 track');
    expect(itemSubtitle(item({ type: 'episode', index: 4 }), 2)).toBe('S02E04');
    expect(itemSubtitle(item({ type: 'track', index: 3, artist: 'Nina' }))).toBe('Track 3 · Nina');
    expect(itemSubtitle(item({ edition: "Director's Cut" }))).toBe("2024 · Director's Cut");
  });

  it('resumes where the viewer stopped, except at the very start, near the end, or once watched', () => {
    expect(resumePosition(null, 6000)).toBeNull();
    expect(resumePosition(progress(600), 6000)).toBe(600);
    expect(resumePosition(progress(3), 6000)).toBeNull();
    expect(resumePosition(progress(5500), 6000)).toBeNull();
    expect(resumePosition(progress(600, true), 6000)).toBeNull();
    // A short clip: a couple of seconds in is worth resuming.
    expect(resumePosition(progress(2.2), 6)).toBe(2.2);
    expect(resumePosition(progress(0.1), 6)).toBeNull();
    expect(resumePosition(progress(8), null)).toBe(8);
    expect(nearTheEnd(5.5, 6)).toBe(true);
    expect(nearTheEnd(5, 6)).toBe(false);
    expect(nearTheEnd(5, Number.NaN)).toBe(false);
    expect(progressShare(item({ progress: progress(1500) }))).toBe(0.25);
    expect(progressShare(item({ progress: progress(1500, true) }))).toBeNull();
    expect(progressShare(item({ progress: progress(0) }))).toBeNull();
  });

  it('says whether a file plays here, from the server verdict and what this browser reports', () => {
    const chromium = (type: string) =>
      /hvc1|mpeg4|x-msvideo/.test(type) ? '' : type.includes('codecs') ? 'probably' : 'maybe';
    const nothing = () => '';
    expect(playbackVerdict(item(), chromium).kind).toBe('direct');
    expect(playbackVerdict(item(), nothing)).toEqual({ kind: 'no', text: expect.stringContaining('cannot play MP4') });
    // Matroska with H.264: not every browser, but this one says it can.
    const mkv = item({ mime: 'video/x-matroska', container: 'matroska,webm', browser_playable: false });
    expect(playbackVerdict(mkv, chromium).kind).toBe('maybe');
    const hevc = item({ video_codec: 'hevc', browser_playable: false });
    expect(playbackVerdict(hevc, chromium)).toEqual({
      kind: 'no',
      text: expect.stringContaining('cannot play HEVC (H.265) with AAC in MP4'),
    });
    const mpeg4 = item({ video_codec: 'mpeg4', browser_playable: false });
    expect(playbackVerdict(mpeg4, chromium)).toEqual({
      kind: 'no',
      text: expect.stringContaining('Browsers cannot play MPEG-4 Part 2'),
    });
    const unprobed = item({ video_codec: null, audio_codec: null, container: null, browser_playable: false });
    expect(playbackVerdict(unprobed, chromium).kind).toBe('maybe');
    expect(playbackVerdict(item({ type: 'show', playable: false }), chromium).kind).toBe('no');
  });
});

// The web player in Debian's Chromium (no HEVC, no AC-3): an HEVC + AC-3 film in Matroska with two audio
// languages and a French Windows-1252 sidecar plays through hls.js — time advances, a seek to 80 % plays
// from there, the French cue's accents are right, and choosing the French audio changes the stream.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playbackOf } from '../../src/playback/hls.ts';
import {
  openPage,
  screenshot,
  signInThroughPage,
  startWebStack,
  viewports,
  waitForText,
  type WebStack,
} from '../helpers/browser.ts';
import { createLibrary, haveFfmpeg, scan, tempDir, allItems } from '../media/media-helpers.ts';
import { FRENCH_CUE, writeFrenchSidecar } from '../playback/clips.ts';

const ADMIN = { username: 'olive', password: 'velvet thunder orchard mosaic' };

describe('web player: every file plays', { timeout: 120_000 }, () => {
  let stack: WebStack | null = null;
  let page: Page;
  let itemId = '';
  const problems: string[] = [];
  const playlists: string[] = [];

  beforeAll(async () => {
    if (!haveFfmpeg()) return;
    stack = await startWebStack({ jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    const dir = join(tempDir('hearth-web-playback-'), 'films');
    const film = join(dir, 'Hevc Film (2020).mkv');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=duration=40:size=320x240:rate=12',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=40:sample_rate=48000',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=880:duration=40:sample_rate=48000',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-map',
      '2:a',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'ac3',
      '-ac',
      '2',
      '-metadata:s:a:0',
      'language=eng',
      '-metadata:s:a:1',
      'language=fre',
      '-shortest',
      film,
    ]);
    writeFrenchSidecar(join(dir, 'Hevc Film (2020).fr.srt'));
    const server = stack.server;
    await server.createUser({ ...ADMIN, role: 'admin' });
    const token = await server.login(ADMIN.username, ADMIN.password);
    const library = await createLibrary(server, token, 'Films', 'movies', [dir]);
    await scan(server, token, library);
    itemId = (await allItems(server, token, library))[0].id;
    page = await openPage(stack.browser, server.url, viewports.desktop, problems);
    page.on('request', (request) => {
      if (request.url().includes('index.m3u8')) playlists.push(new URL(request.url()).pathname);
    });
    await signInThroughPage(page, ADMIN.username, ADMIN.password);
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
  });

  const video = () => page.locator('video');
  const currentTime = () => video().evaluate((v: HTMLVideoElement) => v.currentTime);

  it('plays the HEVC + AC-3 film through hls.js: time advances, and after a seek to 80 % it plays from there', async (ctx) => {
    if (stack === null) return ctx.skip();
    await page.goto(`/play/${itemId}`);
    await video().waitFor();
    // Chromium here has no HEVC: the decision is a transcode, and the info panel says why.
    await page.getByRole('button', { name: 'Playback info' }).click();
    await waitForText(page.getByTestId('playback-info'), 'Converted by the server');
    await waitForText(page.getByTestId('playback-info'), 'HEVC');
    // Muted so that autoplay rules never stand in the way.
    await video().evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      void v.play();
    });
    await expect.poll(currentTime, { timeout: 60_000 }).toBeGreaterThan(1);
    expect(await video().evaluate((v: HTMLVideoElement) => v.src.startsWith('blob:'))).toBe(true);
    const duration = await video().evaluate((v: HTMLVideoElement) => v.duration);
    expect(duration).toBeGreaterThan(39);
    await video().evaluate((v: HTMLVideoElement, to: number) => {
      v.currentTime = to;
    }, duration * 0.8);
    await expect.poll(currentTime, { timeout: 60_000 }).toBeGreaterThan(duration * 0.8 + 1);
    expect(await video().evaluate((v: HTMLVideoElement) => v.paused)).toBe(false);
    await screenshot(page, 'playback-hevc');
  });

  it('shows the French sidecar subtitle with its accents right', async (ctx) => {
    if (stack === null) return ctx.skip();
    const menu = page.getByRole('combobox', { name: 'Subtitles' });
    const french = await menu.locator('option', { hasText: 'French' }).getAttribute('value');
    await menu.selectOption(french!);
    const cues = () =>
      video().evaluate((v: HTMLVideoElement) => {
        const track = Array.from(v.textTracks).find((t) => t.mode === 'showing');
        return track?.cues ? Array.from(track.cues).map((c) => (c as VTTCue).text) : [];
      });
    await expect.poll(cues, { timeout: 20_000 }).toContain(FRENCH_CUE);
  });

  it('switching the audio language changes the stream and keeps the time', async (ctx) => {
    if (stack === null) return ctx.skip();
    await video().evaluate((v: HTMLVideoElement) => {
      v.currentTime = 8;
    });
    await expect.poll(currentTime, { timeout: 30_000 }).toBeGreaterThan(8.5);
    const before = playlists.length;
    const firstPlaylist = playlists[before - 1];
    const service = playbackOf(stack!.server.deps);
    expect(service.list().map((s) => s.info.spec.audioIndex)).toEqual([1]);
    const audio = page.getByRole('combobox', { name: 'Audio' });
    const french = await audio.locator('option', { hasText: 'French' }).getAttribute('value');
    await audio.selectOption(french!);
    await expect.poll(() => playlists.length, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(playlists[playlists.length - 1]).not.toBe(firstPlaylist);
    // The server now encodes the second audio stream, and the old playback is gone.
    await expect.poll(() => service.list().map((s) => s.info.spec.audioIndex), { timeout: 20_000 }).toEqual([2]);
    await expect.poll(currentTime, { timeout: 60_000 }).toBeGreaterThan(9);
    expect(await currentTime()).toBeLessThan(30);
    expect(problems).toEqual([]);
  });

  it('the admin console shows who plays what, how and why, and stops it', async (ctx) => {
    if (stack === null) return ctx.skip();
    const console = await openPage(stack.browser, stack.server.url, viewports.desktop, problems);
    await signInThroughPage(console, ADMIN.username, ADMIN.password);
    await console.goto('/admin/now-playing');
    const row = console.getByRole('row', { name: /Hevc Film/ });
    await waitForText(row, 'Transcode');
    await waitForText(row, 'HEVC');
    await screenshot(console, 'admin-now-playing');
    await console.getByRole('button', { name: `Stop Hevc Film for ${ADMIN.username}` }).click();
    await waitForText(console.getByRole('status').filter({ hasText: 'Stopped' }), 'Stopped Hevc Film');
    expect(playbackOf(stack.server.deps).list()).toEqual([]);
    expect(problems).toEqual([]);
  });
});

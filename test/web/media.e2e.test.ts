// The media side of the web app in Debian's Chromium: an admin adds and scans a library with live progress
// and shares it; a member browses it, plays a real clip from a stream URL, leaves and comes back to the same
// place; a member without the grant sees nothing of it. Debian's Chromium plays H.264/AAC in MP4.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openPage,
  screenshot,
  signInThroughPage,
  viewports,
  waitForText,
  startWebStack,
  type WebStack,
} from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { copy, createLibrary, haveFfmpeg, put, scan, tempDir } from '../media/media-helpers.ts';

const ADMIN = { username: 'olive', password: 'velvet thunder orchard mosaic' };
const MEMBER = { username: 'milo', password: 'amber lantern drifts eastward' };
const OUTSIDER = { username: 'nora', password: 'pebble harbor sings at noon' };

const run = promisify(execFile);

function ffmpeg(args: string[]): Promise<unknown> {
  return run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A one-second MP3 with tags and an embedded front cover. */
function track(path: string, cover: string, tags: Record<string, string>): Promise<unknown> {
  put(path);
  return ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=duration=1',
    '-i',
    cover,
    '-map',
    '0:a',
    '-map',
    '1:v',
    '-c:a',
    'libmp3lame',
    '-c:v',
    'copy',
    '-id3v2_version',
    '3',
    '-metadata:s:v',
    'comment=Cover (front)',
    '-disposition:v',
    'attached_pic',
    ...Object.entries(tags).flatMap(([key, value]) => ['-metadata', `${key}=${value}`]),
    path,
  ]);
}

/**
 * Films: two playable ones (one with a poster, one without), one whose MPEG-4 Part 2 video no browser
 * plays, and one file that is not media at all. A show of two episodes, an album of two tracks, and an
 * archive of seventy films. The encoders run side by side.
 */
async function makeFixture(media: string): Promise<void> {
  const root = join(media, 'films');
  const clip = put(join(root, 'Test Pattern (2024)', 'Test Pattern (2024).mp4'));
  const sine = put(join(root, 'Sine Wave (2023).mp4'));
  const cover = join(media, 'cover.jpg');
  await Promise.all([
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=6:size=160x120:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=6',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      clip,
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=200x300',
      '-frames:v',
      '1',
      join(root, 'Test Pattern (2024)', 'poster.jpg'),
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=duration=2:size=160x120:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=2:frequency=660',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      sine,
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=duration=1:size=160x120:rate=10',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      '-c:v',
      'mpeg4',
      '-c:a',
      'aac',
      '-shortest',
      join(root, 'Old Camcorder (2005).mp4'),
    ]),
    ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:size=32x32', '-frames:v', '1', cover]),
  ]);
  put(join(root, 'Broken (2019).mp4'), Buffer.from('this is not a video file at all, only text'.repeat(40)));

  const season = join(media, 'shows', 'Night Garden (2020)', 'Season 01');
  copy(sine, join(season, 'Night Garden - S01E01 - Seeds.mp4'));
  copy(sine, join(season, 'Night Garden - S01E02 - Roots.mp4'));

  const album = join(media, 'music', 'Nina Test', 'First Light (2021)');
  const tags = { artist: 'Nina Test', album_artist: 'Nina Test', album: 'First Light', date: '2021' };
  await Promise.all([
    track(join(album, '01 - Morning.mp3'), cover, { ...tags, title: 'Morning', track: '1' }),
    track(join(album, '02 - Noon.mp3'), cover, { ...tags, title: 'Noon', track: '2' }),
  ]);

  // More than a page of the grid: empty files, scanned by name only.
  for (let n = 1; n <= 70; n += 1) put(join(media, 'archive', `Reel ${String(n).padStart(3, '0')} (${1950 + n}).mp4`));
}

// The tests run in order and build on each other, as one admin and two members would: the library the
// first one creates and shares is the one the others browse.
describe('web app: libraries, items and the player', { timeout: 60_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  let media = '';
  let libraryId = '';
  const problems: string[] = [];
  let admin: Page;
  let adminToken = '';

  beforeAll(async () => {
    if (!haveFfmpeg()) return;
    stack = await startWebStack({ jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    ({ browser, server } = stack);
    media = tempDir('hearth-web-media-');
    await makeFixture(media);
    await server.createUser({ ...ADMIN, role: 'admin' });
    await server.createUser(MEMBER);
    await server.createUser(OUTSIDER);
    adminToken = await server.login(ADMIN.username, ADMIN.password);
  });

  afterAll(async () => {
    await stack?.close();
    if (media !== '') rmSync(media, { recursive: true, force: true });
  });

  const ready = () => browser !== null;

  const itemId = async (title: string): Promise<string> => {
    const res = await server.request('GET', `/api/v1/libraries/${libraryId}/items?q=${encodeURIComponent(title)}`, {
      token: adminToken,
    });
    const found = (res.body.items as { id: string; title: string }[]).find((item) => item.title === title);
    if (found === undefined) throw new Error(`no item ${title}: ${JSON.stringify(res.body)}`);
    return found.id;
  };

  it('the admin adds a library, follows its scan live, sees the file it skipped, and shares it with one member', async (ctx) => {
    if (!ready()) return ctx.skip();
    admin = await openPage(browser!, server.url, viewports.desktop, problems);
    await signInThroughPage(admin, ADMIN.username, ADMIN.password);
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    await admin.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Libraries' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Admin · Libraries' }).waitFor();

    // Every text the scan's status line shows, so the test sees it change while the scan runs.
    await admin.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenScanStates: string[] }).seenScanStates = seen;
      new MutationObserver(() => {
        const text = document.querySelector('.scan-headline')?.textContent ?? '';
        if (seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const form = admin.getByRole('region', { name: 'Add a library' });
    await form.getByLabel('Name').fill('Films');
    await form.getByLabel('Kind').selectOption('movies');
    await form.getByLabel('Folders').fill(join(media, 'films'));
    await form.getByRole('button', { name: 'Add library' }).click();
    const card = admin.getByRole('article', { name: 'Films' });
    // Adding a library starts its first scan; the "added" notice goes once that scan ends.
    await waitForText(card.getByRole('status'), 'Scan finished', 20_000);
    const seen = await admin.evaluate(() => (window as unknown as { seenScanStates: string[] }).seenScanStates);
    expect(seen.some((text) => /waiting to start|Scanning:/.test(text))).toBe(true);
    expect(seen[seen.length - 1]).toMatch(/^Scan finished/);
    await expect.poll(() => admin.getByText('Films is added').count()).toBe(0);
    await waitForText(card, '4 added');

    const skipped = card.getByText('1 file skipped');
    await skipped.click();
    const list = card.getByRole('list', { name: 'Files skipped in Films' });
    await waitForText(list, 'Broken (2019).mp4');
    await screenshot(admin, 'media-admin-libraries');

    libraryId = (await server.request('GET', '/api/v1/libraries', { token: adminToken })).body[0].id;

    const milo = admin.getByRole('group', { name: MEMBER.username });
    await milo.getByLabel('Films').check();
    await waitForText(admin.getByRole('region', { name: 'Who sees what' }), 'milo can now see Films.');
    expect(await admin.getByRole('group', { name: OUTSIDER.username }).getByLabel('Films').isChecked()).toBe(false);
    expect(problems).toEqual([]);
  });

  it('a file browsers cannot play says so on its page, and the player has the server convert it', async (ctx) => {
    if (!ready()) return ctx.skip();
    await admin.goto(`/libraries/${libraryId}`);
    await admin.getByRole('link', { name: /^Old Camcorder/ }).click();
    await admin.getByRole('heading', { level: 1, name: 'Old Camcorder' }).waitFor();
    await waitForText(admin.locator('.verdict'), 'Browsers cannot play MPEG-4 Part 2. Hearth converts it');
    await admin.getByRole('link', { name: 'Play', exact: true }).click();
    // Since issue 14 the server transcodes it to H.264 over HLS; the info panel says why.
    await admin.locator('video').waitFor();
    await admin.getByRole('button', { name: 'Playback info' }).click();
    await waitForText(admin.getByTestId('playback-info'), 'MPEG-4 Part 2');
    await screenshot(admin, 'media-cannot-play');
    expect(problems).toEqual([]);
  });

  it('S72: the member browses the grid, plays the clip from a stream URL, leaves, and comes back to the same place', async (ctx) => {
    if (!ready()) return ctx.skip();
    const page = await openPage(browser!, server.url, viewports.tv, problems);
    await signInThroughPage(page, MEMBER.username, MEMBER.password);
    const libraries = page.getByRole('list', { name: 'Libraries' });
    await waitForText(libraries, 'Films');
    await libraries.getByRole('link', { name: /Films/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Films' }).waitFor();

    const grid = page.getByRole('list', { name: 'Films: Movies' });
    await waitForText(page.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 3 of 3.');
    expect(await grid.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Old Camcorder'),
      expect.stringContaining('Sine Wave'),
      expect.stringContaining('Test Pattern'),
    ]);
    // The poster comes from the API; a film without one shows a frame of its own, made by the thumbnail job after
    // the scan (until then, the placeholder).
    const poster = grid.getByRole('link', { name: /Test Pattern/ }).locator('img');
    await expect.poll(() => poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(200);
    const frame = grid.getByRole('link', { name: /Sine Wave/ }).locator('img');
    await expect
      .poll(
        async () => {
          if ((await frame.count()) === 1)
            return frame.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
          await page.reload();
          await waitForText(page.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 3 of 3.');
          return false;
        },
        { timeout: 60_000 },
      )
      .toBe(true);

    await page.getByLabel('Sort by').selectOption('year-desc');
    await expect.poll(() => grid.getByRole('listitem').first().textContent()).toContain('Test Pattern');
    await page.getByLabel('Search').fill('sine');
    await waitForText(page.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 1 of 1.');
    expect(page.url()).toContain('q=sine');
    await page.getByLabel('Search').fill('');
    await waitForText(page.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 3 of 3.');
    await screenshot(page, 'media-library');

    // Keyboard: the posters are links in order; Enter opens one.
    await grid.getByRole('link', { name: /Test Pattern/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Test Pattern' }).waitFor();
    await waitForText(page.locator('.verdict'), 'Plays directly in this browser.');
    await waitForText(page.locator('.item-facts'), 'H.264');
    await waitForText(page.locator('.item-facts'), '160×120');
    await waitForText(page.locator('.item-facts'), 'AAC');
    await page.getByRole('button', { name: 'Mark as watched' }).click();
    await page.getByRole('button', { name: 'Mark as not watched' }).click();
    await page.getByRole('button', { name: 'Mark as watched' }).waitFor();
    await screenshot(page, 'media-item');

    await page.getByRole('link', { name: 'Play', exact: true }).click();
    const video = page.locator('video');
    await video.waitFor();
    const src = await video.evaluate((element: HTMLVideoElement) => element.currentSrc);
    const cookies = await page.context().cookies();
    expect(src).toMatch(/\/api\/v1\/items\/[^/]+\/stream\?st=hst_/);
    for (const cookie of cookies) expect(src).not.toContain(cookie.value);

    await startPlaying(page);
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime), { timeout: 10_000 })
      .toBeGreaterThan(2);
    await screenshot(page, 'media-player');
    // Space pauses (and the pause is reported to the server).
    await page.keyboard.press(' ');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.paused)).toBe(true);
    const stoppedAt = await video.evaluate((element: HTMLVideoElement) => element.currentTime);
    expect(stoppedAt).toBeGreaterThan(2);
    expect(stoppedAt).toBeLessThan(5);

    // Leave through the breadcrumbs; the item page shows where the member stopped.
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Films' }).click();
    await page.getByRole('heading', { level: 1, name: 'Films' }).waitFor();
    const id = await itemId('Test Pattern');
    // Asked with the member's own session cookie, from their browser.
    const saved = (await (await page.request.get(`/api/v1/items/${id}`)).json()).progress;
    expect(saved.position_seconds).toBeCloseTo(stoppedAt, 0);
    expect(saved.watched).toBe(false);

    await page.getByRole('link', { name: 'Home', exact: true }).click();
    const resumeRow = page.getByRole('list', { name: 'Continue watching' });
    await waitForText(resumeRow, 'Test Pattern');
    await screenshot(page, 'media-home');
    await page.getByRole('search').getByLabel('Search every library').fill('wave');
    await expect
      .poll(() => page.getByRole('list', { name: 'Search results' }).getByRole('listitem').allTextContents())
      .toEqual([expect.stringContaining('Sine Wave')]);
    await resumeRow.getByRole('link', { name: /Test Pattern/ }).click();

    // Back in the player: it seeks to the saved place once the metadata is in.
    await video.waitFor();
    await waitForText(page.locator('.player-resumed'), 'Resumed at 0:0');
    await startPlaying(page);
    const resumedAt = await video.evaluate((element: HTMLVideoElement) => element.currentTime);
    expect(resumedAt).toBeGreaterThan(stoppedAt - 0.5);
    expect(resumedAt).toBeLessThan(6);
    // Left arrow skips back ten seconds, here to the start.
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime)).toBeLessThan(1);
    await page.keyboard.press(' ');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.paused)).toBe(true);

    await page.setViewportSize(viewports.phone);
    await page.goto(`/libraries/${libraryId}`);
    await waitForText(page.getByRole('status').filter({ hasText: 'Showing' }), 'Showing 3 of 3.');
    await screenshot(page, 'media-library-phone');
    expect(problems).toEqual([]);
  });

  it('a show opens on its seasons and episodes, an artist on albums and tracks, and a track plays in the audio player', async (ctx) => {
    if (!ready()) return ctx.skip();
    const showsId = await createLibrary(server, adminToken, 'Series', 'shows', [join(media, 'shows')]);
    const musicId = await createLibrary(server, adminToken, 'Records', 'music', [join(media, 'music')]);
    await scan(server, adminToken, showsId);
    await scan(server, adminToken, musicId);

    await admin.goto(`/libraries/${showsId}`);
    await admin
      .getByRole('list', { name: 'Series: Shows' })
      .getByRole('link', { name: /Night Garden/ })
      .click();
    await admin.getByRole('heading', { level: 1, name: 'Night Garden' }).waitFor();
    await admin
      .getByRole('list', { name: 'Seasons' })
      .getByRole('link', { name: /Season 1/ })
      .click();
    await admin.getByRole('heading', { level: 1, name: 'Season 1' }).waitFor();
    const episodes = admin.getByRole('list', { name: 'Episodes' });
    expect(await episodes.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/S01E01.*Seeds/),
      expect.stringMatching(/S01E02.*Roots/),
    ]);
    await admin.getByRole('link', { name: 'Play first episode' }).waitFor();
    await screenshot(admin, 'media-season');
    await episodes.getByRole('link', { name: /Roots/ }).click();
    await admin.getByRole('heading', { level: 1, name: 'Roots' }).waitFor();
    await waitForText(admin.locator('.lead'), 'Night Garden · Episode · S01E02');
    const crumbs = admin.getByRole('navigation', { name: 'Breadcrumbs' });
    await waitForText(crumbs, 'Series');
    expect(await crumbs.getByRole('link').allTextContents()).toEqual(['Series', 'Night Garden', 'Season 1']);

    await admin.goto(`/libraries/${musicId}`);
    await admin.getByLabel('Show').selectOption('track');
    const allTracks = admin.getByRole('list', { name: 'Records: Tracks' });
    await expect.poll(() => allTracks.getByRole('listitem').count()).toBe(2);
    await admin.getByLabel('Show').selectOption('');
    await admin
      .getByRole('list', { name: 'Records: Artists' })
      .getByRole('link', { name: /Nina Test/ })
      .click();
    await admin.getByRole('heading', { level: 1, name: 'Nina Test' }).waitFor();
    await admin
      .getByRole('list', { name: 'Albums' })
      .getByRole('link', { name: /First Light/ })
      .click();
    await admin.getByRole('heading', { level: 1, name: 'First Light' }).waitFor();
    // The album's cover is the one embedded in its tracks.
    const cover = admin.locator('.item-poster img');
    await expect.poll(() => cover.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
    const tracks = admin.getByRole('list', { name: 'Tracks' });
    expect(await tracks.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Morning'),
      expect.stringContaining('Noon'),
    ]);
    await screenshot(admin, 'media-album');
    await tracks.getByRole('link', { name: 'Play Morning' }).click();
    // A one-second track may end before a check for "playing" comes round: its clock moving is the proof.
    const audio = admin.locator('audio');
    await expect
      .poll(() => audio.evaluate((element: HTMLAudioElement) => element.readyState), { timeout: 10_000 })
      .toBeGreaterThan(0);
    if (await audio.evaluate((element: HTMLAudioElement) => element.paused && element.currentTime === 0)) {
      await admin.getByRole('group', { name: 'Player controls' }).getByRole('button', { name: 'Play' }).click();
    }
    await expect.poll(() => audio.evaluate((element: HTMLAudioElement) => element.currentTime)).toBeGreaterThan(0.3);
    // At the end of a track the album plays on.
    await admin.getByRole('heading', { level: 1, name: 'Noon' }).waitFor({ timeout: 15_000 });
    expect(problems).toEqual([]);
  });

  it('a long library loads its next page as the grid scrolls; the admin renames the library, then removes it', async (ctx) => {
    if (!ready()) return ctx.skip();
    const archiveId = await createLibrary(server, adminToken, 'Archive', 'movies', [join(media, 'archive')]);
    await scan(server, adminToken, archiveId, { probe: false });

    await admin.goto(`/libraries/${archiveId}`);
    const count = admin.getByRole('status').filter({ hasText: 'Showing' });
    await waitForText(count, 'Showing 60 of 70.');
    const grid = admin.getByRole('list', { name: 'Archive: Movies' });
    expect(await grid.getByRole('listitem').count()).toBe(60);
    await admin.locator('.library-sentinel').scrollIntoViewIfNeeded();
    await waitForText(count, 'Showing 70 of 70.');
    expect(await grid.getByRole('listitem').count()).toBe(70);
    expect(await admin.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await grid.getByRole('link', { name: /Reel 070/ }).click();
    await admin.getByRole('heading', { level: 1, name: 'Reel 070' }).waitFor();
    await waitForText(admin.locator('.verdict'), 'Not analysed yet');

    await admin.goto('/admin/libraries');
    const card = admin.getByRole('article', { name: 'Archive' });
    await card.getByRole('button', { name: 'Rename Archive' }).click();
    await card.getByLabel('New name for Archive').fill('Old reels');
    await card.getByRole('button', { name: 'Save name' }).click();
    const notices = admin.getByRole('region', { name: 'Libraries' }).getByRole('status').first();
    await waitForText(notices, 'Archive is now called Old reels.');
    const renamed = admin.getByRole('article', { name: 'Old reels' });
    await renamed.getByRole('button', { name: 'Remove Old reels' }).click();
    await waitForText(renamed.getByRole('group', { name: 'Remove Old reels' }), 'The files on disk are not touched.');
    await renamed.getByRole('button', { name: 'Remove Old reels' }).click();
    await waitForText(notices, 'Old reels is removed.');
    await renamed.waitFor({ state: 'detached' });
    expect((await server.request('GET', `/api/v1/libraries/${archiveId}`, { token: adminToken })).status).toBe(404);
    expect(problems).toEqual([]);
  });

  it('S70: a member without the grant does not see the library, and its pages answer not found', async (ctx) => {
    if (!ready()) return ctx.skip();
    const page = await openPage(browser!, server.url, viewports.phone, problems);
    await signInThroughPage(page, OUTSIDER.username, OUTSIDER.password);
    await waitForText(page.getByRole('main'), 'No libraries are shared with you yet.');
    expect(await page.getByRole('list', { name: 'Libraries' }).count()).toBe(0);

    const id = await itemId('Test Pattern');
    for (const path of [`/libraries/${libraryId}`, `/items/${id}`, `/play/${id}`]) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    }
    expect(await page.locator('video').count()).toBe(0);
    expect((await page.request.get(`/api/v1/items/${id}`)).status()).toBe(404);
    expect((await page.request.get(`/api/v1/libraries/${libraryId}`)).status()).toBe(404);
    expect(problems).toEqual([]);
  });
});

/** Starts playback if the browser's autoplay rules held it back, and waits until it really plays. */
async function startPlaying(page: Page): Promise<void> {
  const video = page.locator('video');
  await expect
    .poll(() => video.evaluate((element: HTMLMediaElement) => element.readyState), { timeout: 10_000 })
    .toBeGreaterThan(0);
  if (await video.evaluate((element: HTMLMediaElement) => element.paused)) {
    await page.getByRole('group', { name: 'Player controls' }).getByRole('button', { name: 'Play' }).click();
  }
  await expect
    .poll(() => video.evaluate((element: HTMLMediaElement) => !element.paused), { timeout: 10_000 })
    .toBe(true);
}

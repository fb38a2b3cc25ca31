// The web app as a household meets it, in Debian's Chromium: the owner is signed in straight after setup, a new
// library scans itself, an invited member lands signed in with the invited address fixed, the player fills the
// screen with its whole control bar inside it at every common size and works by keyboard alone, an episode counts
// down to the next one, and every page fits its window, passes axe-core and is photographed at desktop and phone
// size (test-results/screenshots/).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  screenshot,
  startWebStack,
  viewports,
  waitForText,
  watchPageProblems,
  type WebStack,
} from '../helpers/browser.ts';
import { SETUP_TOKEN, type TestServer } from '../helpers/server.ts';
import { copy, haveFfmpeg, makeClip, put, tempDir } from '../media/media-helpers.ts';

const OWNER = { username: 'harriet', email: 'harriet@example.org', password: 'kettle ember window ladder' };
const INVITED = { username: 'jonah', email: 'jonah@example.org', password: 'saffron pebble lighthouse tide' };

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The sizes the player's control bar must fit entirely. */
const playerSizes = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
  { width: 390, height: 844 },
] as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function axeProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    );
}

async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

async function focusedLabel(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (element === null) return '';
    const label = element.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : null;
    return label ?? element.getAttribute('aria-label') ?? element.textContent ?? '';
  });
}

describe('web app: a household uses it', { timeout: 180_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  let media = '';
  const problems: string[] = [];
  let owner: Page;
  let ownerToken = '';
  const contexts: BrowserContext[] = [];

  const open = async (viewport: { width: number; height: number }): Promise<Page> => {
    const context = await browser!.newContext({ viewport, baseURL: server.url });
    context.setDefaultTimeout(10_000);
    contexts.push(context);
    const page = await context.newPage();
    watchPageProblems(page, problems);
    return page;
  };

  beforeAll(async () => {
    if (!haveFfmpeg()) return;
    stack = await startWebStack({ jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    ({ browser, server } = stack);
    media = tempDir('hearth-household-');
    // A film long enough to seek in, and a show of two short episodes for "Up next".
    const film = makeClip(join(media, 'films', 'Harbour Lights (2022)', 'Harbour Lights (2022).mp4'));
    const season = join(media, 'shows', 'Night Garden (2020)', 'Season 01');
    copy(film, join(season, 'Night Garden - S01E01 - Seeds.mp4'));
    copy(film, join(season, 'Night Garden - S01E02 - Roots.mp4'));
    put(join(media, 'films', 'readme.txt'), 'not media');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await stack?.close();
  });

  const ready = () => browser !== null;

  it('S20, S21: setup signs the new owner in (a fresh HttpOnly session cookie, nothing in the URL), and the sign-in page focuses its first field', async (ctx) => {
    if (!ready()) return ctx.skip();
    owner = await open(viewports.desktop);
    await owner.goto('/');
    await owner.waitForURL('**/setup');
    await owner.getByLabel('Setup token').fill(SETUP_TOKEN);
    await owner.getByLabel('Username').fill(OWNER.username);
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await owner.getByRole('button', { name: 'Create the owner account' }).click();
    await owner.getByRole('heading', { level: 1, name: `Welcome, ${OWNER.username}` }).waitFor();
    expect(new URL(owner.url()).pathname).toBe('/');
    expect(owner.url()).not.toMatch(/token|hs_/);
    const cookies = await owner.context().cookies();
    const session = cookies.find((cookie) => cookie.value.startsWith('hs_'));
    expect(session, JSON.stringify(cookies.map((cookie) => cookie.name))).toBeDefined();
    expect(session!.httpOnly).toBe(true);
    expect(['Lax', 'Strict']).toContain(session!.sameSite);
    expect(session!.path).toBe('/');
    // The session works for the API as a sign-in's does.
    const me = await owner.request.get('/api/v1/me');
    expect(me.status()).toBe(200);
    expect((await me.json()).role).toBe('owner');
    ownerToken = await server.login(OWNER.username, OWNER.password);

    // A signed-out visitor's sign-in page: the cursor waits in the first field.
    const visitor = await open(viewports.phone);
    await visitor.goto('/login');
    await visitor.getByLabel('Username or email').waitFor();
    await expect.poll(() => focusedLabel(visitor)).toBe('Username or email');
    expect(problems).toEqual([]);
  });

  it('adding a library starts its first scan, and the "added" notice goes when the scan ends', async (ctx) => {
    if (!ready()) return ctx.skip();
    await owner.getByRole('link', { name: 'Admin', exact: true }).click();
    await owner.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Libraries' }).click();
    await owner.getByRole('heading', { level: 1, name: 'Admin · Libraries' }).waitFor();
    for (const [name, kind, folder] of [
      ['Films', 'movies', 'films'],
      ['Shows', 'shows', 'shows'],
    ] as const) {
      const form = owner.getByRole('region', { name: 'Add a library' });
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Kind').selectOption(kind);
      await form.getByLabel('Folders').fill(join(media, folder));
      await form.getByRole('button', { name: 'Add library' }).click();
      const card = owner.getByRole('article', { name });
      // Nobody pressed "Scan now": the scan ran because the library was added.
      await waitForText(card.getByRole('status'), 'Scan finished', 20_000);
      await expect.poll(() => owner.getByText(`${name} is added`).count(), { timeout: 10_000 }).toBe(0);
    }
    await waitForText(owner.getByRole('article', { name: 'Films' }), '1 added');
    await waitForText(owner.getByRole('article', { name: 'Shows' }), 'added');
    expect(problems).toEqual([]);
  });

  it('S20: an invitee finds the invited address filled in and fixed, and is signed in once the account exists', async (ctx) => {
    if (!ready()) return ctx.skip();
    const invite = await server.request('POST', '/api/v1/admin/invites', {
      token: ownerToken,
      body: { email: INVITED.email },
    });
    expect(invite.status, JSON.stringify(invite.body)).toBe(201);
    const link = new URL(invite.body.url as string);
    const guest = await open(viewports.phone);
    await guest.goto(`${link.pathname}${link.hash}`);
    await guest.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    const email = guest.getByLabel('Email');
    await expect.poll(() => email.inputValue()).toBe(INVITED.email);
    expect(await email.evaluate((input: HTMLInputElement) => input.readOnly)).toBe(true);
    await guest.getByLabel('Username').fill(INVITED.username);
    await guest.getByLabel('Password', { exact: true }).fill(INVITED.password);
    await guest.getByRole('button', { name: 'Create the account' }).click();
    await guest.getByRole('heading', { level: 1, name: `Welcome, ${INVITED.username}` }).waitFor();
    const cookie = (await guest.context().cookies()).find((c) => c.value.startsWith('hs_'));
    expect(cookie?.httpOnly).toBe(true);
    expect((await (await guest.request.get('/api/v1/me')).json()).username).toBe(INVITED.username);
    await screenshot(guest, 'household-invited-home-phone');
    expect(problems).toEqual([]);
  });

  it('the player fills the window and its whole control bar lies inside it at 1280×800, 1366×768, 1920×1080 and 390×844', async (ctx) => {
    if (!ready()) return ctx.skip();
    const films = await server.request('GET', '/api/v1/libraries', { token: ownerToken });
    const filmsId = (films.body.libraries ?? films.body).find(
      (library: { name: string }) => library.name === 'Films',
    ).id;
    const items = await server.request('GET', `/api/v1/libraries/${filmsId}/items`, { token: ownerToken });
    const filmId = (items.body.items as { id: string; title: string }[]).find(
      (item) => item.title === 'Harbour Lights',
    )!.id;
    const page = await open(viewports.desktop);
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(OWNER.username);
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    for (const size of playerSizes) {
      await page.setViewportSize(size);
      await page.goto(`/play/${filmId}`);
      const video = page.locator('video');
      await video.waitFor();
      await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.readyState)).toBeGreaterThan(0);
      const bar = page.getByRole('group', { name: 'Player controls' });
      const box = await bar.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(size.width);
      expect(box!.y + box!.height).toBeLessThanOrEqual(size.height);
      // Every control of the bar, not only its frame.
      for (const control of await bar.locator('button, input, select').all()) {
        if (!(await control.isVisible())) continue;
        const own = (await control.boundingBox())!;
        expect(own.y + own.height, (await control.getAttribute('aria-label')) ?? 'control').toBeLessThanOrEqual(
          size.height,
        );
        expect(own.x + own.width).toBeLessThanOrEqual(size.width);
      }
      // The picture fills the window, letterboxed.
      const picture = (await video.boundingBox())!;
      expect(picture.width).toBe(size.width);
      expect(picture.height).toBe(size.height);
      expect(await video.evaluate((element) => getComputedStyle(element).objectFit)).toBe('contain');
      expect(await overflow(page)).toEqual({ scrollWidth: size.width, innerWidth: size.width });
      await screenshot(page, `household-player-${size.width}x${size.height}`);
    }
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it('keyboard-only playback: space, the arrows, f, m, c, the speed keys and ? with its list of keys', async (ctx) => {
    if (!ready()) return ctx.skip();
    const page = await open(viewports.desktop);
    await page.goto('/login');
    // The page puts the cursor in its first field itself: typing starts once it is there.
    await expect.poll(() => focusedLabel(page)).toBe('Username or email');
    await page.keyboard.type(OWNER.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(OWNER.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor({ timeout: 30_000 });
    // To the film by keyboard: Tab to its poster, Enter, then Tab to "Play", Enter.
    const films = page.getByRole('list', { name: 'Libraries' }).getByRole('link', { name: /Films/ });
    await films.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Films' }).waitFor();
    await page
      .getByRole('link', { name: /Harbour Lights/ })
      .first()
      .focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Harbour Lights' }).waitFor();
    await page.getByRole('link', { name: 'Play', exact: true }).focus();
    await page.keyboard.press('Enter');
    const video = page.locator('video');
    await video.waitFor();
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.readyState), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const paused = () => video.evaluate((element: HTMLVideoElement) => element.paused);
    // Autoplay may or may not have started it: Space turns it either way.
    const before = await paused();
    await page.keyboard.press(' ');
    await expect.poll(paused).toBe(!before);
    if (await paused()) {
      await page.keyboard.press(' ');
      await expect.poll(paused).toBe(false);
    }
    await page.keyboard.press(' ');
    await expect.poll(paused).toBe(true);
    // The arrows: forward ten seconds (to the end of this two-second clip's range), back to the start.
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime)).toBeLessThan(0.5);
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime)).toBeGreaterThan(1.5);
    await page.keyboard.press('Home');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime)).toBeLessThan(0.5);
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.volume)).toBeCloseTo(0.9, 5);
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.volume)).toBeCloseTo(1, 5);
    // m mutes and unmutes.
    await page.keyboard.press('m');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.muted)).toBe(true);
    await page.getByRole('group', { name: 'Player controls' }).getByRole('button', { name: 'Unmute' }).waitFor();
    await page.keyboard.press('m');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.muted)).toBe(false);
    // f: real full screen of the player (its controls with it), f again leaves it.
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.className ?? null)).toMatch(/\bplayer\b/);
    await page.getByRole('button', { name: 'Exit full screen' }).waitFor();
    await page.keyboard.press('f');
    await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();
    // c: subtitles on and off (a track as the playback module adds them).
    await video.evaluate((element: HTMLVideoElement) => {
      const track = element.addTextTrack('subtitles', 'English', 'en');
      track.mode = 'disabled';
    });
    await page.getByRole('button', { name: 'Subtitles' }).waitFor();
    await page.keyboard.press('c');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.textTracks[0].mode)).toBe('showing');
    expect(await page.getByRole('button', { name: 'Subtitles' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('c');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.textTracks[0].mode)).toBe('disabled');
    // > and < change the speed; the menu shows it.
    await page.keyboard.press('>');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.playbackRate)).toBe(1.25);
    expect(await page.getByLabel('Playback speed').inputValue()).toBe('1.25');
    await page.keyboard.press('<');
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.playbackRate)).toBe(1);
    // ? lists the keys in a dialog; Escape closes it.
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    await waitForText(dialog, 'Full screen');
    await waitForText(dialog, 'Subtitles on or off');
    await screenshot(page, 'household-player-shortcuts');
    expect(await axeProblems(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Every control of the bar is reachable by Tab and has a name.
    const names = await page
      .getByRole('group', { name: 'Player controls' })
      .locator('button, input, select')
      .evaluateAll((elements) =>
        elements.map(
          (element) =>
            element.getAttribute('aria-label') ??
            ((element as HTMLInputElement).labels?.[0]?.textContent || null) ??
            element.textContent ??
            '',
        ),
      );
    expect(
      names.every((name) => name.trim() !== ''),
      names.join(', '),
    ).toBe(true);
    // The time is spoken as a timer, the position slider says where it is in words.
    expect(await page.getByRole('timer').count()).toBeGreaterThan(0);
    expect(await page.getByRole('slider', { name: 'Position' }).getAttribute('aria-valuetext')).toMatch(/of/);
    expect(await axeProblems(page)).toEqual([]);
    await page.context().close();
    expect(problems).toEqual([]);
  });

  it('the controls fade while playing and come back on a movement; a tap shows them on a phone and a double tap skips', async (ctx) => {
    if (!ready()) return ctx.skip();
    const shows = await server.request('GET', '/api/v1/libraries', { token: ownerToken });
    const filmsId = (shows.body.libraries ?? shows.body).find(
      (library: { name: string }) => library.name === 'Films',
    ).id;
    const items = await server.request('GET', `/api/v1/libraries/${filmsId}/items`, { token: ownerToken });
    const filmId = (items.body.items as { id: string; title: string }[]).find(
      (item) => item.title === 'Harbour Lights',
    )!.id;
    const context = await browser!.newContext({
      viewport: viewports.phone,
      baseURL: server.url,
      hasTouch: true,
      isMobile: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    watchPageProblems(page, problems);
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(OWNER.username);
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await page.goto(`/play/${filmId}`);
    const video = page.locator('video');
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.readyState), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // Played slowly and looped, so it is still playing while the controls time out.
    await video.evaluate((element: HTMLVideoElement) => {
      element.loop = true;
      element.playbackRate = 0.5;
      element.muted = true;
      void element.play();
    });
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => !element.paused)).toBe(true);
    const player = page.locator('.player');
    await expect.poll(() => player.getAttribute('class'), { timeout: 8000 }).toMatch(/controls-hidden/);
    // One tap on the picture: the controls are back.
    const surface = page.locator('.player-surface');
    const box = (await surface.boundingBox())!;
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => player.getAttribute('class')).not.toMatch(/controls-hidden/);
    // A double tap on the left: back to the start.
    await video.evaluate((element: HTMLVideoElement) => {
      element.currentTime = 1.5;
    });
    await page.touchscreen.tap(box.x + box.width * 0.15, box.y + box.height / 2);
    await page.touchscreen.tap(box.x + box.width * 0.15, box.y + box.height / 2);
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.currentTime)).toBeLessThan(1.2);
    await context.close();
    expect(problems).toEqual([]);
  });

  it('at the end of an episode "Up next" counts down and starts the next one; the OS media controls know the title', async (ctx) => {
    if (!ready()) return ctx.skip();
    await owner.goto('/');
    await owner.getByRole('list', { name: 'Libraries' }).getByRole('link', { name: /Shows/ }).click();
    await owner
      .getByRole('link', { name: /Night Garden/ })
      .first()
      .click();
    await owner.getByRole('heading', { level: 1, name: 'Night Garden' }).waitFor();
    await owner
      .getByRole('link', { name: /Season 1/ })
      .first()
      .click();
    await owner.getByRole('list', { name: 'Episodes' }).getByRole('link', { name: /Seeds/ }).click();
    await owner.getByRole('heading', { level: 1, name: 'Seeds' }).waitFor();
    await owner.getByRole('link', { name: 'Play', exact: true }).click();
    const video = owner.locator('video');
    await expect
      .poll(() => video.evaluate((element: HTMLVideoElement) => element.readyState), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await waitForText(owner.locator('.player-context'), 'Night Garden · S01E01');
    expect(await owner.evaluate(() => navigator.mediaSession.metadata?.title)).toBe('Seeds');
    expect(await owner.evaluate(() => navigator.mediaSession.metadata?.artist)).toBe('Night Garden');
    await video.evaluate((element: HTMLVideoElement) => {
      element.muted = true;
      element.currentTime = Math.max(0, element.duration - 0.3);
      void element.play();
    });
    const upNext = owner.getByRole('region', { name: 'Up next' });
    await upNext.waitFor();
    await waitForText(upNext, 'Roots');
    await waitForText(upNext, 'Starts in');
    await screenshot(owner, 'household-up-next');
    expect(await axeProblems(owner)).toEqual([]);
    // Nobody presses anything: the next episode starts when the count reaches zero.
    await owner.getByRole('heading', { level: 1, name: 'Roots' }).waitFor({ timeout: 15_000 });
    await waitForText(owner.locator('.player-context'), 'S01E02');
    // Home: the show in progress is named in its row (Continue watching or Next up), not just "Episode 2".
    await owner.goto('/');
    const rows = owner.locator('ul[aria-label="Continue watching"], ul[aria-label="Next up"]');
    await expect
      .poll(
        async () => {
          const text = (await rows.allTextContents()).join(' ');
          if (!text.includes('Night Garden')) await owner.reload();
          return text;
        },
        { timeout: 30_000 },
      )
      .toContain('Night Garden');
    await screenshot(owner, 'household-home-rows');
    expect(problems).toEqual([]);
  });

  it('the arrow keys move across the grids, as a TV remote would', async (ctx) => {
    if (!ready()) return ctx.skip();
    const tv = await open(viewports.tv);
    await tv.goto('/login');
    await tv.getByLabel('Username or email').fill(OWNER.username);
    await tv.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await tv.getByRole('button', { name: 'Sign in', exact: true }).click();
    await tv.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    const libraries = tv.getByRole('list', { name: 'Libraries' }).getByRole('link');
    await libraries.first().focus();
    const first = await tv.evaluate(() => document.activeElement?.textContent ?? '');
    await tv.keyboard.press('ArrowRight');
    const second = await tv.evaluate(() => document.activeElement?.textContent ?? '');
    expect(second).not.toBe(first);
    expect(await libraries.allTextContents()).toContain(second);
    await tv.keyboard.press('ArrowLeft');
    expect(await tv.evaluate(() => document.activeElement?.textContent ?? '')).toBe(first);
    // The focus ring is wide enough to see across a room.
    const ring = await tv.evaluate(() => parseFloat(getComputedStyle(document.activeElement!).outlineWidth) || 0);
    const shadow = await tv.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
    expect(ring >= 4 || /\d+px\s*$/.test(shadow) || shadow !== 'none').toBe(true);
    await screenshot(tv, 'household-home-tv');
    expect(problems).toEqual([]);
  });

  /** Visits each page at every width: records what is wider than its window and what axe-core finds. */
  async function sweep(page: Page, pages: [string, string][]): Promise<{ wide: string[]; failing: string[] }> {
    const wide: string[] = [];
    const failing: string[] = [];
    const settle = async () => {
      await page.locator('h1').first().waitFor();
      await page
        .waitForFunction(() => document.querySelector('.loading, .spinner:not(.spinner-large)') === null, null, {
          timeout: 5000,
        })
        .catch(() => undefined);
    };
    for (const [name, path] of pages) {
      // One load a page: the window is resized and the colour scheme switched under it, as a person would.
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.setViewportSize(viewports.desktop);
      await page.goto(path, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      await settle();
      // Every page must fit a laptop, a TV, a tablet, a phone and a small phone.
      for (const width of [1280, 1920, 768, 390, 320] as const) {
        await page.setViewportSize({ width, height: width <= 390 ? 844 : width >= 1920 ? 1080 : 800 });
        await page.evaluate(
          () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
        );
        const size = await overflow(page);
        if (size.scrollWidth > size.innerWidth) wide.push(`${path} at ${width}: ${size.scrollWidth}px`);
        if (width === 1280 || width === 390) {
          await screenshot(page, `page-${name}-${width === 1280 ? 'desktop' : 'phone'}`);
          for (const problem of await axeProblems(page)) failing.push(`${path} at ${width} (dark): ${problem}`);
        }
      }
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize(viewports.desktop);
      // Colours fade between schemes: axe must see the end of each transition, not a mixed colour on its way.
      await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, {
        timeout: 5000,
      });
      for (const problem of await axeProblems(page)) failing.push(`${path} (light): ${problem}`);
      await screenshot(page, `page-${name}-desktop-light`);
    }
    return { wide, failing };
  }

  it('every signed-out page fits its window at 320, 390, 768, 1280 and 1920 px and passes axe-core in dark and light', {
    timeout: 300_000,
  }, async (ctx) => {
    if (!ready()) return ctx.skip();
    const guest = await open(viewports.desktop);
    const result = await sweep(guest, [
      ['sign-in', '/login'],
      ['setup', '/setup'],
      ['forgot', '/forgot'],
      ['register', '/register'],
      ['reset', '/reset'],
      ['verify-email', '/verify-email'],
    ]);
    expect(result).toEqual({ wide: [], failing: [] });
    expect(problems).toEqual([]);
  });

  it('every signed-in page fits its window at 320, 390, 768, 1280 and 1920 px, passes axe-core in dark and light, and is photographed', {
    timeout: 600_000,
  }, async (ctx) => {
    if (!ready()) return ctx.skip();
    const library = await server.request('GET', '/api/v1/libraries', { token: ownerToken });
    const libs = (library.body.libraries ?? library.body) as { id: string; name: string }[];
    const showsId = libs.find((entry) => entry.name === 'Shows')!.id;
    const filmsId = libs.find((entry) => entry.name === 'Films')!.id;
    const shows = await server.request('GET', `/api/v1/libraries/${showsId}/items`, { token: ownerToken });
    const showId = (shows.body.items as { id: string }[])[0].id;
    const films = await server.request('GET', `/api/v1/libraries/${filmsId}/items`, { token: ownerToken });
    const filmId = (films.body.items as { id: string }[])[0].id;
    const admin = await open(viewports.desktop);
    await admin.goto('/login');
    await admin.getByLabel('Username or email').fill(OWNER.username);
    await admin.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    const result = await sweep(admin, [
      ['home', '/'],
      ['account', '/account'],
      ['link-a-device', '/link'],
      ['library', `/libraries/${showsId}`],
      ['show', `/items/${showId}`],
      ['film', `/items/${filmId}`],
      ['player', `/play/${filmId}`],
      ['admin-overview', '/admin/overview'],
      ['admin-users', '/admin/users'],
      ['admin-libraries', '/admin/libraries'],
      ['admin-security-events', '/admin/security-events'],
      ['admin-alerts', '/admin/alerts'],
      ['admin-two-factor', '/admin/two-factor'],
      ['admin-breach', '/admin/breach'],
      ['admin-mail', '/admin/mail'],
      ['not-found', '/no-such-page'],
    ]);
    expect(result).toEqual({ wide: [], failing: [] });
    expect(problems).toEqual([]);
  });
});

// Debian's Chromium driven by playwright-core, and the web app built for a test server. Browser tests
// skip with a printed reason where Chromium is not installed, except under CI, where its absence is a failure.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startSmtp, type TestSmtp } from '../mail/smtp.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export const chromiumPath = '/usr/bin/chromium';

/** Where browser tests leave their screenshots (named in the README). */
export const screenshotDir = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Launches Chromium, or returns null (after saying why) when it is not installed and CI is not set. */
export async function launchBrowser(): Promise<Browser | null> {
  if (!existsSync(chromiumPath)) {
    const reason = `${chromiumPath} is missing (apt-get install chromium)`;
    if (process.env.CI === 'true') throw new Error(`Browser tests need Chromium under CI: ${reason}`);
    console.warn(`Skipping browser tests: ${reason}`);
    return null;
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

export interface BuiltWebApp {
  dir: string;
  remove(): void;
}

/**
 * Builds the web app from the current sources into a folder of its own, so a test never runs a stale
 * web/dist and parallel test files never overwrite each other's build.
 */
export async function buildWebApp(): Promise<BuiltWebApp> {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-web-'));
  const { build } = await import('vite');
  // Vitest sets NODE_ENV=test, which would give React's development build: test what people get.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir: dir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Records into `problems` what a strict Content-Security-Policy refused and any uncaught error in the page. */
export function watchPageProblems(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
}

/** Waits until the locator's text contains `expected` (playwright-core has no test assertions of its own). */
export async function waitForText(locator: Locator, expected: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.allTextContents()).join(' | ');
    if (last.includes(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Expected text "${expected}", found "${last}"`);
}

export const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
  tv: { width: 1920, height: 1080 },
} as const;

/** A page in a fresh context (its own cookies: another device), watched for CSP refusals and errors. */
export async function openPage(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number },
  problems: string[],
): Promise<Page> {
  const context = await browser.newContext({ viewport, baseURL });
  // Shorter than a test's own timeout, so a missing element is reported as such.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  watchPageProblems(page, problems);
  return page;
}

/** Signs in through the sign-in page and waits for the home page. */
export async function signInThroughPage(page: Page, login: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
}

export interface WebStack {
  browser: Browser;
  web: BuiltWebApp;
  server: TestServer;
  /** The local SMTP server the test server mails through, when one was asked for. */
  smtp: TestSmtp | null;
  close(): Promise<void>;
}

/**
 * What every browser test starts with: Chromium, the web app built, and a test server serving it — and, with
 * `smtp: true`, a local SMTP server the test server mails through. Null (after saying why) without Chromium.
 */
export async function startWebStack(options: TestServerOptions & { smtp?: boolean } = {}): Promise<WebStack | null> {
  const { smtp: wantSmtp, ...serverOptions } = options;
  const browser = await launchBrowser();
  if (browser === null) return null;
  let web: BuiltWebApp | null = null;
  let smtp: TestSmtp | null = null;
  let server: TestServer;
  try {
    web = await buildWebApp();
    smtp = wantSmtp ? await startSmtp() : null;
    server = await startTestServer({
      ...serverOptions,
      webDist: web.dir,
      env: { ...serverOptions.env, ...(smtp ? { HEARTH_SMTP_URL: smtp.url } : {}) },
    });
  } catch (err) {
    await browser.close();
    await smtp?.close();
    web?.remove();
    throw err;
  }
  return {
    browser,
    web,
    server,
    smtp,
    async close() {
      await browser.close();
      await server.close();
      await smtp?.close();
      web!.remove();
    },
  };
}

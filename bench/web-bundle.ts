// What the first page a signed-out visitor loads costs: the web app built for production, served by a real
// server, opened at /login in Chromium; every script and stylesheet the page fetched is gzipped (level 6, what a
// reverse proxy's default gives) and summed. The pages that set a password load the estimator (zxcvbn) on their
// own, so it is measured too, at /setup with the password field focused, as a reference.
// Run: npm run bench:web
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { chromium, type Page } from 'playwright-core';
import { buildWebApp, chromiumPath } from '../test/helpers/browser.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { writeBenchSection } from './docs-section.ts';

const BUDGET_KB = 150;

interface Fetched {
  url: string;
  raw: number;
  gzip: number;
}

/** Every script and stylesheet the page fetched until it settled. */
async function load(page: Page, path: string, then?: (page: Page) => Promise<void>): Promise<Fetched[]> {
  const seen: Promise<Fetched | null>[] = [];
  page.on('response', (response) => {
    const type = response.request().resourceType();
    if (type !== 'script' && type !== 'stylesheet') return;
    seen.push(
      response
        .body()
        .then((body) => ({
          url: new URL(response.url()).pathname,
          raw: body.length,
          gzip: gzipSync(body, { level: 6 }).length,
        }))
        .catch(() => null),
    );
  });
  await page.goto(path);
  await page.locator('h1').first().waitFor();
  if (then !== undefined) await then(page);
  await page.waitForLoadState('networkidle');
  return (await Promise.all(seen)).filter((entry): entry is Fetched => entry !== null);
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

async function main(): Promise<void> {
  const before = loadavg();
  const web = await buildWebApp();
  const server = await startTestServer({ webDist: web.dir });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    const fresh = async () => (await browser.newContext({ baseURL: server.url })).newPage();
    const signIn = await load(await fresh(), '/login');
    // A server with an owner sends /setup to its "already set up" text; the estimator is fetched where a password is typed.
    const withPassword = await load(await fresh(), '/register#invite=hi_unused', async (page) => {
      await page.getByLabel('Password', { exact: true }).focus();
      await page.getByLabel('Password', { exact: true }).fill('a password');
      await page.getByText('Strength').first().waitFor();
    });
    const sum = (list: Fetched[]) =>
      list.reduce((total, entry) => ({ raw: total.raw + entry.raw, gzip: total.gzip + entry.gzip }), {
        raw: 0,
        gzip: 0,
      });
    const first = sum(signIn);
    const estimator = withPassword.filter((entry) => !signIn.some((other) => other.url === entry.url));
    const extra = sum(estimator);
    const estimatorOnSignIn = signIn.some((entry) => /zxcvbn|password-estimator/i.test(entry.url));
    const rows = signIn
      .sort((a, b) => b.gzip - a.gzip)
      .map((entry) => `| ${entry.url} | ${kb(entry.raw)} kB | ${kb(entry.gzip)} kB |`)
      .join('\n');
    const met = first.gzip / 1024 < BUDGET_KB && !estimatorOnSignIn;
    const report = [
      `Command: \`npm run bench:web\`, ${new Date().toISOString().slice(0, 10)}. Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}; load average ${before.map((n) => n.toFixed(2)).join(' / ')} before.`,
      'The production build served by Hearth, opened at /login in Chromium by a signed-out visitor; every script and stylesheet it fetched, gzipped at level 6.',
      '',
      '| file | raw | gzip |',
      '| --- | ---: | ---: |',
      rows,
      `| **first page, total** | **${kb(first.raw)} kB** | **${kb(first.gzip)} kB** |`,
      '',
      `Target: under ${BUDGET_KB} kB gzip, without the password estimator: ${met ? 'met' : 'NOT met'} (${((first.gzip / 1024 / BUDGET_KB) * 100).toFixed(0)}% of the budget; estimator on the sign-in page: ${estimatorOnSignIn ? 'yes' : 'no'}).`,
      `The password estimator (zxcvbn and its word lists) loads only where a password is set (registration, setup, reset, password change), once the password field is used: ${estimator.length} more file(s), ${kb(extra.raw)} kB raw, ${kb(extra.gzip)} kB gzip, ${(extra.gzip / Math.max(1, first.gzip)).toFixed(2)} × the first page.`,
    ].join('\n');
    console.log(report);
    writeBenchSection('web', 'The web app: the first page a visitor loads (bench/web-bundle)', report);
  } finally {
    await browser.close();
    await server.close();
    web.remove();
  }
}

await main();

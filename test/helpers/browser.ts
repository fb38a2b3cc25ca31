// Debian's Chromium driven by playwright-core. Browser tests skip with a printed reason where it is not
// installed, except under CI, where its absence is a failure.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

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

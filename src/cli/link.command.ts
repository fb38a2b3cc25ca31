// `hearth link` behaves like a TV: it asks a server for a code, shows it, polls until a signed-in person
// approves, and keeps the token in a file only its owner can read. `hearth whoami` uses that token.
// Both talk HTTP only: they never open the store, so they work against any Hearth server.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CliError } from './io.ts';
import type { CliCommand } from './command.ts';

export const linkHelp = `Usage:
  hearth link --server URL [--token-file PATH] [--name NAME]
    Links this machine like a TV: shows a code to approve at URL/link while signed in,
    then saves the token (mode 0600) in PATH (default ~/.config/hearth/token.json).`;

export const whoamiHelp = `Usage:
  hearth whoami [--server URL] [--token-file PATH]
    Shows which account the saved token belongs to.`;

const USER_AGENT = 'hearth-cli/0.1';
const REQUEST_TIMEOUT_MS = 15_000;

export interface TokenFile {
  server: string;
  token: string;
  username: string;
  linked_at: string;
}

export function defaultTokenFile(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'hearth', 'token.json');
}

function serverOrigin(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--server must be a URL like https://media.example.org, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('--server must start with http:// or https://');
  return url.origin;
}

interface ApiAnswer {
  status: number;
  body: any;
}

async function callApi(
  server: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    response = await fetch(server + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(
      `cannot reach ${server}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
    );
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: { code: 'bad_response', message: `unexpected answer (HTTP ${response.status})` } };
  }
  return { status: response.status, body };
}

function platformName(): string {
  const names: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD' };
  return names[process.platform] ?? process.platform;
}

/** Written whole to a private temp file and renamed, so the token is never readable by others, not even briefly. */
export function writeTokenFile(path: string, content: TokenFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function readTokenFile(path: string): TokenFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CliError(`no token in ${path}: link this machine first with "hearth link --server URL"`);
  }
  const data = JSON.parse(text) as Partial<TokenFile>;
  if (typeof data.token !== 'string' || typeof data.server !== 'string')
    throw new CliError(`${path} does not hold a Hearth token`);
  return data as TokenFile;
}

export async function runLink(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { server: { type: 'string' }, 'token-file': { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  if (!values.server) throw new CliError('--server is required\n' + linkHelp);
  const server = serverOrigin(values.server);
  const tokenFile = resolve(values['token-file'] ?? defaultTokenFile());
  const asked = await callApi(server, 'POST', '/api/v1/link/codes', {
    body: {
      client: 'Hearth CLI',
      platform: platformName(),
      device_name: values.name ?? `Hearth CLI on ${hostname()}`.slice(0, 100),
    },
  });
  if (asked.status !== 200)
    throw new Error(`the server refused a code: ${asked.body?.error?.message ?? `HTTP ${asked.status}`}`);
  const pair = asked.body as {
    device_code: string;
    user_code: string;
    verification_uri: string;
    verification_uri_complete: string;
    expires_in: number;
    interval: number;
  };
  out.write(
    `To link this machine, sign in at ${pair.verification_uri} and enter the code:\n\n` +
      `    ${pair.user_code}\n\n` +
      `or open ${pair.verification_uri_complete}\n` +
      `Waiting for approval (the code expires in ${Math.round(pair.expires_in / 60)} minutes)...\n`,
  );
  let interval = pair.interval;
  const deadline = Date.now() + pair.expires_in * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    const polled = await callApi(server, 'POST', '/api/v1/link/token', { body: { device_code: pair.device_code } });
    if (polled.status === 200) {
      const username = polled.body.user.username as string;
      writeTokenFile(tokenFile, { server, token: polled.body.token, username, linked_at: new Date().toISOString() });
      out.write(`Linked as ${username}. Token saved in ${tokenFile}\n`);
      return 0;
    }
    const code = polled.body?.error?.code as string | undefined;
    if (code === 'authorization_pending') continue;
    if (code === 'slow_down') {
      const told = Number(polled.body.error.details?.interval);
      interval = Number.isFinite(told) && told > interval ? told : interval + 5;
      continue;
    }
    if (code === 'access_denied') {
      process.stderr.write('hearth: the link was denied\n');
      return 1;
    }
    if (code === 'expired_token') break;
    throw new Error(`linking failed: ${polled.body?.error?.message ?? `HTTP ${polled.status}`}`);
  }
  process.stderr.write('hearth: the code expired before anyone approved it; run "hearth link" again\n');
  return 1;
}

export async function runWhoami(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { server: { type: 'string' }, 'token-file': { type: 'string' } },
    strict: true,
  });
  const tokenFile = resolve(values['token-file'] ?? defaultTokenFile());
  const saved = readTokenFile(tokenFile);
  const server = serverOrigin(values.server ?? saved.server);
  const me = await callApi(server, 'GET', '/api/v1/me', { token: saved.token });
  if (me.status === 401) {
    process.stderr.write(
      `hearth: the saved token no longer works (signed out or revoked); run "hearth link --server ${server}" again\n`,
    );
    return 1;
  }
  if (me.status !== 200) throw new Error(`the server answered: ${me.body?.error?.message ?? `HTTP ${me.status}`}`);
  out.write(`${me.body.username} <${me.body.email}> (${me.body.role}) on ${server}\n`);
  return 0;
}

export const linkCommands: CliCommand[] = [
  {
    name: 'link',
    summary: 'link this machine to a server by code, like a TV',
    help: linkHelp,
    needsStore: false,
    run: (args) => runLink(args),
  },
  {
    name: 'whoami',
    summary: 'show the account of the token saved by "hearth link"',
    help: whoamiHelp,
    needsStore: false,
    run: (args) => runWhoami(args),
  },
];

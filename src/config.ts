// The one config loader: everything configurable comes from the environment, read here once.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Random } from './crypto.ts';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  publicUrl: URL;
  /** false when the public URL was derived from host and port (then a chosen free port updates it). */
  publicUrlExplicit: boolean;
  /** true when the public URL is https: cookies get Secure and the __Host- prefix. */
  secure: boolean;
  databaseUrl: string | null;
  /** PostgreSQL schema to use (tests give each run its own). */
  databaseSchema: string | null;
  redisUrl: string | null;
  secretKey: Buffer;
  smtpUrl: string | null;
  mailFrom: string;
  mailRatePerMinute: number;
  // issue-20b: outbox files hold live links; they are deleted this many hours after they were written.
  outboxKeepHours: number;
  /** DKIM signing of outgoing mail: all three HEARTH_DKIM_* variables, or none. */
  dkim: { domainName: string; keySelector: string; privateKey: string } | null;
  setupToken: string | null;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  reauthWindowSeconds: number;
  logLevel: string;
  /** Fastify's trustProxy: false, true (every hop), a hop count, or the proxies' addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  /** HEARTH_WATCH_LIBRARIES=true: library folders are watched and a change queues a scan. */
  watchLibraries: boolean;
  // ---- playback (issue 14) ----
  /** HEARTH_TRANSCODE_MAX: encoders at once (default one per two cores, at least one). */
  transcodeMax: number;
  /** HEARTH_TRANSCODE_CACHE_MB: the size cap of the segment cache under the data folder. */
  transcodeCacheMb: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function urlVar(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      `${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${url.protocol}//"`,
    );
  }
  return raw;
}

/**
 * smtp:// always requires STARTTLS and smtps:// is TLS from the start; `insecure=true` (smtp:// only) is the
 * one way to send without TLS. Nodemailer's own TLS switches would quietly override that, so they are refused.
 */
function smtpUrlVar(env: Env): string | null {
  const raw = urlVar(env, 'HEARTH_SMTP_URL', ['smtp:', 'smtps:']);
  if (raw === null) return null;
  const url = new URL(raw);
  const insecure = url.searchParams.get('insecure');
  if (insecure !== null && insecure !== 'true' && insecure !== 'false') {
    throw new ConfigError(`HEARTH_SMTP_URL: insecure must be true or false, got "${insecure}"`);
  }
  if (insecure === 'true' && url.protocol === 'smtps:') {
    throw new ConfigError('HEARTH_SMTP_URL: insecure=true has no meaning with smtps://, which is always TLS');
  }
  for (const name of ['secure', 'ignoreTLS', 'opportunisticTLS', 'requireTLS']) {
    const value = url.searchParams.get(name);
    if (value === null || (name === 'requireTLS' && value === 'true')) continue;
    throw new ConfigError(
      `HEARTH_SMTP_URL: remove ${name}=${value}; smtp:// always requires STARTTLS and smtps:// is TLS from the start (insecure=true allows a relay without TLS)`,
    );
  }
  return raw;
}

/**
 * The key, or what is wrong with it. Only an exact form is taken: a hex key with one typo must stop the
 * start, not become another key under which no password verifies. Hex digits are a subset of base64, so
 * text that is nearly all hex is read as a mistyped hex key, never as base64 (random base64 is about a
 * third hex digits).
 */
function parseSecretKey(text: string): Buffer | string {
  const value = text.replace(/\s+/g, '');
  const hexDigits = value.replace(/[^0-9a-fA-F]/g, '').length;
  if (value.length > 0 && hexDigits >= value.length * 0.9) {
    if (hexDigits !== value.length) {
      const at = value.search(/[^0-9a-fA-F]/);
      return `is not valid hex: "${value[at]}" at position ${at + 1} is not a hex digit`;
    }
    if (value.length % 2 !== 0) return `is not valid hex: it has an odd number of digits (${value.length})`;
    if (value.length < 64)
      return `is too short: it needs at least 32 bytes (64 hex characters), got ${value.length / 2}`;
    return Buffer.from(value, 'hex');
  }
  const key = Buffer.from(value, 'base64');
  if (key.toString('base64') !== value) return 'is neither hex nor valid base64';
  if (key.length < 32) return `is too short: it needs at least 32 bytes (64 hex characters), got ${key.length}`;
  return key;
}

/** Reads (or creates, mode 0600) the secret key. It never enters the database. */
function loadSecretKey(env: Env, dataDir: string, random: Random): Buffer {
  const parse = (text: string, where: string): Buffer => {
    const key = parseSecretKey(text);
    if (typeof key !== 'string') return key;
    throw new ConfigError(
      `the secret key in ${where} ${key}; expected 64 or more hex characters, or base64 of 32 or more bytes`,
    );
  };
  if (env.HEARTH_SECRET_KEY) return parse(env.HEARTH_SECRET_KEY, 'HEARTH_SECRET_KEY');
  const file = env.HEARTH_SECRET_KEY_FILE ? resolve(env.HEARTH_SECRET_KEY_FILE) : join(dataDir, 'secret.key');
  if (!existsSync(file)) {
    if (env.HEARTH_SECRET_KEY_FILE)
      throw new ConfigError(`HEARTH_SECRET_KEY_FILE points at ${file}, which does not exist`);
    writeFileSync(file, random(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the secret key file ${file}: ${(err as Error).message}`);
  }
  return parse(text, file);
}

function loadDkim(env: Env): Config['dkim'] {
  const domainName = env.HEARTH_DKIM_DOMAIN || null;
  const keySelector = env.HEARTH_DKIM_SELECTOR || null;
  const keyFile = env.HEARTH_DKIM_PRIVATE_KEY_FILE || null;
  if (!domainName && !keySelector && !keyFile) return null;
  if (!domainName || !keySelector || !keyFile) {
    throw new ConfigError(
      'DKIM signing needs HEARTH_DKIM_DOMAIN, HEARTH_DKIM_SELECTOR and HEARTH_DKIM_PRIVATE_KEY_FILE together',
    );
  }
  let privateKey: string;
  try {
    privateKey = readFileSync(resolve(keyFile), 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the DKIM key file ${keyFile}: ${(err as Error).message}`);
  }
  if (!privateKey.includes('PRIVATE KEY-----'))
    throw new ConfigError(`the DKIM key file ${keyFile} is not a PEM private key`);
  return { domainName, keySelector, privateKey };
}

/**
 * `true` trusts every hop (a client could then choose its own address by sending X-Forwarded-For, unless the
 * proxy replaces that header); a number trusts that many hops; a list trusts only those proxies.
 */
function trustProxyVar(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (list.some((p) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(p))) {
    throw new ConfigError(
      `HEARTH_TRUST_PROXY must be true, false, a hop count or a list of proxy addresses, got "${raw}"`,
    );
  }
  return list;
}

export function loadConfig(env: Env, random: Random, cwd = process.cwd()): Config {
  const host = env.HEARTH_HOST || '127.0.0.1';
  const port = intVar(env, 'HEARTH_PORT', 8420, 0, 65535);
  const dataDirRaw = env.HEARTH_DATA_DIR || './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ConfigError(`cannot create the data folder ${dataDir}: ${(err as Error).message}`);
  }
  const publicRaw = urlVar(env, 'HEARTH_PUBLIC_URL', ['http:', 'https:']);
  const hostForUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const publicUrl = new URL(publicRaw ?? `http://${hostForUrl}:${port}`);
  if (publicUrl.pathname !== '/' || publicUrl.search || publicUrl.hash) {
    throw new ConfigError('HEARTH_PUBLIC_URL must be an origin only, like https://media.example.org');
  }
  const databaseUrl = urlVar(env, 'HEARTH_DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = env.HEARTH_DATABASE_SCHEMA || null;
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('HEARTH_DATABASE_SCHEMA must be a lower-case SQL identifier');
  }
  const setupToken = env.HEARTH_SETUP_TOKEN || null;
  if (setupToken !== null && setupToken.length < 16)
    throw new ConfigError('HEARTH_SETUP_TOKEN must be at least 16 characters');
  return {
    host,
    port,
    dataDir,
    publicUrl,
    publicUrlExplicit: publicRaw !== null,
    secure: publicUrl.protocol === 'https:',
    databaseUrl,
    databaseSchema: schema,
    redisUrl: urlVar(env, 'HEARTH_REDIS_URL', ['redis:', 'rediss:']),
    secretKey: loadSecretKey(env, dataDir, random),
    smtpUrl: smtpUrlVar(env),
    mailFrom: env.HEARTH_MAIL_FROM || `Hearth <hearth@${publicUrl.hostname}>`,
    mailRatePerMinute: intVar(env, 'HEARTH_MAIL_RATE_PER_MINUTE', 600, 1, 1_000_000),
    outboxKeepHours: intVar(env, 'HEARTH_OUTBOX_KEEP_HOURS', 72, 1, 24 * 365),
    dkim: loadDkim(env),
    setupToken,
    sessionIdleSeconds: intVar(env, 'HEARTH_SESSION_IDLE_SECONDS', 30 * 24 * 3600, 60, 10 * 365 * 24 * 3600),
    sessionAbsoluteSeconds: intVar(env, 'HEARTH_SESSION_ABSOLUTE_SECONDS', 180 * 24 * 3600, 60, 10 * 365 * 24 * 3600),
    reauthWindowSeconds: 10 * 60,
    logLevel: env.HEARTH_LOG_LEVEL || 'info',
    trustProxy: trustProxyVar(env.HEARTH_TRUST_PROXY),
    watchLibraries: env.HEARTH_WATCH_LIBRARIES === 'true' || env.HEARTH_WATCH_LIBRARIES === '1',
    // ---- playback (issue 14) ----
    transcodeMax: intVar(env, 'HEARTH_TRANSCODE_MAX', Math.max(1, Math.floor(availableParallelism() / 2)), 1, 256),
    transcodeCacheMb: intVar(env, 'HEARTH_TRANSCODE_CACHE_MB', 2048, 16, 10_000_000),
  };
}

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { systemRandom } from '../src/crypto.ts';

describe('configuration', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates the secret key with mode 0600 and reads the same key next time', () => {
    const dir = dataDir();
    const first = loadConfig({ HEARTH_DATA_DIR: dir }, systemRandom);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadConfig({ HEARTH_DATA_DIR: dir }, systemRandom).secretKey.equals(first.secretKey)).toBe(true);
  });

  it('HEARTH_TRUST_PROXY takes true, a hop count or a list of proxies, and refuses anything else', () => {
    const dir = dataDir();
    const trust = (value: string) =>
      loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_TRUST_PROXY: value }, systemRandom).trustProxy;
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('1')).toBe(1);
    expect(trust('10.0.0.1, 10.1.0.0/16,::1')).toEqual(['10.0.0.1', '10.1.0.0/16', '::1']);
    expect(() => trust('yes please')).toThrow(ConfigError);
  });

  it('a secret key is taken only in an exact form: 64+ hex characters, or base64 that round-trips to 32+ bytes', () => {
    const dir = dataDir();
    const key = (value: string) =>
      loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY: value }, systemRandom).secretKey;
    const bytes = Buffer.from('7a'.repeat(32), 'hex');
    expect(key('7a'.repeat(32)).equals(bytes)).toBe(true);
    expect(key(` ${'7A'.repeat(32)}\n`).equals(bytes)).toBe(true);
    expect(key(bytes.toString('base64')).equals(bytes)).toBe(true);
    const long = Buffer.alloc(64, 0xc5);
    // `openssl rand -base64 64` wraps its output over two lines.
    expect(key(long.toString('base64').replace(/(.{64})/, '$1\n')).equals(long)).toBe(true);
  });

  it('a mistyped secret key stops the start with one line naming the variable or the file, never becoming another key', () => {
    const dir = dataDir();
    const refusal = (value: string) => {
      try {
        loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY: value }, systemRandom);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    const hex = '7a'.repeat(32);
    const typo = 'g' + hex.slice(1);
    expect(refusal(typo)).toMatch(
      /^the secret key in HEARTH_SECRET_KEY is not valid hex: "g" at position 1 .*64 or more hex characters, or base64/,
    );
    expect(refusal(hex.slice(0, 40) + 'o' + hex.slice(41))).toMatch(
      /HEARTH_SECRET_KEY is not valid hex: "o" at position 41/,
    );
    expect(refusal(hex + 'a')).toMatch(/odd number of digits/);
    expect(refusal('abcd')).toMatch(/too short/);
    expect(refusal(Buffer.alloc(16, 1).toString('base64'))).toMatch(/too short/);
    // Base64 that does not decode to exactly what was written (a stray character, a missing one).
    const b64 = Buffer.alloc(32, 0x9d).toString('base64');
    expect(refusal(b64.slice(0, 10) + '*' + b64.slice(10))).toMatch(/neither hex nor valid base64/);
    expect(refusal(b64.slice(1))).toMatch(/neither hex nor valid base64/);
    expect(refusal(b64.replace(/=$/, ''))).toMatch(/neither hex nor valid base64/);
    for (const message of [refusal(typo), refusal('abcd')]) expect(message).not.toContain('\n');

    const file = join(dataDir(), 'secret.key');
    writeFileSync(file, `${typo}\n`);
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY_FILE: file }, systemRandom)).toThrow(
      new RegExp(`^the secret key in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid hex`),
    );
  });

  it('refuses a bad URL, a missing key file and a public URL with a path', () => {
    const dir = dataDir();
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_DATABASE_URL: 'mysql://x' }, systemRandom)).toThrow(
      /HEARTH_DATABASE_URL/,
    );
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY_FILE: join(dir, 'nope') }, systemRandom)).toThrow(
      /does not exist/,
    );
    expect(() =>
      loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_PUBLIC_URL: 'https://x.example/app' }, systemRandom),
    ).toThrow(/origin only/);
  });
});

import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
    const trust = (value: string) => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_TRUST_PROXY: value }, systemRandom).trustProxy;
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('1')).toBe(1);
    expect(trust('10.0.0.1, 10.1.0.0/16,::1')).toEqual(['10.0.0.1', '10.1.0.0/16', '::1']);
    expect(() => trust('yes please')).toThrow(ConfigError);
  });

  it('refuses a bad URL, a missing key file and a public URL with a path', () => {
    const dir = dataDir();
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_DATABASE_URL: 'mysql://x' }, systemRandom)).toThrow(/HEARTH_DATABASE_URL/);
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY_FILE: join(dir, 'nope') }, systemRandom)).toThrow(/does not exist/);
    expect(() => loadConfig({ HEARTH_DATA_DIR: dir, HEARTH_PUBLIC_URL: 'https://x.example/app' }, systemRandom)).toThrow(/origin only/);
  });
});

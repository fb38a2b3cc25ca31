import { afterEach, describe, expect, it, vi } from 'vitest';
import * as argon2 from '@node-rs/argon2';
import { hashPool } from '../../src/accounts/hash-pool.ts';
import { createPasswordHasher, defaultArgon2Params, normalizePassword } from '../../src/accounts/passwords.ts';
import { hmacSha256 } from '../../src/crypto.ts';

// Call-through spies on the hashing threads: every hash below is real, and the dummy-hash test can see which
// argon2 computations ran.
const poolHash = vi.spyOn(hashPool, 'hash');
const poolVerify = vi.spyOn(hashPool, 'verify');

const key1 = Buffer.alloc(32, 0x11);
const key2 = Buffer.alloc(32, 0x22);
const P = 'Correct-Horse 🔥 Battery';
/** The argon2 input, written out here so the test pins it: HMAC-SHA-256 of the NFKC password, in base64. */
const mac = (key: Buffer, password: string): string => hmacSha256(key, password).toString('base64');

interface StoredParams {
  keyVersion: number;
  algorithm: string;
  m: number;
  t: number;
  p: number;
}

function phcParams(stored: string): StoredParams {
  const match = /^k(\d+)\$(argon2id)\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.exec(stored);
  if (!match) throw new Error(`not a Hearth password hash: ${stored}`);
  const [, keyVersion, algorithm, m, t, p] = match;
  return { keyVersion: Number(keyVersion), algorithm, m: Number(m), t: Number(t), p: Number(p) };
}

afterEach(() => {
  poolHash.mockClear();
  poolVerify.mockClear();
});

describe('nothing is truncated or case-folded (S02)', () => {
  const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });

  it('S02: P verifies; P minus its last character and P upper-cased fail', async () => {
    const stored = await hasher.hash(P);
    expect(await hasher.verify(stored, P)).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify(stored, P.slice(0, -1))).toEqual({ ok: false, needsRehash: false });
    expect(await hasher.verify(stored, P.toUpperCase())).toEqual({ ok: false, needsRehash: false });
    expect(await hasher.verify(stored, P.toLowerCase())).toEqual({ ok: false, needsRehash: false });
  });

  it('S02: the last character of a 256-character password matters', async () => {
    const long = 'a long and winding road '.repeat(11).slice(0, 255);
    const stored = await hasher.hash(long + 'X');
    expect((await hasher.verify(stored, long + 'X')).ok).toBe(true);
    expect((await hasher.verify(stored, long + 'Y')).ok).toBe(false);
    expect((await hasher.verify(stored, long)).ok).toBe(false);
  });

  it('S02: the NFKC forms of one password are the same password, and only those', async () => {
    const composed = 'caf\u00e9 au lait!';
    const decomposed = 'cafe\u0301 au lait!';
    expect(normalizePassword(decomposed)).toBe(composed);
    const stored = await hasher.hash(composed);
    expect((await hasher.verify(stored, decomposed)).ok).toBe(true);
    expect((await hasher.verify(stored, 'cafe au lait!')).ok).toBe(false);
  });
});

describe('storage: argon2id over a keyed HMAC (S04)', () => {
  it('S04: the stored hash names its key version and argon2id with m >= 19456 KiB, t >= 2', async () => {
    const hasher = createPasswordHasher({ keys: new Map([[3, key1]]), currentKeyVersion: 3 });
    const stored = await hasher.hash(P);
    const params = phcParams(stored);
    expect(params).toEqual({ keyVersion: 3, algorithm: 'argon2id', m: 19456, t: 2, p: 1 });
    expect(params.m).toBeGreaterThanOrEqual(19456);
    expect(params.t).toBeGreaterThanOrEqual(2);
    expect(stored).not.toContain(P);
    expect(await hasher.hash(P)).not.toBe(stored);
  });

  it('S04: the argon2 input is the HMAC of the NFKC password under the current key', async () => {
    const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const stored = await hasher.hash('cafe\u0301 au lait!');
    const phc = stored.slice('k1'.length);
    expect(await argon2.verify(phc, mac(key1, 'caf\u00e9 au lait!'))).toBe(true);
    expect(await argon2.verify(phc, 'caf\u00e9 au lait!')).toBe(false);
  });

  it('S04: a hash made with weaker parameters verifies and asks to be rehashed', async () => {
    const weakPhc = await argon2.hash(mac(key1, normalizePassword(P)), {
      algorithm: 2,
      memoryCost: 4096,
      timeCost: 2,
      parallelism: 1,
    });
    const weak = `k1${weakPhc}`;
    expect(phcParams(weak).m).toBe(4096);
    const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    expect(await hasher.verify(weak, P)).toEqual({ ok: true, needsRehash: true });
    expect(await hasher.verify(weak, 'not the password')).toEqual({ ok: false, needsRehash: false });
    const upgraded = await hasher.hash(P);
    expect(await hasher.verify(upgraded, P)).toEqual({ ok: true, needsRehash: false });
  });

  it('S04: raising the parameters asks for a rehash of hashes made with the old ones, not the other way', async () => {
    const standard = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const stronger = createPasswordHasher({
      keys: { 1: key1 },
      currentKeyVersion: 1,
      params: { memoryCost: 19456, timeCost: 3, parallelism: 1 },
    });
    const standardHash = await standard.hash(P);
    const strongerHash = await stronger.hash(P);
    expect(phcParams(strongerHash).t).toBe(3);
    expect(await stronger.verify(standardHash, P)).toEqual({ ok: true, needsRehash: true });
    expect(await standard.verify(strongerHash, P)).toEqual({ ok: true, needsRehash: false });
  });

  it('S04: a hash under an older key version verifies and asks to be rehashed under the current key', async () => {
    const old = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const rotated = createPasswordHasher({ keys: { 1: key1, 2: key2 }, currentKeyVersion: 2 });
    const oldHash = await old.hash(P);
    expect(await rotated.verify(oldHash, P)).toEqual({ ok: true, needsRehash: true });
    const newHash = await rotated.hash(P);
    expect(phcParams(newHash).keyVersion).toBe(2);
    expect(await rotated.verify(newHash, P)).toEqual({ ok: true, needsRehash: false });
  });

  it('S04: the pepper matters: the same hash checked with another key fails', async () => {
    const real = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const otherKey = createPasswordHasher({ keys: { 1: key2 }, currentKeyVersion: 1 });
    const stored = await real.hash(P);
    expect(await otherKey.verify(stored, P)).toEqual({ ok: false, needsRehash: false });
    expect(await real.verify(stored, P)).toEqual({ ok: true, needsRehash: false });
  });

  it('S04: a hash whose key version was rotated away verifies as false without throwing', async () => {
    const old = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const keyOneGone = createPasswordHasher({ keys: { 2: key2 }, currentKeyVersion: 2 });
    const stored = await old.hash(P);
    expect(await keyOneGone.verify(stored, P)).toEqual({ ok: false, needsRehash: false });
  });

  it('S04: malformed stored hashes verify as false without throwing', async () => {
    const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const good = await hasher.hash(P);
    const argon2iPhc = await argon2.hash(mac(key1, P), { algorithm: 1, memoryCost: 19456, timeCost: 2 });
    const malformed = [
      '',
      'garbage',
      good.slice('k1'.length),
      `k0${good.slice(2)}`,
      `kx${good.slice(2)}`,
      good.slice(0, -10),
      `${good}$extra`,
      'k1$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgc2FsdA$bm90IGEgaGFzaA',
      'k1$argon2id$v=19$m=19456,t=2,p=1$$',
      `k1${argon2iPhc}`,
      'k1$bcrypt$2b$12$abcdefghijklmnopqrstuv',
    ];
    for (const stored of malformed) {
      await expect(hasher.verify(stored, P), stored).resolves.toEqual({ ok: false, needsRehash: false });
    }
    expect(await hasher.verify(good, P)).toEqual({ ok: true, needsRehash: false });
  });

  it('S04: parameters below argon2id m=19456 KiB, t=2, p=1 are refused when the hasher is made', () => {
    const keys = { 1: key1 };
    const weak = [
      { memoryCost: 19455, timeCost: 2, parallelism: 1 },
      { memoryCost: 19456, timeCost: 1, parallelism: 1 },
      { memoryCost: 19456, timeCost: 2, parallelism: 0 },
      { memoryCost: 19456.5, timeCost: 2, parallelism: 1 },
      { memoryCost: Number.NaN, timeCost: 2, parallelism: 1 },
    ];
    for (const params of weak) {
      const make = () => createPasswordHasher({ keys, currentKeyVersion: 1, params });
      expect(make, JSON.stringify(params)).toThrow(RangeError);
    }
    expect(defaultArgon2Params).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const stronger = { memoryCost: 65536, timeCost: 3, parallelism: 2 };
    expect(() => createPasswordHasher({ keys, currentKeyVersion: 1, params: stronger })).not.toThrow();
  });

  it('refuses a missing current key, a short key and a bad key version', () => {
    expect(() => createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 2 })).toThrow(/current version 2/);
    expect(() => createPasswordHasher({ keys: { 1: Buffer.alloc(16) }, currentKeyVersion: 1 })).toThrow(/32 bytes/);
    expect(() => createPasswordHasher({ keys: new Map([[0, key1]]), currentKeyVersion: 0 })).toThrow(RangeError);
  });
});

describe('dummy verification for unknown accounts (S10)', () => {
  it('S10: verifyDummy runs one real argon2 verification at current parameters; the dummy is hashed once', async () => {
    const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const hash = poolHash;
    const verify = poolVerify;
    await hasher.verifyDummy('whatever the visitor typed');
    await hasher.verifyDummy('another guess');
    expect(hash).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledTimes(2);
    const [dummyPhc, input] = verify.mock.calls[1];
    expect(String(dummyPhc)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(input).toEqual(mac(key1, 'another guess'));
  });

  it('S10: a hash that cannot be checked still costs one argon2 verification', async () => {
    const hasher = createPasswordHasher({ keys: { 2: key2 }, currentKeyVersion: 2 });
    const verify = poolVerify;
    await hasher.verify('garbage', P);
    await hasher.verify(`k1${await argon2.hash(mac(key1, P), { algorithm: 2 })}`, P);
    expect(verify).toHaveBeenCalledTimes(2);
  });
});

describe('hashing off the event loop (S06)', () => {
  it('S06: a timer keeps firing while several hashes and verifications run', async () => {
    const hasher = createPasswordHasher({ keys: { 1: key1 }, currentKeyVersion: 1 });
    const stored = await hasher.hash(P);
    let ticks = 0;
    let ticksWhenFirstDone = -1;
    const timer = setInterval(() => ticks++, 1);
    try {
      const work = [
        ...Array.from({ length: 4 }, (_, i) => hasher.hash(`${P} ${i}`)),
        ...Array.from({ length: 4 }, () => hasher.verify(stored, P)),
      ].map((promise) =>
        promise.then((value) => {
          if (ticksWhenFirstDone < 0) ticksWhenFirstDone = ticks;
          return value;
        }),
      );
      const results = await Promise.all(work);
      expect(results.slice(4)).toEqual(Array.from({ length: 4 }, () => ({ ok: true, needsRehash: false })));
    } finally {
      clearInterval(timer);
    }
    // Synchronous hashing would finish all eight before the timer's first turn.
    expect(ticksWhenFirstDone).toBeGreaterThanOrEqual(1);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});

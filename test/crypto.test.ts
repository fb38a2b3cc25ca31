// The real randomness and key derivation of src/crypto.ts: pooled random bytes are handed out once each and
// never shared between callers; derived keys are the same for a key and purpose, and differ between them.
import { describe, expect, it } from 'vitest';
import { deriveKey, hmacSha256, newToken, systemRandom } from '../src/crypto.ts';

describe('systemRandom', () => {
  it('S20: gives each caller bytes of its own: no two tokens in 100,000 alike, and no byte value missing', () => {
    const tokens = new Set<string>();
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i += 1) {
      const bytes = systemRandom(32);
      bytes.forEach((b) => seen.add(b));
      tokens.add(bytes.toString('hex'));
    }
    expect(tokens.size).toBe(100_000);
    expect(seen.size).toBe(256);
  });

  it('hands out a copy: changing one answer changes no other, earlier or later', () => {
    const first = systemRandom(16);
    const kept = Buffer.from(first);
    first.fill(0);
    const second = systemRandom(16);
    expect(kept.equals(Buffer.alloc(16))).toBe(false);
    expect(second.equals(Buffer.alloc(16))).toBe(false);
    // Its own memory: not a view into a pool another caller reads from.
    expect(second.byteOffset === 0 && second.buffer.byteLength === 16 ? 'own' : 'shared').toBe('own');
  });

  it('answers sizes of every kind, large ones too', () => {
    for (const size of [0, 1, 15, 16, 32, 255, 256, 257, 4096, 100_000]) expect(systemRandom(size)).toHaveLength(size);
    expect(newToken(systemRandom)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('deriveKey', () => {
  it('is HMAC-SHA-256 of the purpose under the master key, the same every time, different per purpose and key', () => {
    const master = Buffer.alloc(32, 1);
    expect(deriveKey(master, 'device-marker')).toEqual(hmacSha256(master, 'hearth:device-marker'));
    expect(deriveKey(master, 'device-marker')).toEqual(deriveKey(Buffer.alloc(32, 1), 'device-marker'));
    expect(deriveKey(master, 'device-marker')).not.toEqual(deriveKey(master, 'mail-body'));
    expect(deriveKey(master, 'device-marker')).not.toEqual(deriveKey(Buffer.alloc(32, 2), 'device-marker'));
  });
});

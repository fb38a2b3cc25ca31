import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import QRCode from 'qrcode';
import { describe, expect, it, vi } from 'vitest';
import { systemRandom } from '../../src/crypto.ts';
import { base32Decode, base32Encode } from '../../src/factors/base32.ts';
import { qrSvg } from '../../src/factors/qr.ts';
import { hotpCode, newTotpSecret, totpCode, totpStep, totpUri, verifyTotp } from '../../src/factors/totp.ts';

// The seed of RFC 4226 appendix D and RFC 6238 appendix B (SHA-1).
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
const at = (seconds: number) => new Date(seconds * 1000);

describe('base32 (RFC 4648)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];

  it.each(vectors)('encodes and decodes the RFC 4648 section 10 vector %j', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain), { padding: true })).toBe(encoded);
    expect(base32Encode(Buffer.from(plain))).toBe(encoded.replace(/=+$/, ''));
    expect(base32Decode(encoded)?.toString()).toBe(plain);
    expect(base32Decode(encoded.replace(/=+$/, ''))?.toString()).toBe(plain);
  });

  it('round-trips any bytes, with or without padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base32Decode(base32Encode(bytes))).toEqual(Buffer.from(bytes));
        expect(base32Decode(base32Encode(bytes, { padding: true }))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('decodes ignoring case, spaces and padding', () => {
    expect(base32Decode('mzxw 6ytb oi======')?.toString()).toBe('foobar');
    expect(base32Decode(' MzXw6YtBoI\n')?.toString()).toBe('foobar');
    expect(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq')).toEqual(RFC_SECRET);
  });

  it('refuses text that is not base32', () => {
    expect(base32Decode('MZXW1YTB')).toBeNull(); // 1 is not in the alphabet
    expect(base32Decode('MZ=XW6YTB')).toBeNull(); // padding only at the end
    expect(base32Decode('MZXW6YTBO')).toBeNull(); // 9 characters encode no whole number of bytes
    expect(base32Decode('MY')?.toString()).toBe('f');
    expect(base32Decode('MZ')).toBeNull(); // 'MZ' would be 'f' with non-zero bits left over
  });
});

describe('HOTP (RFC 4226 appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

  it.each(expected.map((code, counter) => [counter, code] as const))('counter %i gives %s', (counter, code) => {
    expect(hotpCode(RFC_SECRET, counter)).toBe(code);
  });
});

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('at %i s gives %s (8 digits)', (seconds, code) => {
    expect(totpCode(RFC_SECRET, at(seconds), { digits: 8 })).toBe(code);
  });

  it.each(vectors)('at %i s gives the last 6 of %s with the defaults', (seconds, code) => {
    // Truncation is modulo 10^digits, so the 6-digit code is the 8-digit code's last 6 digits.
    expect(totpCode(RFC_SECRET, at(seconds))).toBe(code.slice(2));
  });

  it('counts 30-second steps from the epoch', () => {
    expect(totpStep(at(0))).toBe(0);
    expect(totpStep(at(29.999))).toBe(0);
    expect(totpStep(at(30))).toBe(1);
    expect(totpStep(at(1111111109))).toBe(0x23523ec);
    expect(totpStep(at(59), 60)).toBe(0);
  });
});

describe('verifyTotp', () => {
  const secret = Buffer.from('3132333435363738393031323334353637383930', 'hex');
  const now = at(1_800_000_015); // step 60_000_000, 15 s into it
  const step = totpStep(now);
  const codeAt = (s: number) => hotpCode(secret, s);

  it('S40: seeds are 160 random bits', () => {
    const random = vi.fn(systemRandom);
    const seed = newTotpSecret(random);
    expect(random).toHaveBeenCalledExactlyOnceWith(20);
    expect(seed).toHaveLength(20);
    expect(seed).toEqual(random.mock.results[0].value);
    expect(newTotpSecret(systemRandom)).not.toEqual(newTotpSecret(systemRandom));
  });

  it('S40: the code of the current step is accepted and returns that step', () => {
    expect(verifyTotp(secret, codeAt(step), now, null)).toBe(step);
    expect(verifyTotp(secret, totpCode(secret, now), now, step - 5)).toBe(step);
  });

  it('S40: a code 1 step away (either side) is accepted', () => {
    expect(verifyTotp(secret, codeAt(step - 1), now, null)).toBe(step - 1);
    expect(verifyTotp(secret, codeAt(step + 1), now, null)).toBe(step + 1);
    // At the very edges of the current step, one step of drift still holds.
    expect(verifyTotp(secret, codeAt(step - 1), at(1_800_000_029.999), null)).toBe(step - 1);
    expect(verifyTotp(secret, codeAt(step + 1), at(1_800_000_000), null)).toBe(step + 1);
  });

  it('S40: a code 2 steps away is refused', () => {
    expect(verifyTotp(secret, codeAt(step - 2), now, null)).toBeNull();
    expect(verifyTotp(secret, codeAt(step + 2), now, null)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, at(1_800_000_015 - 60)), now, null)).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, at(1_800_000_015 + 60)), now, null)).toBeNull();
  });

  it('S40: replay of the same code is refused once it was accepted', () => {
    const code = codeAt(step);
    const used = verifyTotp(secret, code, now, null);
    expect(used).toBe(step);
    expect(verifyTotp(secret, code, now, used)).toBeNull();
    // Still refused later while the code stays in the window.
    expect(verifyTotp(secret, code, at(1_800_000_045), used)).toBeNull();
  });

  it('S40: an older code is refused after a newer one was accepted', () => {
    const used = verifyTotp(secret, codeAt(step), now, null);
    expect(verifyTotp(secret, codeAt(step - 1), now, used)).toBeNull();
    // The next step's code remains usable.
    expect(verifyTotp(secret, codeAt(step + 1), now, used)).toBe(step + 1);
  });

  it('S40: a code that matches two steps in the window is still accepted only once', () => {
    // Found by search: with the RFC seed, steps 153567 and 153569 share the code 468457.
    expect(hotpCode(RFC_SECRET, 153567)).toBe('468457');
    expect(hotpCode(RFC_SECRET, 153569)).toBe('468457');
    const middle = at(153568 * 30 + 10);
    const used = verifyTotp(RFC_SECRET, '468457', middle, null);
    expect(used).toBe(153569);
    expect(verifyTotp(RFC_SECRET, '468457', middle, used)).toBeNull();
  });

  it('S40: a code for a later step than the last used one is accepted', () => {
    expect(verifyTotp(secret, codeAt(step), now, step - 1)).toBe(step);
  });

  it('accepts surrounding spaces and refuses anything that is not 6 digits', () => {
    const code = codeAt(step);
    expect(verifyTotp(secret, ` ${code}\t\n`, now, null)).toBe(step);
    for (const bad of [
      '',
      code.slice(0, 5),
      `${code}0`,
      `${code.slice(0, 3)} ${code.slice(3)}`,
      `+${code.slice(1)}`,
      code.replace(/^./, 'a'),
      `0x${code}`,
      '١٢٣٤٥٦',
      totpCode(secret, now, { digits: 8 }),
    ]) {
      expect(verifyTotp(secret, bad, now, null), JSON.stringify(bad)).toBeNull();
    }
  });

  it('refuses a wrong code and a code made with another seed', () => {
    // Fixed seed and time, so neither value can happen to collide with a code in the window.
    const wrong = String((Number(codeAt(step)) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp(secret, wrong, now, null)).toBeNull();
    expect(verifyTotp(secret, hotpCode(Buffer.alloc(20, 7), step), now, null)).toBeNull();
  });
});

describe('totpUri', () => {
  it('builds an otpauth:// Key URI with the base32 seed and fixed parameters', () => {
    const uri = totpUri({ secret: RFC_SECRET, accountName: 'alice', issuer: 'Hearth' });
    expect(uri).toBe(
      'otpauth://totp/Hearth:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Hearth&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('URI-encodes the label and issuer', () => {
    const uri = totpUri({
      secret: RFC_SECRET,
      accountName: "Zoë O'Neil+media@example.org",
      issuer: 'Home & Co:Hearth',
    });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(uri.startsWith("otpauth://totp/Home%20%26%20Co%3AHearth:Zo%C3%AB%20O'Neil%2Bmedia%40example.org?")).toBe(
      true,
    );
    expect(url.searchParams.get('issuer')).toBe('Home & Co:Hearth');
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(uri).not.toContain('=&'); // no padding and no empty value
    expect(uri.match(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/)).toBeNull();
  });
});

describe('qrSvg', () => {
  // Reads the dark modules back out of the SVG path that qrcode draws (`M x y.5 h n m dx 0 ...`).
  function modulesFromSvg(svg: string): Set<string> {
    const d = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1] ?? '';
    const dark = new Set<string>();
    let x = 0;
    let y = 0;
    for (const [, command, args] of d.matchAll(/([Mmh])([^Mmh]+)/g)) {
      const numbers = args
        .trim()
        .split(/[\s,]+/)
        .map(Number);
      if (command === 'M') [x, y] = [numbers[0], numbers[1] - 0.5];
      if (command === 'm') [x, y] = [x + numbers[0], y + numbers[1]];
      if (command === 'h') for (let i = 0; i < numbers[0]; i++) dark.add(`${x++},${y}`);
    }
    return dark;
  }

  it('draws the QR code of the text as self-contained SVG', async () => {
    const uri = totpUri({ secret: RFC_SECRET, accountName: 'alice', issuer: 'Hearth' });
    const svg = await qrSvg(uri);
    expect(svg.trim()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/s);
    expect(svg).not.toMatch(/href|<script|<image|<foreignObject|url\(|on\w+=/i);

    const qr = QRCode.create(uri, { errorCorrectionLevel: 'M' });
    const size = qr.modules.size;
    expect(svg).toContain(`viewBox="0 0 ${size + 8} ${size + 8}"`);
    const expected = new Set<string>();
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) if (qr.modules.get(row, col)) expected.add(`${col + 4},${row + 4}`);
    }
    expect(modulesFromSvg(svg)).toEqual(expected);
    expect(await qrSvg(`${uri}x`)).not.toBe(svg);
  });
});

// Independent check against Debian's oathtool, a separate TOTP implementation used by real deployments.
const oathtoolFound = spawnSync('oathtool', ['--version']).status === 0;
const underCi = process.env.CI === 'true';
if (!oathtoolFound && !underCi) {
  console.warn('Skipping the oathtool cross-check: oathtool is not installed (apt-get install oathtool).');
}

describe.runIf(oathtoolFound || underCi)('against oathtool', () => {
  const oathtool = (secret: Buffer, seconds: number, digits = 6) =>
    execFileSync('oathtool', ['--totp', '-d', String(digits), '-b', base32Encode(secret), '-N', `@${seconds}`], {
      encoding: 'utf8',
    }).trim();

  it('is installed (required under CI=true)', () => {
    expect(oathtoolFound, 'oathtool is missing').toBe(true);
  });

  it.runIf(oathtoolFound)('S40: oathtool and Hearth agree on codes for random seeds and times', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (seed, seconds) => {
          const secret = Buffer.from(seed);
          expect(totpCode(secret, at(seconds))).toBe(oathtool(secret, seconds));
        },
      ),
      { numRuns: 25 },
    );
    expect(totpCode(RFC_SECRET, at(20000000000), { digits: 8 })).toBe(oathtool(RFC_SECRET, 20000000000, 8));
  });

  it.runIf(oathtoolFound)(
    'S40: codes from oathtool (an authenticator app stand-in) are accepted within one step',
    () => {
      const secret = newTotpSecret(systemRandom);
      const seconds = 1_900_000_010;
      const now = at(seconds);
      expect(verifyTotp(secret, oathtool(secret, seconds), now, null)).toBe(totpStep(now));
      expect(verifyTotp(secret, oathtool(secret, seconds - 30), now, null)).toBe(totpStep(now) - 1);
      expect(verifyTotp(secret, oathtool(secret, seconds + 30), now, null)).toBe(totpStep(now) + 1);
      const twoAway = oathtool(secret, seconds - 60);
      const inWindow = [-1, 0, 1].map((d) => hotpCode(secret, totpStep(now) + d));
      if (!inWindow.includes(twoAway)) expect(verifyTotp(secret, twoAway, now, null)).toBeNull();
    },
  );
});

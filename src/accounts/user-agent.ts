// A device's platform and client, named for people in the device list. Deliberately coarse:
// enough to recognise "Firefox on Windows", not a fingerprint.
export interface DeviceInfo {
  name: string | null;
  platform: string | null;
  client: string | null;
  /** The browser's major version, from the User-Agent only ("131"). */
  version?: string | null;
}

const platforms: [RegExp, string][] = [
  [/Android/i, 'Android'],
  [/iPhone|iPad|iPod/i, 'iOS'],
  [/Tizen|Web0S|webOS|SmartTV|BRAVIA|AFT[A-Z]|Roku|tvOS/i, 'TV'],
  [/Windows/i, 'Windows'],
  [/Mac OS X|Macintosh/i, 'macOS'],
  [/CrOS/i, 'ChromeOS'],
  [/Linux/i, 'Linux'],
];

const clients: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
  [/curl\//, 'curl'],
  [/hearth-cli/i, 'Hearth CLI'],
];

const versions: Record<string, RegExp> = {
  Edge: /Edg\/(\d+)/,
  Opera: /OPR\/(\d+)/,
  Firefox: /Firefox\/(\d+)/,
  Chrome: /Chrom(?:e|ium)\/(\d+)/,
  Safari: /Version\/(\d+)/,
};

export function describeUserAgent(userAgent: string | undefined): {
  platform: string | null;
  client: string | null;
  version: string | null;
} {
  if (!userAgent) return { platform: null, client: null, version: null };
  const platform = platforms.find(([re]) => re.test(userAgent))?.[1] ?? null;
  const client = clients.find(([re]) => re.test(userAgent))?.[1] ?? null;
  const version = client !== null ? (versions[client]?.exec(userAgent)?.[1] ?? null) : null;
  return { platform, client, version };
}

/** The device as the client named it, filled in from its User-Agent where it did not. */
export function deviceInfoFrom(
  declared: { name?: string; platform?: string; client?: string } | undefined,
  userAgent: string | undefined,
): DeviceInfo {
  const guessed = describeUserAgent(userAgent);
  const platform = declared?.platform ?? guessed.platform;
  const client = declared?.client ?? guessed.client;
  const name = declared?.name ?? ([client, platform].filter(Boolean).join(' on ') || null);
  // A version only where the client is the browser the User-Agent names.
  const version = declared?.client === undefined ? guessed.version : null;
  return { name, platform, client, version };
}

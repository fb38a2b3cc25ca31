// Jellyfin's ids are 32 hex digits (a GUID without dashes); Hearth's are 16 random bytes in base64url.
// The two are the same bytes, so the mapping needs no table and works both ways.

/** Hearth id → Jellyfin id (32 lower-case hex digits). */
export function toJellyfinId(id: string): string {
  return Buffer.from(id, 'base64url').toString('hex');
}

const GUID = /^[0-9a-f]{32}$/i;

/** Jellyfin id (32 hex digits, dashes allowed) → Hearth id, or null when it is not one. */
export function fromJellyfinId(value: string | undefined | null): string | null {
  if (!value) return null;
  const hex = value.replace(/-/g, '');
  if (!GUID.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('base64url');
}

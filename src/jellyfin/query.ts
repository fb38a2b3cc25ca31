// Jellyfin's query parameters are case-insensitive (`StartIndex`, `startIndex`) and lists come either
// comma-separated or repeated (`Fields=A,B` or `fields=A&fields=B`): one reader for all of them, and for
// their JSON bodies too.
import { AppError } from '../errors.ts';
import { fromJellyfinId } from './ids.ts';

export class JellyfinQuery {
  private readonly values = new Map<string, string[]>();

  constructor(query: unknown) {
    if (query && typeof query === 'object') {
      for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
        const key = name.toLowerCase();
        const list = this.values.get(key) ?? [];
        for (const v of Array.isArray(value) ? value : [value]) {
          // Bodies are JSON: numbers and booleans are read like their text in a query string.
          if (typeof v === 'string') list.push(v);
          else if (typeof v === 'number' || typeof v === 'boolean') list.push(String(v));
        }
        this.values.set(key, list);
      }
    }
  }

  string(name: string): string | undefined {
    const value = this.values.get(name.toLowerCase())?.[0];
    return value === undefined || value === '' ? undefined : value.slice(0, 500);
  }

  list(name: string): string[] | undefined {
    const raw = this.values.get(name.toLowerCase());
    if (!raw) return undefined;
    const items = raw
      .flatMap((v) => v.split(/[,|]/))
      .map((v) => v.trim())
      .filter((v) => v !== '');
    return items.length > 0 ? items.slice(0, 500) : undefined;
  }

  int(name: string, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new AppError('bad_request', `${name} must be a number.`);
    return Math.min(max, Math.max(min, Math.trunc(n)));
  }

  number(name: string, min: number, max: number): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new AppError('bad_request', `${name} must be a number.`);
    return Math.min(max, Math.max(min, n));
  }

  bool(name: string): boolean | undefined {
    const value = this.string(name)?.toLowerCase();
    if (value === undefined) return undefined;
    return value === 'true' || value === '1';
  }

  /** A Jellyfin id parameter: undefined when absent, null when present but not an id. */
  id(name: string): string | null | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return fromJellyfinId(value);
  }

  ids(name: string): string[] | undefined {
    return this.list(name)
      ?.map((v) => fromJellyfinId(v))
      .filter((v): v is string => v !== null);
  }
}

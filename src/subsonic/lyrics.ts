// Lyrics for getLyricsBySongId (OpenSubsonic songLyrics): embedded in the tags, or an `.lrc` file beside the
// track; synced when the text carries [mm:ss.xx] times.
import { openInside } from '../media/walk.ts';
import type { Node } from './render.ts';

const TIME = /\[(\d{1,3}):(\d{1,2})(?:[.:](\d{1,3}))?\]/g;
const HEADER = /^\[(ar|ti|al|offset|length|by|re|ve|au|#):([^\]]*)\]$/i;

export interface ParsedLyrics {
  synced: boolean;
  offset: number;
  lines: { start?: number; value: string }[];
}

export function parseLyrics(text: string): ParsedLyrics {
  const lines: { start?: number; value: string }[] = [];
  let timed = 0;
  let offset = 0;
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    const line = raw.trim();
    const header = HEADER.exec(line);
    if (header) {
      if (header[1]!.toLowerCase() === 'offset') offset = Number.parseInt(header[2]!, 10) || 0;
      continue;
    }
    const times = [...line.matchAll(TIME)];
    const value = line.replace(TIME, '').trim();
    if (times.length === 0) {
      lines.push({ value });
      continue;
    }
    for (const t of times) {
      const frac = t[3] ?? '0';
      const ms = Number(t[1]) * 60_000 + Number(t[2]) * 1000 + Number(frac.padEnd(3, '0').slice(0, 3));
      lines.push({ start: ms, value });
      timed++;
    }
  }
  const synced = timed > 0 && timed >= lines.filter((l) => l.value !== '').length / 2;
  if (synced) {
    const kept = lines.filter((l) => l.start !== undefined);
    kept.sort((a, b) => a.start! - b.start!);
    return { synced, offset, lines: kept };
  }
  // Untimed text: trailing and leading blank lines carry nothing.
  while (lines.length > 0 && lines[0]!.value === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.value === '') lines.pop();
  return { synced: false, offset: 0, lines: lines.map((l) => ({ value: l.value })) };
}

const MAX_LRC_BYTES = 512 * 1024;

/** The `.lrc` beside a track (same name, other extension), read only while inside the library (S71). */
export async function readSidecarLyrics(trackPath: string, roots: string[]): Promise<string | null> {
  const lrcPath = trackPath.replace(/\.[^./]+$/, '.lrc');
  if (lrcPath === trackPath) return null;
  const handle = await openInside(lrcPath, roots);
  if (handle === null) return null;
  try {
    const { size } = await handle.stat();
    if (size > MAX_LRC_BYTES) return null;
    const buf = Buffer.alloc(size);
    await handle.read(buf, 0, size, 0);
    return buf.toString('utf8');
  } finally {
    await handle.close();
  }
}

export function structuredLyrics(text: string, artist: string | undefined, title: string, lang = 'xxx'): Node {
  const parsed = parseLyrics(text);
  return {
    displayArtist: artist,
    displayTitle: title,
    lang,
    offset: parsed.offset,
    synced: parsed.synced,
    line: parsed.lines.map((l) => (l.start === undefined ? { value: l.value } : { start: l.start, value: l.value })),
  };
}

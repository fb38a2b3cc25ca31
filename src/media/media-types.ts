// What a file is by its extension, and whether browsers can play it without transcoding.

export type MediaKind = 'video' | 'audio' | 'image' | 'subtitle';

export interface MediaType {
  readonly kind: MediaKind;
  readonly mime: string;
}

const video = (mime: string): MediaType => ({ kind: 'video', mime });
const audio = (mime: string): MediaType => ({ kind: 'audio', mime });
const image = (mime: string): MediaType => ({ kind: 'image', mime });
const subtitle = (mime: string): MediaType => ({ kind: 'subtitle', mime });

const BY_EXTENSION: ReadonlyMap<string, MediaType> = new Map([
  ['mp4', video('video/mp4')],
  // m4v is MP4 with another name; browsers refuse `video/x-m4v` more often than they refuse the file.
  ['m4v', video('video/mp4')],
  ['mkv', video('video/x-matroska')],
  ['webm', video('video/webm')],
  ['mov', video('video/quicktime')],
  ['avi', video('video/x-msvideo')],
  ['ts', video('video/mp2t')],
  ['m2ts', video('video/mp2t')],
  ['mts', video('video/mp2t')],
  ['wmv', video('video/x-ms-wmv')],
  ['flv', video('video/x-flv')],
  ['mpg', video('video/mpeg')],
  ['mpeg', video('video/mpeg')],
  ['ogv', video('video/ogg')],
  ['3gp', video('video/3gpp')],
  ['mp3', audio('audio/mpeg')],
  ['flac', audio('audio/flac')],
  ['m4a', audio('audio/mp4')],
  ['m4b', audio('audio/mp4')],
  ['aac', audio('audio/aac')],
  ['ogg', audio('audio/ogg')],
  ['oga', audio('audio/ogg')],
  ['opus', audio('audio/ogg')],
  ['wav', audio('audio/wav')],
  ['wma', audio('audio/x-ms-wma')],
  ['alac', audio('audio/mp4')],
  ['aiff', audio('audio/aiff')],
  ['aif', audio('audio/aiff')],
  ['ape', audio('audio/x-ape')],
  ['wv', audio('audio/x-wavpack')],
  ['mka', audio('audio/x-matroska')],
  ['jpg', image('image/jpeg')],
  ['jpeg', image('image/jpeg')],
  ['png', image('image/png')],
  ['webp', image('image/webp')],
  ['gif', image('image/gif')],
  ['avif', image('image/avif')],
  ['srt', subtitle('application/x-subrip')],
  ['vtt', subtitle('text/vtt')],
  ['ass', subtitle('text/x-ssa')],
  ['ssa', subtitle('text/x-ssa')],
]);

/** The lower-case extension of a path or file name without the dot, or '' when it has none. */
export function extensionOf(path: string): string {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  // A leading dot names a hidden file (".mkv"), it does not start an extension.
  if (dot <= slash + 1) return '';
  return path.slice(dot + 1).toLowerCase();
}

/** The media type of a file by its name, or null when Hearth ignores it. */
export function mediaTypeOf(path: string): MediaType | null {
  return BY_EXTENSION.get(extensionOf(path)) ?? null;
}

/** The media type for an extension, with or without its dot, in any case. */
export function mediaTypeForExtension(extension: string): MediaType | null {
  return BY_EXTENSION.get((extension.startsWith('.') ? extension.slice(1) : extension).toLowerCase()) ?? null;
}

/** Every extension Hearth knows for one kind, e.g. to filter a walk. */
export function extensionsOf(kind: MediaKind): string[] {
  return [...BY_EXTENSION].filter(([, type]) => type.kind === kind).map(([extension]) => extension);
}

/**
 * What a probe found. Names may come from ffprobe (`format_name` such as `mov,mp4,m4a,3gp,3g2,mj2`,
 * `codec_name` such as `h264`, `pix_fmt`) or from music-metadata (`container` such as `M4A/isom`,
 * `codec` such as `MPEG-4/AAC`); both are understood. Absent streams are null or undefined.
 */
export interface StreamFacts {
  container: string | null | undefined;
  videoCodec?: string | null | undefined;
  audioCodec?: string | null | undefined;
  pixFmt?: string | null | undefined;
}

type Container = 'mp4' | 'webm' | 'matroska' | 'ogg' | 'mp3' | 'mpeg' | 'flac' | 'aac' | 'wav';

const CONTAINER_ALIASES: Record<string, Container> = {
  mp4: 'mp4',
  mov: 'mp4',
  m4a: 'mp4',
  m4v: 'mp4',
  m4b: 'mp4',
  '3gp': 'mp4',
  '3g2': 'mp4',
  mj2: 'mp4',
  isom: 'mp4',
  iso2: 'mp4',
  iso4: 'mp4',
  iso5: 'mp4',
  iso6: 'mp4',
  mp41: 'mp4',
  mp42: 'mp4',
  dash: 'mp4',
  'mpeg-4': 'mp4',
  mpeg4: 'mp4',
  webm: 'webm',
  matroska: 'matroska',
  mkv: 'matroska',
  mka: 'matroska',
  ogg: 'ogg',
  oga: 'ogg',
  ogv: 'ogg',
  opus: 'ogg',
  mp3: 'mp3',
  mpeg: 'mpeg',
  flac: 'flac',
  aac: 'aac',
  adts: 'aac',
  wav: 'wav',
  wave: 'wav',
};

function normalizeContainer(name: string): Container | null {
  const found = name
    .toLowerCase()
    .split(/[\s,/]+/)
    .map((token) => CONTAINER_ALIASES[token])
    .filter((c) => c !== undefined);
  // ffprobe names every Matroska file `matroska,webm`; the codecs decide whether it plays as WebM.
  if (found.includes('webm')) return 'webm';
  return found[0] ?? null;
}

type VideoCodec = 'h264' | 'hevc' | 'vp8' | 'vp9' | 'av1' | 'other';
type AudioCodec = 'aac' | 'mp3' | 'opus' | 'vorbis' | 'flac' | 'pcm' | 'other';

function normalizeVideoCodec(name: string): VideoCodec {
  const n = name.toLowerCase().replace(/[\s._-]/g, '');
  if (n === 'h264' || n === 'avc' || n === 'avc1' || n === 'avc3') return 'h264';
  if (n === 'hevc' || n === 'h265' || n === 'hvc1' || n === 'hev1') return 'hevc';
  if (n === 'vp8' || n === 'vp08') return 'vp8';
  if (n === 'vp9' || n === 'vp09') return 'vp9';
  if (n === 'av1' || n === 'av01') return 'av1';
  return 'other';
}

function normalizeAudioCodec(name: string): AudioCodec {
  const n = name.toLowerCase().trim();
  if (/^(aac|mp4a)\b|\baac\b/.test(n)) return 'aac';
  if (n === 'mp3' || n === 'mp3float' || n === 'mpeg/l3' || /^mpeg (1|2|2\.5) layer 3$/.test(n)) return 'mp3';
  if (n === 'opus') return 'opus';
  if (n === 'vorbis' || n === 'vorbis i') return 'vorbis';
  if (n === 'flac') return 'flac';
  // 8, 16 and 24-bit integer and 32-bit float PCM play everywhere; A-law, mu-law and big-endian do not.
  if (n === 'pcm' || /^pcm_(u8|s16le|s24le|s32le|f32le)$/.test(n)) return 'pcm';
  return 'other';
}

// Hardware decoders in every browser handle 8-bit 4:2:0 only; 10-bit and 4:2:2/4:4:4 fail on some of them.
const PLAYABLE_PIXEL_FORMATS = new Set(['yuv420p', 'yuvj420p']);

// What Chromium, Firefox and Safari all play today. Deliberately left out because at least one of them
// cannot: HEVC (Firefox), AV1 (Safari without hardware decode), Matroska (Safari), Theora (Safari),
// AC-3/E-AC-3/DTS (Chromium, Firefox), ALAC (Chromium, Firefox).
const PLAYABLE: Record<Container, { video: ReadonlySet<VideoCodec>; audio: ReadonlySet<AudioCodec> }> = {
  mp4: { video: new Set(['h264']), audio: new Set(['aac', 'mp3', 'flac', 'opus']) },
  webm: { video: new Set(['vp8', 'vp9']), audio: new Set(['opus', 'vorbis']) },
  matroska: { video: new Set(), audio: new Set() },
  ogg: { video: new Set(), audio: new Set(['opus', 'vorbis', 'flac']) },
  mp3: { video: new Set(), audio: new Set(['mp3']) },
  // music-metadata calls an MP3 file's container MPEG; ffprobe uses the same word for MPEG-PS video.
  mpeg: { video: new Set(), audio: new Set(['mp3']) },
  flac: { video: new Set(), audio: new Set(['flac']) },
  aac: { video: new Set(), audio: new Set(['aac']) },
  wav: { video: new Set(), audio: new Set(['pcm']) },
};

/**
 * Whether current Chromium, Firefox and Safari can all play the file as it is. Unknown means no: a
 * false "yes" is a black screen, a false "no" only costs a transcode.
 */
export function browserPlayable(facts: StreamFacts): boolean {
  if (!facts.container) return false;
  const container = normalizeContainer(facts.container);
  if (container === null) return false;
  const allowed = PLAYABLE[container];
  const hasVideo = Boolean(facts.videoCodec);
  const hasAudio = Boolean(facts.audioCodec);
  if (!hasVideo && !hasAudio) return false;
  if (hasVideo) {
    if (!allowed.video.has(normalizeVideoCodec(facts.videoCodec as string))) return false;
    if (!facts.pixFmt || !PLAYABLE_PIXEL_FORMATS.has(facts.pixFmt.toLowerCase())) return false;
  }
  if (hasAudio && !allowed.audio.has(normalizeAudioCodec(facts.audioCodec as string))) return false;
  return true;
}

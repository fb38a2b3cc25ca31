// `npm run bench:thumbnails`: thumbnails per second made the way the thumbnail job makes them
// (src/media/thumbnails.ts through src/media/ffmpeg.ts: the local-only input guard, a temp file and a
// rename), divided by bare `ffmpeg` making the same frames from the same files at the same size. Rounds
// alternate the two so the shared machine's noise falls on both; the median round is reported.
//
// Options: --clips=<n> (12), --seconds=<n> (clip length, 20), --rounds=<n> (3), --no-write.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { THUMBNAIL_WIDTH, makeThumbnail, thumbnailSecond } from '../src/media/thumbnails.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const clips = Number(args.get('clips') ?? 12);
const seconds = Number(args.get('seconds') ?? 20);
const rounds = Number(args.get('rounds') ?? 3);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const base = join(tmpdir(), `hearth-bench-thumbs-${clips}-${seconds}`);
  mkdirSync(base, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < clips; i++) {
    const path = join(base, `clip-${i}.mp4`);
    if (!existsSync(path)) {
      execFileSync('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=duration=${seconds}:size=1280x720:rate=25`,
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-pix_fmt',
        'yuv420p',
        path,
      ]);
    }
    files.push(path);
  }
  const at = thumbnailSecond(seconds);
  const load = loadavg()[0]!;
  const ratios: number[] = [];
  const hearthRates: number[] = [];
  const bareRates: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-thumbs-data-'));
    const out = mkdtempSync(join(tmpdir(), 'hearth-bench-thumbs-bare-'));
    try {
      let t = process.hrtime.bigint();
      for (let i = 0; i < files.length; i++) {
        const made = await makeThumbnail({ config: { dataDir } } as never, {
          id: `item${i}`,
          path: files[i]!,
          duration_seconds: seconds,
        });
        if (made === null) throw new Error('no thumbnail made');
      }
      const hearthMs = Number(process.hrtime.bigint() - t) / 1e6;
      t = process.hrtime.bigint();
      for (let i = 0; i < files.length; i++) {
        execFileSync('ffmpeg', [
          '-nostdin',
          '-hide_banner',
          '-v',
          'error',
          '-ss',
          at.toFixed(3),
          '-i',
          files[i]!,
          '-frames:v',
          '1',
          '-an',
          '-sn',
          '-dn',
          '-vf',
          `scale='min(${THUMBNAIL_WIDTH},iw)':-2`,
          '-q:v',
          '4',
          '-f',
          'image2',
          '-c:v',
          'mjpeg',
          '-y',
          join(out, `${i}.jpg`),
        ]);
      }
      const bareMs = Number(process.hrtime.bigint() - t) / 1e6;
      const hearthRate = (files.length / hearthMs) * 1000;
      const bareRate = (files.length / bareMs) * 1000;
      hearthRates.push(hearthRate);
      bareRates.push(bareRate);
      ratios.push(hearthRate / bareRate);
      process.stderr.write(
        `round ${round}: hearth ${hearthRate.toFixed(1)}/s, bare ffmpeg ${bareRate.toFixed(1)}/s, ratio ${(hearthRate / bareRate).toFixed(2)}\n`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }
  const report = [
    `Command: \`npm run bench:thumbnails\` (${process.argv.slice(2).join(' ') || 'defaults'}) · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ` +
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'} (shared: load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end) · ${rounds} rounds, median shown`,
    '',
    `${clips} H.264 clips of ${seconds} s at 1280×720; one frame each at ${at} s, scaled to ${THUMBNAIL_WIDTH} wide, JPEG. One at a time.`,
    '',
    '| measure | thumbnails per second | ratio |',
    '| --- | --- | --- |',
    `| bare \`ffmpeg -ss … -i file … out.jpg\` | ${median(bareRates).toFixed(1)} | 1.00 |`,
    `| Hearth's thumbnail job path (guarded input, temp file, rename) | ${median(hearthRates).toFixed(1)} | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (!args.has('no-write')) writeBenchSection('thumbnails', 'Thumbnails (bench/thumbnails)', report);
}

await main();

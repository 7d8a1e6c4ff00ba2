/**
 * Upload-to-leaderboard latency on the bundled challenges:
 *
 *   npm run build && node dist/bench/pipeline-main.js [--count 20]
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL / BENCH_REDIS_URL, defaulting to the
 * test services on 127.0.0.1); it creates and drops a database of its own.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import yazl from 'yazl';
import { benchPipeline } from './pipeline.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '20' } } });
  const count = Number(values.count);
  const cleaningCount = Math.max(1, Math.ceil(count / 5));
  const results = await benchPipeline([
    { slug: 'digits-selection', count },
    { slug: 'fashion-selection', count },
    // one cleaning submission retrains the model 101 times
    { slug: 'fashion-cleaning', count: cleaningCount },
    { slug: 'fashion-acquisition', count },
    { slug: 'fashion-concepts', count: cleaningCount, upload: { name: 'baselines/random.zip', file: () => readFile('challenges/fashion-concepts/baselines/random.zip') } },
    {
      slug: 'fashion-dataset',
      count: cleaningCount,
      upload: { name: '5,000 examples, CSV (gzip)', file: () => readFile('challenges/fashion-dataset/baselines/random-5000.csv.gz') },
    },
    { slug: 'fashion-dataset', count: cleaningCount, upload: { name: '5,000 PNG images, zip', file: () => imageZip('challenges/fashion-dataset/baselines/random-5000.csv.gz') } },
  ]);
  console.log(`\nupload to leaderboard (one worker, Redis queue, local files)`);
  console.log('| challenge | upload | submissions | median ms | p90 ms | min ms | max ms |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.challenge} | ${r.upload} | ${r.samplesMs.length} | ${r.medianMs.toFixed(0)} | ${r.p90Ms.toFixed(0)} | ${Math.min(...r.samplesMs).toFixed(0)} | ${Math.max(...r.samplesMs).toFixed(0)} |`);
  }
}

/** The examples of a `label,p0..p783` CSV as a zip of 28×28 grayscale PNGs, one folder per label. */
async function imageZip(csvGz: string): Promise<Buffer> {
  const lines = gunzipSync(await readFile(csvGz)).toString('utf8').trim().split('\n').slice(1);
  const zip = new yazl.ZipFile();
  for (const [i, line] of lines.entries()) {
    const [label, ...pixels] = line.split(',');
    const png = await sharp(Uint8Array.from(pixels.map(Number)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    zip.addBuffer(png, `${label}/${String(i).padStart(5, '0')}.png`);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

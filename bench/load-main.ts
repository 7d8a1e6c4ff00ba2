/**
 * The load bench (`npm run bench:load`, after `npm run build`): board reads, an upload
 * burst and evaluation throughput against the built API and workers on a fresh database
 * seeded with boards of scored submissions. `--help` for the options.
 */
import { parseArgs } from 'node:util';
import { type LoadOptions, type LoadResults, runLoadBench } from './load.js';

const HELP = `npm run bench:load [-- options]   (or: node dist/bench/load-main.js [options])

Needs PostgreSQL and Redis (BENCH_DATABASE_URL / BENCH_REDIS_URL, else TEST_DATABASE_URL /
TEST_REDIS_URL, else the local defaults) and a build (npm run build). Creates a database
sieve_bench_<random> and a Redis prefix sieve-bench-<random>, both removed at the end.

  1. seeds --challenges boards (copies of digits-selection) with --submissions scored
     submissions of --participants participants, in SQL;
  2. board reads: autocannon GETs random boards for --read-seconds over
     --read-connections connections, with the board cache off and then on;
  3. evaluations: --evaluations submissions queued, then N worker processes (dist/workers/
     main.js, WORKER_CONCURRENCY 2 each) for each N of --workers; time until all scored;
  4. an upload burst: --uploads uploads from --uploaders participants over
     --upload-connections connections; every answer must be 202 or 429 (the per-token
     upload limit, 10 a minute, stays on), and the 202s must be the rows in the database.

Options (defaults in brackets; --quick for a run of about a minute):
  --challenges N          [100]      --submissions N        [100000]
  --participants N        [1000]     --per-challenge N      [100]
  --read-seconds S        [10]       --read-connections N   [10]
  --no-uncached           skip the reads with the cache off
  --uploads N             [1000]     --uploaders N          [200]
  --upload-connections N  [100]
  --evaluations N         [200]      --workers LIST         [1,2]
  --quick                 20 boards, 10,000 submissions, 3 s of reads, 300 uploads, 40 evaluations
  --json                  print the figures as JSON instead of a table
  --help                  this text
A step with 0 (--read-seconds 0, --uploads 0, --evaluations 0) is skipped.`;

const FULL = {
  challenges: 100,
  submissions: 100_000,
  participants: 1000,
  perChallenge: 100,
  readSeconds: 10,
  readConnections: 10,
  uploads: 1000,
  uploaders: 200,
  uploadConnections: 100,
  evaluations: 200,
};
const QUICK: typeof FULL = { ...FULL, challenges: 20, submissions: 10_000, participants: 500, readSeconds: 3, uploads: 300, uploaders: 60, uploadConnections: 50, evaluations: 40 };

async function main(): Promise<void> {
  const number = { type: 'string' } as const;
  const { values } = parse({
    options: {
      help: { type: 'boolean' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-uncached': { type: 'boolean' },
      challenges: number,
      submissions: number,
      participants: number,
      'per-challenge': number,
      'read-seconds': number,
      'read-connections': number,
      uploads: number,
      uploaders: number,
      'upload-connections': number,
      evaluations: number,
      workers: { type: 'string', default: '1,2' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const base = values.quick ? QUICK : FULL;
  const count = (name: keyof typeof values, fallback: number, min = 0): number => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}, got ${String(raw)}`);
    return n;
  };
  const workerCounts = values.workers.split(',').map((w) => Number(w.trim()));
  if (workerCounts.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--workers must be a comma-separated list of whole numbers of at least 1, got ${values.workers}`);
  const opts: LoadOptions = {
    challenges: count('challenges', base.challenges, 1),
    submissions: count('submissions', base.submissions, 1),
    participants: count('participants', base.participants, 1),
    perChallenge: count('per-challenge', base.perChallenge, 1),
    readSeconds: count('read-seconds', base.readSeconds),
    readConnections: count('read-connections', base.readConnections, 1),
    uncached: !values['no-uncached'],
    uploads: count('uploads', base.uploads),
    uploaders: count('uploaders', base.uploaders, 1),
    uploadConnections: count('upload-connections', base.uploadConnections, 1),
    evaluations: count('evaluations', base.evaluations),
    workerCounts,
    log: (line) => console.error(`[bench:load] ${line}`),
  };
  opts.perChallenge = Math.min(opts.perChallenge, opts.participants, Math.floor(opts.submissions / opts.challenges) || 1);
  const results = await runLoadBench(opts);
  console.log(values.json ? JSON.stringify(results, null, 2) : table(results));
  const u = results.uploads;
  if (u && (u.lost > 0 || u.unannounced > 0 || u.other > 0 || u.unanswered > 0)) {
    console.error('[bench:load] uploads went wrong: see lost / unannounced / other / unanswered above');
    process.exitCode = 1;
  }
}

class UsageError extends Error {}

/** parseArgs, its complaints (an unknown option, a missing value) as usage errors. */
const parse: typeof parseArgs = (config) => {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
};

function table(r: LoadResults): string {
  const n = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rows: [string, string, string][] = [];
  rows.push([`seed: ${n(r.seed.challenges)} boards, ${n(r.seed.submissions)} scored submissions, ${n(r.seed.participants)} participants`, `${n(r.seed.seconds, 1)} s`, `${n(r.seed.predictions)} with stored predictions`]);
  if (r.coldBoardMs) rows.push(['board computed on a cache miss (one read each, median / max)', `${n(r.coldBoardMs.median, 1)} / ${n(r.coldBoardMs.max, 1)} ms`, `${n(r.coldBoardMs.medianBytes / 1000, 1)} kB per board (median)`]);
  for (const x of r.reads) {
    const label = `board reads, cache ${x.cache} (${x.connections} connections, ${n(x.seconds)} s)`;
    rows.push([label, `${n(x.perSecond)} reads/s`, `p50 ${n(x.p50Ms)} ms, p90 ${n(x.p90Ms)} ms, p99 ${n(x.p99Ms)} ms, max ${n(x.maxMs)} ms; ${n(x.failed)} failed; load avg before ${n(x.loadBefore, 2)}`]);
  }
  for (const e of r.evaluations) {
    rows.push([
      `evaluations, ${e.workers} worker process${e.workers === 1 ? '' : 'es'} × concurrency ${e.concurrency} (${n(e.submissions)} queued)`,
      `${n(e.perMinute, 1)} /min`,
      `${n(e.scored)} scored, ${n(e.failed)} failed in ${n(e.seconds, 1)} s`,
    ]);
  }
  const u = r.uploads;
  if (u) {
    rows.push([
      `upload burst: ${n(u.sent)} uploads, ${n(u.uploaders)} participants, ${n(u.connections)} connections`,
      `${n(u.acceptedPerSecond)} accepted/s`,
      `${n(u.accepted)} × 202, ${n(u.refused)} × 429, ${n(u.other)} other, ${n(u.unanswered)} unanswered in ${n(u.seconds, 1)} s; p50 ${n(u.p50Ms)} ms, p99 ${n(u.p99Ms)} ms`,
    ]);
    rows.push(['  202s against the database', `${n(u.inDatabase)} rows`, `${n(u.lost)} lost (202 without a row), ${n(u.unannounced)} rows without a 202`]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), 4));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    `Sieve load bench — ${r.machine.cpus} CPUs, Node ${r.machine.node}; API, workers, PostgreSQL, Redis and autocannon on this one machine`,
    '',
    line(['what', 'figure', 'details']),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

main().then(
  () => process.exit(),
  (e: unknown) => {
    console.error(e instanceof UsageError ? `${e.message}\n\n${HELP}` : e);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);

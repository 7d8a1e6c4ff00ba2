/**
 * The fresh process of `npm run bench:scale` (scale-main.ts starts it with --expose-gc):
 * loads the pool written under --dir exactly as the worker does (ChallengeDataService over
 * filesystem storage, then the id index validation uses), measures how much memory that
 * took, then times the validation of each selection file the way intake does. Prints one
 * JSON object on stdout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { poolIndex } from '../src/modules/protocols/selection.protocol.js';
import { dataOver, validateAsIntake } from './scale.js';

export interface LoadReport {
  loadMs: number;
  /** CPU time (user + system) of the load: on a busy machine, less inflated than wall time. */
  loadCpuMs: number;
  /** Growth of process.memoryUsage() fields over the load, after garbage collection, in bytes. */
  growth: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  /** The highest RSS the process reached (during the load), less the RSS before it. */
  peakRssGrowth: number;
  /** Wall and CPU time of each validation, the median by wall time. */
  validations: { ids: number; medianMs: number; medianCpuMs: number; samplesMs: number[]; samplesCpuMs: number[] }[];
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, rows: { type: 'string' }, sizes: { type: 'string' }, repeats: { type: 'string', default: '3' } } });
  if (!values.dir || !values.rows || !values.sizes) throw new Error('scale-load-main: --dir, --rows and --sizes are required');
  const rows = Number(values.rows);
  const sizes = values.sizes.split(',').map(Number);
  const repeats = Number(values.repeats);
  const { service, version } = dataOver(values.dir, rows);

  collect();
  const before = process.memoryUsage();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const pool = await service.files(version).get('pool');
  poolIndex(pool);
  const loadMs = performance.now() - started;
  const loadCpuMs = cpuMs(process.cpuUsage(cpu));
  const peakRss = process.resourceUsage().maxRSS * 1024;
  collect();
  const after = process.memoryUsage();
  if (pool.n !== rows) throw new Error(`the pool has ${pool.n} rows, expected ${rows}`);

  const validations: LoadReport['validations'] = [];
  const files = await Promise.all(sizes.map((ids) => readFile(join(values.dir!, `selection-${ids}.csv`))));
  await validateAsIntake(service, version, files[0]); // warm-up, not counted
  for (const [i, ids] of sizes.entries()) {
    const samplesMs: number[] = [];
    const samplesCpuMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      collect();
      const t = performance.now();
      const c = process.cpuUsage();
      const count = await validateAsIntake(service, version, files[i]);
      samplesCpuMs.push(cpuMs(process.cpuUsage(c)));
      samplesMs.push(performance.now() - t);
      if (count !== ids) throw new Error(`validation counted ${count} ids, expected ${ids}`);
    }
    const median = [...samplesMs.keys()].sort((a, b) => samplesMs[a] - samplesMs[b])[Math.floor(repeats / 2)];
    validations.push({ ids, medianMs: samplesMs[median], medianCpuMs: samplesCpuMs[median], samplesMs, samplesCpuMs });
  }

  const report: LoadReport = {
    loadMs,
    loadCpuMs,
    growth: {
      rss: after.rss - before.rss,
      heapUsed: after.heapUsed - before.heapUsed,
      external: after.external - before.external,
      arrayBuffers: after.arrayBuffers - before.arrayBuffers,
    },
    peakRssGrowth: peakRss - before.rss,
    validations,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

/**
 * The pieces of `npm run bench:scale` (see scale-main.ts): a seeded synthetic pool written
 * as a Sieve binary table, selection files, and the measurements a fresh process makes
 * (scale-load-main.ts).
 */
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Xoshiro128 } from '../src/core/random/random.js';
import { FilesystemStorage } from '../src/core/storage/filesystem-storage.adapter.js';
import { ChallengeDataService } from '../src/modules/challenges/challenge-data.service.js';
import { type ChallengeSpec, ChallengeSpecSchema } from '../src/modules/challenges/challenge-bundle.schema.js';
import type { ChallengeVersion } from '../src/modules/challenges/challenge-version.entity.js';
import { binaryTableHead, binaryTableTail, bytesOf } from '../src/modules/challenges/binary-table.js';
import { protocolFor } from '../src/modules/protocols/registry.js';

export const LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const POOL_FILE = 'pool.sbt';

export interface PoolShape {
  rows: number;
  features: number;
  seed: number;
}

/** The id of pool row `r`. */
export function poolId(r: number): string {
  return `p${String(r).padStart(7, '0')}`;
}

/**
 * Writes a labeled pool of rows × features float32 values, uniform in [-1, 1) from
 * xoshiro128** seeded by `seed`, as a binary table under `dir`, a few MiB at a time.
 * Returns the file's size.
 */
export async function writePool(dir: string, shape: PoolShape): Promise<number> {
  const { rows, features, seed } = shape;
  const random = new Xoshiro128(seed);
  const file = await open(join(dir, POOL_FILE), 'w');
  try {
    const head = binaryTableHead({ format: 'sieve-table', version: 1, rows, dtype: 'float32', features: Array.from({ length: features }, (_, j) => `f${j}`), labels: LABELS });
    await file.write(head);
    const chunkRows = Math.max(1, Math.floor((4 << 20) / (features * 4)));
    const chunk = new Float32Array(chunkRows * features);
    for (let at = 0; at < rows; at += chunkRows) {
      const n = Math.min(chunkRows, rows - at);
      const values = chunk.subarray(0, n * features);
      // 24 random bits scaled to [-1, 1): exact in float32
      for (let i = 0; i < values.length; i++) values[i] = (random.nextUint32() >>> 8) * 2 ** -23 - 1;
      await file.write(bytesOf(values));
    }
    const labels = Int32Array.from({ length: rows }, () => random.nextBelow(LABELS.length));
    await file.write(binaryTableTail(Array.from({ length: rows }, (_, r) => poolId(r)), labels));
    return (await file.stat()).size;
  } finally {
    await file.close();
  }
}

/** A selection file of `count` distinct pool ids in a seeded random order: the first `count` of a shuffle. */
export async function writeSelection(dir: string, rows: number, count: number, seed: number): Promise<string> {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const random = new Xoshiro128(seed);
  for (let i = 0; i < count; i++) {
    const j = i + random.nextBelow(rows - i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const path = join(dir, `selection-${count}.csv`);
  const lines = ['id'];
  for (let i = 0; i < count; i++) lines.push(poolId(order[i]));
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** A selection challenge over the pool, as it would be published: every id may be selected. */
export function scaleSpec(rows: number): ChallengeSpec {
  return ChallengeSpecSchema.parse({
    slug: 'scale-bench',
    version: 1,
    title: 'bench:scale',
    protocol: 'selection',
    data: { pool: POOL_FILE, test: 'test.csv', labels: LABELS },
    model: { kind: 'logreg' },
    budget: { maxItems: rows },
    metric: { name: 'accuracy' },
    limits: { maxFileBytes: 64 * 1024 * 1024 },
  });
}

/** The worker's data service over `dir` as its storage, and a version whose pool is the file there. */
export function dataOver(dir: string, rows: number): { service: ChallengeDataService; version: ChallengeVersion } {
  const version = { spec: scaleSpec(rows), version: 1, dataKeys: { pool: POOL_FILE } } as unknown as ChallengeVersion;
  return { service: new ChallengeDataService(new FilesystemStorage(dir), { dataCacheMb: 4096 }), version };
}

/** Validates `file` as the API does at intake (and the worker again before training). */
export async function validateAsIntake(service: ChallengeDataService, version: ChallengeVersion, file: Buffer): Promise<number> {
  const protocol = protocolFor(version.spec);
  return protocol.itemCount(await protocol.validate(file, version.spec, service.files(version)));
}

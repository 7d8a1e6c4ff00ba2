import { Inject, Injectable } from '@nestjs/common';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import type { PoolIndex } from '../protocols/selection.protocol.js';
import type { ChallengeVersion } from './challenge-version.entity.js';
import { type Dataset, parseDataset } from './dataset.js';

export interface PoolData {
  pool: Dataset;
  index: PoolIndex;
}

const MAX_CACHED = 8;

/** A pool and its id index. */
export function toPoolData(pool: Dataset): PoolData {
  const rowById = new Map<string, number>();
  pool.ids.forEach((id, row) => rowById.set(id, row));
  return { pool, index: { rowById, labels: pool.labels, labeled: pool.labeled } };
}

/**
 * Loads a challenge version's data from storage once and keeps it in memory. A version's
 * data never changes (a change makes a new version), so entries need no invalidation.
 */
@Injectable()
export class ChallengeDataService {
  private readonly pools = new Map<string, Promise<PoolData>>();
  private readonly others = new Map<string, Promise<Dataset | undefined>>();

  constructor(@Inject(STORAGE) private readonly storage: StoragePort) {}

  pool(version: ChallengeVersion): Promise<PoolData> {
    return cached(this.pools, version.id, async () =>
      toPoolData(parseDataset(await this.storage.get(version.dataKeys.pool), 'pool', version.spec.data.labels)),
    );
  }

  /** cleaning: the hidden true labels of the pool, row for row. For workers only. */
  clean(version: ChallengeVersion): Promise<Dataset | undefined> {
    return this.load(version, 'clean');
  }

  /** The public dev split, when the challenge has one. */
  dev(version: ChallengeVersion): Promise<Dataset | undefined> {
    return this.load(version, 'dev');
  }

  /** The hidden test set: for workers only. */
  async test(version: ChallengeVersion): Promise<Dataset> {
    return (await this.load(version, 'test'))!;
  }

  /** A data file of the version, parsed once; undefined when the version has none of that kind. */
  private load(version: ChallengeVersion, which: 'test' | 'clean' | 'dev'): Promise<Dataset | undefined> {
    const key = version.dataKeys[which];
    if (!key) return Promise.resolve(undefined);
    return cached(this.others, `${version.id}:${which}`, async () => parseDataset(await this.storage.get(key), which, version.spec.data.labels));
  }
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let entry = map.get(key);
  if (entry) {
    map.delete(key);
    map.set(key, entry);
    return entry;
  }
  entry = load();
  entry.catch(() => map.delete(key));
  map.set(key, entry);
  while (map.size > MAX_CACHED) map.delete(map.keys().next().value as string);
  return entry;
}

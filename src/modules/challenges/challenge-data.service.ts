import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Config } from '../../core/config/config.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import type { ChallengeData } from '../protocols/protocol.js';
import { dataFilesOf } from '../protocols/registry.js';
import type { ChallengeVersion } from './challenge-version.entity.js';
import { type Dataset, parseDataset } from './dataset.js';

const MAX_CACHED = 16;

interface Cached {
  dataset: Promise<Dataset>;
  /** What it holds in memory, about (0 until it is loaded). */
  bytes: number;
}

/**
 * Loads a challenge version's data files from storage once and keeps them in memory,
 * shared by every job of the process (and, being in SharedArrayBuffers, by its training
 * threads). A version's data never changes (a change makes a new version), so entries
 * need no invalidation. At most 16 files and DATA_CACHE_MB are kept, the least recently
 * used dropped first (a file larger than that is still loaded, and kept alone).
 */
@Injectable()
export class ChallengeDataService {
  private readonly parsed = new Map<string, Cached>();
  private readonly maxBytes: number;

  constructor(@Inject(STORAGE) private readonly storage: StoragePort, @Inject(CONFIG) config: Pick<Config, 'dataCacheMb'>) {
    this.maxBytes = config.dataCacheMb * 1024 * 1024;
  }

  /** Every data file of the version, hidden ones included: for validation and workers, never for responses. */
  files(version: ChallengeVersion): ChallengeData {
    const declared = new Map(dataFilesOf(version.spec).map((f) => [f.role, f]));
    const keyOf = (role: string) => {
      const key = version.dataKeys[role];
      const file = declared.get(role);
      if (!key || !file) throw new Error(`challenge ${version.spec.slug} v${version.version} has no data file "${role}"`);
      return { key, file };
    };
    return {
      has: (role) => declared.has(role) && version.dataKeys[role] !== undefined,
      get: (role) => {
        const { key, file } = keyOf(role);
        // Read into shared memory: a binary table's features stay a view of these bytes, and reach training threads uncopied.
        return this.cached(`${key}\n${file.labels.join('\n')}`, async () => parseDataset(await this.storage.get(key, { shared: true }), role, file.labels));
      },
    };
  }

  /** The dataset under `key`, loaded once; the most recently used last in the map. */
  private cached(key: string, load: () => Promise<Dataset>): Promise<Dataset> {
    const hit = this.parsed.get(key);
    if (hit) {
      this.parsed.delete(key);
      this.parsed.set(key, hit);
      return hit.dataset;
    }
    const entry: Cached = { dataset: load(), bytes: 0 };
    this.parsed.set(key, entry);
    entry.dataset.then(
      (ds) => {
        entry.bytes = bytesOf(ds);
        this.evict();
      },
      () => {
        if (this.parsed.get(key) === entry) this.parsed.delete(key);
      },
    );
    this.evict();
    return entry.dataset;
  }

  /** Drops the least recently used files while over either bound; the newest stays, whatever its size. */
  private evict(): void {
    let bytes = 0;
    for (const e of this.parsed.values()) bytes += e.bytes;
    for (const [key, e] of this.parsed) {
      if (this.parsed.size <= 1 || (this.parsed.size <= MAX_CACHED && bytes <= this.maxBytes)) break;
      this.parsed.delete(key);
      bytes -= e.bytes;
    }
  }
}

/** About what a dataset holds in memory: its values and labels, and its ids (two bytes a character and a string's overhead). */
function bytesOf(ds: Dataset): number {
  let ids = 0;
  for (const id of ds.ids) ids += 2 * id.length + 32;
  return ds.values.byteLength + ds.labels.byteLength + ids;
}

/** Scoring needs a data file the caller does not have (a hidden one, offline). */
export class MissingDataFile extends Error {
  constructor(readonly role: string) {
    super(`no data file "${role}"`);
    this.name = 'MissingDataFile';
  }
}

/** Files given in memory (the offline scorer's bundle folder), parsed on first use. */
export function filesInMemory(files: { file: { role: string; labels: readonly string[] }; bytes: Buffer }[]): ChallengeData {
  const byRole = new Map(files.map((f) => [f.file.role, f]));
  const parsed = new Map<string, Dataset>();
  return {
    has: (role) => byRole.has(role),
    get: async (role) => {
      const entry = byRole.get(role);
      if (!entry) throw new MissingDataFile(role);
      let ds = parsed.get(role);
      if (!ds) parsed.set(role, (ds = parseDataset(entry.bytes, role, entry.file.labels)));
      return ds;
    },
  };
}

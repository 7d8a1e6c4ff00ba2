import { Inject, Injectable } from '@nestjs/common';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import type { ChallengeData } from '../protocols/protocol.js';
import { dataFilesOf } from '../protocols/registry.js';
import type { ChallengeVersion } from './challenge-version.entity.js';
import { type Dataset, parseDataset } from './dataset.js';

const MAX_CACHED = 16;

/**
 * Loads a challenge version's data files from storage once and keeps them in memory,
 * shared by every job of the process (and, being in SharedArrayBuffers, by its training
 * threads). A version's data never changes (a change makes a new version), so entries
 * need no invalidation.
 */
@Injectable()
export class ChallengeDataService {
  private readonly parsed = new Map<string, Promise<Dataset>>();

  constructor(@Inject(STORAGE) private readonly storage: StoragePort) {}

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
        return cached(this.parsed, `${key}\n${file.labels.join('\n')}`, async () => parseDataset(await this.storage.get(key, { shared: true }), role, file.labels));
      },
    };
  }
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

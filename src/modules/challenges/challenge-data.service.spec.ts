import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStorage } from '../../core/storage/filesystem-storage.adapter.js';
import { ChallengeDataService } from './challenge-data.service.js';
import type { ChallengeVersion } from './challenge-version.entity.js';
import { ChallengeSpecSchema } from './challenge-bundle.schema.js';

const ROWS = 10_000;
const FEATURES = 8; // 10,000 × 8 float64 values: 640 kB, and about 0.4 MB of ids

/** A storage that counts its reads, over a temp folder. */
class CountingStorage extends FilesystemStorage {
  reads = 0;
  override get(key: string, options?: { shared?: boolean }): Promise<Buffer> {
    this.reads++;
    return super.get(key, options);
  }
}

describe('ChallengeDataService', () => {
  let dir: string;
  let storage: CountingStorage;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sieve-data-cache-'));
    const rows = Array.from({ length: ROWS }, (_, i) => `x${i},${i % 2 ? 'a' : 'b'},${Array.from({ length: FEATURES }, (_, j) => (i * j) % 7).join(',')}`);
    const csv = `id,label,${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',')}\n${rows.join('\n')}\n`;
    for (const name of ['a', 'b', 'c']) await writeFile(join(dir, `${name}.csv`), csv);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(() => (storage = new CountingStorage(dir)));

  /** A version whose pool is the file `name`.csv. */
  const version = (name: string) =>
    ({
      spec: ChallengeSpecSchema.parse({
        slug: `cache-${name}`,
        version: 1,
        title: 'cache',
        protocol: 'selection',
        data: { pool: 'pool.csv', test: 'test.csv', labels: ['a', 'b'] },
        model: { kind: 'logreg' },
        budget: { maxItems: 10 },
        metric: { name: 'accuracy' },
      }),
      version: 1,
      dataKeys: { pool: `${name}.csv`, test: `${name}.csv` },
    }) as unknown as ChallengeVersion;
  const pool = (service: ChallengeDataService, name: string) => service.files(version(name)).get('pool');

  it('loads a file once for every job of the process, even when they ask at once', async () => {
    const service = new ChallengeDataService(storage, { dataCacheMb: 64 });
    const [first, second] = await Promise.all([pool(service, 'a'), pool(service, 'a')]);
    expect(first).toBe(second);
    expect(await pool(service, 'a')).toBe(first);
    expect(first.n).toBe(ROWS);
    expect(storage.reads).toBe(1);
  });

  it('keeps what fits in DATA_CACHE_MB, dropping the least recently used first', async () => {
    const service = new ChallengeDataService(storage, { dataCacheMb: 3 }); // room for two of these files (about 1.1 MB each), not three
    const a = await pool(service, 'a');
    await pool(service, 'b');
    expect(await pool(service, 'a')).toBe(a); // a is now the most recently used
    await pool(service, 'c'); // over the budget: b goes
    expect(storage.reads).toBe(3);
    expect(await pool(service, 'a')).toBe(a);
    expect(await pool(service, 'c')).toBeDefined();
    expect(storage.reads).toBe(3);
    await pool(service, 'b'); // loaded again
    expect(storage.reads).toBe(4);
  });

  it('still loads a file larger than the budget, and keeps it alone', async () => {
    const service = new ChallengeDataService(storage, { dataCacheMb: 1 });
    const a = await pool(service, 'a');
    expect(await pool(service, 'a')).toBe(a);
    await pool(service, 'b');
    await pool(service, 'a');
    expect(storage.reads).toBe(3);
  });
});

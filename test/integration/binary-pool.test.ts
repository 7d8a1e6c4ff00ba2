import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { encodeBinaryTable } from '../../src/modules/challenges/binary-table.js';
import { BundleError, loadBundle } from '../../src/modules/challenges/challenge-bundle.loader.js';
import { parseDataset } from '../../src/modules/challenges/dataset.js';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

const LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** digits-selection's pool as a float32 binary table: its values (k/16) are exact in float32, so nothing about the data changes. */
async function binaryPool(): Promise<Buffer> {
  const ds = parseDataset(await readFile('challenges/digits-selection/pool.csv.gz'), 'pool.csv.gz', LABELS);
  return encodeBinaryTable({ ids: ds.ids, features: ds.featureNames, values: Float32Array.from(ds.features), labels: LABELS, labelIndices: ds.labels });
}

/**
 * A pool published as a Sieve binary table (.sbt) instead of CSV: published, served,
 * validated and scored through the same paths, on S3 storage (the worker reads the pool
 * into shared memory from there).
 */
describe('a pool published as a binary table', () => {
  let stack: Stack;
  let challenges: string;
  let table: Buffer;

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-binary-pool-'));
    table = await binaryPool();
    await copyChallenge(challenges, 'digits-selection', 'digits-csv');
    await copyChallenge(challenges, 'digits-selection', 'digits-sbt', (yaml) => yaml.replace('pool: pool.csv.gz', 'pool: pool.sbt'));
    await rm(join(challenges, 'digits-sbt', 'pool.csv.gz'));
    await writeFile(join(challenges, 'digits-sbt', 'pool.sbt'), table);
    stack = await startStack({ storage: 's3', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('describes the pool as the CSV one is described, and serves the table as it was published', async () => {
    const [csv, sbt] = await Promise.all(['digits-csv', 'digits-sbt'].map(async (slug) => (await (await fetch(`${stack.url}/api/v1/challenges/${slug}`)).json()) as { data: unknown }));
    expect(sbt.data).toEqual(csv.data);
    const token = await client.register(stack.url, 'downloader');
    const res = await client.download(stack.url, token, 'digits-sbt', 'pool');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.sieve.table');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="digits-sbt-v1-pool.sbt"');
    expect(Buffer.from(await res.arrayBuffer()).equals(table)).toBe(true);
  });

  it('scores a selection bit for bit as the CSV pool does', async () => {
    const token = await client.register(stack.url, 'selector');
    const file = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const [csv, sbt] = await Promise.all(['digits-csv', 'digits-sbt'].map(async (slug) => client.settled(stack.url, token, await client.submit(stack.url, token, slug, file))));
    expect([csv.status, sbt.status]).toEqual(['scored', 'scored']);
    expect(sbt.score).toBe(csv.score);
    expect(sbt.metrics).toEqual(csv.metrics);
  });

  it('refuses an id that is not in the pool, with its line', async () => {
    const token = await client.register(stack.url, 'typo');
    const res = await client.upload(stack.url, token, 'digits-sbt', 'id\nd0000\nd9999\n');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { line: number; message: string }[] } };
    expect(body.error.code).toBe('invalid_selection');
    expect(body.error.details[0]).toEqual({ line: 3, message: 'id "d9999" is not in the pool' });
  });

  it('refuses to publish a broken table, naming the file and what is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sieve-binary-broken-'));
    try {
      await copyChallenge(dir, 'digits-selection', 'digits-broken', (yaml) => yaml.replace('pool: pool.csv.gz', 'pool: pool.sbt'));
      await writeFile(join(dir, 'digits-broken', 'pool.sbt'), table.subarray(0, table.length - 100));
      const error = await loadBundle(join(dir, 'digits-broken')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BundleError);
      expect((error as BundleError).problems).toEqual([expect.stringMatching(/^pool\.sbt: truncated: the ids section does not end with "\\n"/)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

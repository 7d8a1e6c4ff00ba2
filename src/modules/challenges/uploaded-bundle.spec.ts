import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '../../core/errors/app-error.js';
import type { StorageConfig } from '../../core/storage/create-storage.js';
import type { DataRefConfig } from './bundle-data-refs.js';
import { loadUploadedBundle } from './uploaded-bundle.js';

const SLUG = 'digits-selection';
const storage: StorageConfig = { kind: 's3', bucket: 'sieve', region: 'us-east-1', forcePathStyle: true };
const config = (hiddenDataBuckets: string[] = []): DataRefConfig => ({ storage, bundles: { hiddenDataBuckets } });

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'uploaded-bundle-spec-'));
  dir = join(root, SLUG);
  await cp(resolve('challenges', SLUG), dir, { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function setData(field: 'pool' | 'test', ref: string): Promise<void> {
  const path = join(dir, 'challenge.yaml');
  const yaml = await readFile(path, 'utf8');
  await writeFile(path, yaml.replace(new RegExp(`^  ${field}: .*$`, 'm'), `  ${field}: ${ref}`));
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const e: unknown = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).status).toBe(422);
  expect((e as AppError).code).toBe('invalid_bundle');
  return e as AppError;
}

describe('loadUploadedBundle', () => {
  it('loads a bundle whose data files are all inside it', async () => {
    expect((await loadUploadedBundle(dir, config())).spec.slug).toBe(SLUG);
  });

  it.each([
    ['pool', '../outside.csv.gz'],
    ['pool', '/etc/pool.csv.gz'],
    ['test', 'a/../../test.csv.gz'],
  ] as const)('refuses data.%s: %s, naming the field (the schema already refuses it)', async (field, ref) => {
    await setData(field, ref);
    const e = await refusal(loadUploadedBundle(dir, config()));
    expect(e.message).toContain(`challenge.yaml: data.${field}: must be a path inside the bundle folder`);
    expect(e.details).toEqual([{ file: 'challenge.yaml', field: `data.${field}`, message: expect.stringContaining('must be a path inside the bundle folder') as unknown }]);
  });

  it('refuses a data file that is a symbolic link out of the folder', async () => {
    await mkdir(join(root, 'outside'));
    await rename(join(dir, 'pool.csv.gz'), join(root, 'outside', 'pool.csv.gz'));
    await symlink('../outside/pool.csv.gz', join(dir, 'pool.csv.gz'));
    const e = await refusal(loadUploadedBundle(dir, config()));
    expect(e.details).toEqual([{ file: 'challenge.yaml', field: 'data.pool', message: expect.stringContaining('leads out of the bundle folder') as unknown }]);
  });

  it("refuses s3:// data in Sieve's own storage before reading anything", async () => {
    await setData('test', 's3://sieve/submissions/someone-else.csv');
    const reads: string[] = [];
    const readUri = (uri: string) => {
      reads.push(uri);
      return Promise.resolve(Buffer.alloc(0));
    };
    const e = await refusal(loadUploadedBundle(dir, config(['hidden']), readUri));
    expect(e.details).toEqual([{ file: 'challenge.yaml', field: 'data.test', message: expect.stringContaining("Sieve's own storage") as unknown }]);
    expect(reads).toEqual([]);
  });

  it('refuses s3:// data when no bucket is allowed, naming HIDDEN_DATA_BUCKETS', async () => {
    await setData('test', 's3://hidden/digits/test.csv.gz');
    const e = await refusal(loadUploadedBundle(dir, config(), () => Promise.reject(new Error('must not be read'))));
    expect(e.message).toContain('HIDDEN_DATA_BUCKETS');
    expect(e.details[0].field).toBe('data.test');
  });

  it('reads s3:// data from an allowed bucket', async () => {
    const test = await readFile(join(dir, 'test.csv.gz'));
    await setData('test', 's3://hidden/digits/test.csv.gz');
    const reads: string[] = [];
    const bundle = await loadUploadedBundle(dir, config(['hidden']), (uri) => {
      reads.push(uri);
      return Promise.resolve(test);
    });
    expect(reads).toEqual(['s3://hidden/digits/test.csv.gz']);
    expect(bundle.summary).toBeDefined();
  });
});

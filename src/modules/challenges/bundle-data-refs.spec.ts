import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { StorageConfig } from '../../core/storage/create-storage.js';
import { checkDataRefs, type DataRefConfig } from './bundle-data-refs.js';
import { type ChallengeSpec, ChallengeSpecSchema } from './challenge-bundle.schema.js';

const specOf = (slug: string): ChallengeSpec => ChallengeSpecSchema.parse(parse(readFileSync(`challenges/${slug}/challenge.yaml`, 'utf8')));
const selection = specOf('digits-selection');
const acquisition = specOf('fashion-acquisition');

/** A copy of `spec` with `field` (a dot path) set to `ref`, past the schema (which would refuse some of these itself). */
function withRef(spec: ChallengeSpec, field: string, ref: string): ChallengeSpec {
  const copy = structuredClone(spec) as unknown as Record<string, unknown>;
  const keys = field.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = ref;
  return copy as unknown as ChallengeSpec;
}

const s3 = (bucket: string, prefix?: string): StorageConfig => ({ kind: 's3', bucket, region: 'us-east-1', forcePathStyle: true, prefix });
const fs: StorageConfig = { kind: 'filesystem', dir: '/tmp/sieve' };
const config = (storage: StorageConfig, hiddenDataBuckets: string[]): DataRefConfig => ({ storage, bundles: { hiddenDataBuckets } });

describe('checkDataRefs', () => {
  it('accepts the bundled challenges as they are (local files only)', () => {
    for (const spec of [selection, acquisition, specOf('fashion-concepts')]) expect(checkDataRefs(spec, config(s3('sieve'), []))).toEqual([]);
  });

  it.each<[string, ChallengeSpec, string, string, DataRefConfig, string | null]>([
    // s3:// with no allow-list: refused, saying which env to set
    ['no bucket allowed', selection, 'data.test', 's3://hidden/digits/test.csv.gz', config(s3('sieve'), []), 'HIDDEN_DATA_BUCKETS'],
    ['no bucket allowed, filesystem storage', selection, 'data.test', 's3://hidden/test.csv.gz', config(fs, []), 'HIDDEN_DATA_BUCKETS'],
    // the allow-list
    ['an allowed bucket', selection, 'data.test', 's3://hidden/digits/test.csv.gz', config(s3('sieve'), ['hidden']), null],
    ['an allowed bucket, filesystem storage', selection, 'data.test', 's3://hidden/test.csv.gz', config(fs, ['hidden']), null],
    ['a bucket not in the list', selection, 'data.test', 's3://elsewhere/test.csv.gz', config(s3('sieve'), ['hidden', 'vault']), 'bucket "elsewhere" is not one an uploaded bundle may read from (HIDDEN_DATA_BUCKETS allows "hidden", "vault")'],
    // Sieve's own storage: never, even when the bucket is allowed
    ["Sieve's bucket, no prefix, not listed", selection, 'data.pool', 's3://sieve/submissions/abc.csv', config(s3('sieve'), ['hidden']), "points into Sieve's own storage"],
    ["Sieve's prefix of a shared bucket", selection, 'data.pool', 's3://shared/sieve/submissions/abc.csv', config(s3('shared', 'sieve'), ['shared']), "points into Sieve's own storage (s3://shared/sieve/)"],
    ["Sieve's prefix written with slashes", selection, 'data.pool', 's3://shared/sieve/challenges/x/test.csv.gz', config(s3('shared', '/sieve/'), ['shared']), "Sieve's own storage"],
    ["outside Sieve's prefix of a shared bucket", selection, 'data.test', 's3://shared/hidden/test.csv.gz', config(s3('shared', 'sieve'), ['shared']), null],
    ['a key that only starts like the prefix', selection, 'data.test', 's3://shared/sieve-hidden/test.csv.gz', config(s3('shared', 'sieve'), ['shared']), null],
    // keys a server might normalize into Sieve's prefix
    ['a ".." key part', selection, 'data.test', 's3://shared/hidden/../sieve/x.csv', config(s3('shared', 'sieve'), ['shared']), '".." part'],
    ['an empty key part', selection, 'data.test', 's3://shared//sieve/x.csv', config(s3('shared', 'sieve'), ['shared']), 'empty'],
    ['a bad bucket name', selection, 'data.test', 's3://UPPER/x.csv', config(s3('sieve'), ['hidden']), 'not an s3://bucket/key URI'],
    // local paths must stay in the folder (the schema refuses these too; this does not rest on it)
    ['a local path', selection, 'data.pool', 'data/pool.csv.gz', config(s3('sieve'), []), null],
    ['"../"', selection, 'data.pool', '../other/pool.csv.gz', config(s3('sieve'), []), 'climbs out'],
    ['an absolute path', selection, 'data.test', '/etc/passwd.csv', config(s3('sieve'), []), 'absolute path'],
    ['a Windows path', selection, 'data.test', 'C:\\x\\test.csv', config(s3('sieve'), []), 'absolute path'],
    ['a backslash', selection, 'data.test', 'a\\..\\test.csv', config(s3('sieve'), []), 'backslash'],
    // the field path of a seller's data
    ["a seller's s3 data", acquisition, 'sellers.2.data', 's3://sieve/submissions/x.csv', config(s3('sieve'), ['hidden']), "Sieve's own storage"],
  ])('%s', (_name, spec, field, ref, cfg, expected) => {
    const problems = checkDataRefs(withRef(spec, field, ref), cfg);
    if (expected === null) {
      expect(problems).toEqual([]);
    } else {
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ field, ref });
      expect(problems[0].message).toContain(expected);
    }
  });

  it("names each field, rounds' test sets included", () => {
    const spec = { ...withRef(selection, 'data.test', 's3://a-bucket/t.csv'), rounds: [{ name: 'shift', test: 's3://b-bucket/r.csv' }] } as ChallengeSpec;
    expect(checkDataRefs(spec, config(fs, ['a-bucket'])).map((p) => p.field)).toEqual(['rounds.0.test']);
    expect(checkDataRefs(spec, config(fs, [])).map((p) => p.field)).toEqual(['data.test', 'rounds.0.test']);
  });

  it('finds the data of multi-task challenges under tasks', () => {
    const concepts = specOf('fashion-concepts');
    const problems = checkDataRefs(withRef(concepts, 'tasks.1.data.test', 's3://hidden/tops/test.csv.gz'), config(fs, []));
    expect(problems.map((p) => p.field)).toEqual(['tasks.1.data.test']);
  });
});

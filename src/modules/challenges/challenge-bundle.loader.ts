import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { type ChallengeSpec, ChallengeSpecSchema, scoringPart } from './challenge-bundle.schema.js';
import type { DataSummary } from './challenge-version.entity.js';
import { DatasetError, parseDataset } from './dataset.js';

/** A problem with a bundle, said so that its author can fix it: the file, the place, what. */
export class BundleError extends Error {
  constructor(
    readonly bundle: string,
    readonly problems: string[],
  ) {
    super(`${bundle}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BundleError';
  }
}

export interface LoadedBundle {
  dir: string;
  spec: ChallengeSpec;
  /** `clean`: the cleaning protocol's hidden true labels. */
  files: { pool: Buffer; test: Buffer; clean?: Buffer; dev?: Buffer };
  contentHash: string;
  summary: DataSummary;
}

export type ReadUri = (uri: string) => Promise<Buffer>;

/** Lists the bundle folders (those holding a challenge.yaml) under `root`. */
export async function findBundles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const yamlPath = join(root, e.name, 'challenge.yaml');
    if (await stat(yamlPath).then(() => true, () => false)) dirs.push(join(root, e.name));
  }
  return dirs;
}

/** Reads challenge.yaml of a bundle folder and checks it against the schema and the folder name. */
async function readSpec(dir: string): Promise<ChallengeSpec> {
  const name = basename(dir);
  const text = await readFile(join(dir, 'challenge.yaml'), 'utf8').catch((e: Error) => {
    throw new BundleError(name, [`challenge.yaml: cannot be read (${e.message})`]);
  });
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new BundleError(name, doc.errors.map((e) => `challenge.yaml: ${e.message.split('\n')[0]}`));
  }
  const parsed = ChallengeSpecSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new BundleError(
      name,
      parsed.error.issues.map((i) => `challenge.yaml: ${i.path.join('.') || '(top level)'}: ${i.message}`),
    );
  }
  const spec = parsed.data;
  if (spec.slug !== name) {
    throw new BundleError(name, [`challenge.yaml: slug "${spec.slug}" must equal the folder name "${name}"`]);
  }
  return spec;
}

/** Reads a data file named in challenge.yaml: a path inside the folder, or an s3:// URI through `readUri`. */
async function readDataFile(dir: string, ref: string, readUri?: ReadUri): Promise<Buffer> {
  const name = basename(dir);
  if (ref.startsWith('s3://')) {
    if (!readUri) throw new BundleError(name, [`${ref}: s3:// data needs S3 settings (S3_BUCKET and credentials)`]);
    return readUri(ref);
  }
  return readFile(join(dir, ref)).catch((e: Error) => {
    throw new BundleError(name, [`data file ${ref}: cannot be read (${e.message})`]);
  });
}

/** Reads and checks one bundle folder: the yaml against the schema, then the data files. */
export async function loadBundle(dir: string, readUri?: ReadUri): Promise<LoadedBundle> {
  const name = basename(dir);
  const spec = await readSpec(dir);
  const read = (ref: string) => readDataFile(dir, ref, readUri);
  const devRef = spec.protocol === 'selection' ? spec.data.dev : undefined;
  const [pool, test, clean, dev] = await Promise.all([
    read(spec.data.pool),
    read(spec.data.test),
    spec.protocol === 'cleaning' ? read(spec.data.clean) : Promise.resolve(undefined),
    devRef ? read(devRef) : Promise.resolve(undefined),
  ]);

  const problems: string[] = [];
  const parse = (bytes: Buffer, ref: string) => {
    try {
      return parseDataset(bytes, ref, spec.data.labels);
    } catch (e) {
      if (e instanceof DatasetError) {
        problems.push(e.message);
        return null;
      }
      throw e;
    }
  };
  const poolSet = parse(pool, spec.data.pool);
  const testSet = parse(test, spec.data.test);
  if (testSet && !testSet.labeled) problems.push(`${spec.data.test}: the test set needs a "label" column`);
  if (poolSet && testSet && poolSet.featureNames.join(',') !== testSet.featureNames.join(',')) {
    problems.push(`${spec.data.pool} and ${spec.data.test} must have the same feature columns in the same order`);
  }
  let devRows: number | undefined;
  if (devRef && dev && poolSet) {
    const devSet = parse(dev, devRef);
    devRows = devSet?.n;
    if (devSet && !devSet.labeled) problems.push(`${devRef}: the dev split needs a "label" column`);
    if (devSet && devSet.featureNames.join(',') !== poolSet.featureNames.join(',')) {
      problems.push(`${spec.data.pool} and ${devRef} must have the same feature columns in the same order`);
    }
  }
  if (spec.protocol === 'selection' && poolSet && spec.budget.maxItems > poolSet.n) {
    problems.push(`budget.maxItems (${spec.budget.maxItems}) is larger than the pool (${poolSet.n} rows)`);
  }
  if (spec.protocol === 'cleaning' && clean && poolSet) {
    if (!poolSet.labeled) problems.push(`${spec.data.pool}: the noisy training set needs a "label" column`);
    const cleanSet = parse(clean, spec.data.clean);
    if (cleanSet) {
      if (!cleanSet.labeled) problems.push(`${spec.data.clean}: needs a "label" column (the true labels)`);
      const same = cleanSet.n === poolSet.n && cleanSet.ids.every((id, i) => id === poolSet.ids[i]);
      if (!same) problems.push(`${spec.data.clean} must list exactly the ids of ${spec.data.pool}, in the same order`);
    }
  }
  if (problems.length > 0 || !poolSet || !testSet) throw new BundleError(name, problems);

  const poolClassCounts: Record<string, number> = {};
  if (poolSet.labeled) {
    for (const label of spec.data.labels) poolClassCounts[label] = 0;
    for (const y of poolSet.labels) poolClassCounts[spec.data.labels[y]]++;
  }
  return {
    dir,
    spec,
    files: { pool, test, clean, dev },
    contentHash: contentHash(spec, pool, test, clean, dev),
    summary: { poolRows: poolSet.n, testRows: testSet.n, features: poolSet.d, poolLabeled: poolSet.labeled, poolClassCounts, devRows },
  };
}

/** SHA-256 over what decides a score: the data bytes, the labels, the model, the metric (and the cleaning settings). */
export function contentHash(spec: ChallengeSpec, pool: Buffer, test: Buffer, clean?: Buffer, dev?: Buffer): string {
  const h = createHash('sha256');
  h.update(canonicalJson(scoringPart(spec)));
  h.update(createHash('sha256').update(pool).digest());
  h.update(createHash('sha256').update(test).digest());
  if (clean) h.update(createHash('sha256').update(clean).digest());
  if (dev) h.update(createHash('sha256').update(dev).digest());
  return h.digest('hex');
}

/** JSON with object keys sorted, so equal values give equal text (jsonb does not keep key order). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The public part of a bundle (no test set, no hidden labels): what the offline scorer needs. */
export interface PublicBundle {
  spec: ChallengeSpec;
  pool: Buffer;
  dev?: Buffer;
}

/** Reads a bundle folder's challenge.yaml, pool and dev split only; the hidden files may be absent. */
export async function loadPublicBundle(dir: string): Promise<PublicBundle> {
  const spec = await readSpec(dir);
  const devRef = spec.protocol === 'selection' ? spec.data.dev : undefined;
  return { spec, pool: await readDataFile(dir, spec.data.pool), dev: devRef ? await readDataFile(dir, devRef) : undefined };
}

import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { dataFilesOf, protocolFor, roundRole } from '../protocols/registry.js';
import type { DataFile } from '../protocols/protocol.js';
import { type ChallengeSpec, ChallengeSpecSchema } from './challenge-bundle.schema.js';
import type { DataSummary } from './challenge-version.entity.js';
import { type Dataset, DatasetError, parseDataset } from './dataset.js';

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
  /** Every data file the spec names, read, in the protocol's order. */
  files: { file: DataFile; bytes: Buffer }[];
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
export async function readSpec(dir: string): Promise<ChallengeSpec> {
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
  const protocol = protocolFor(spec);
  const declared = dataFilesOf(spec);
  const files = await Promise.all(declared.map(async (file) => ({ file, bytes: await readDataFile(dir, file.ref, readUri) })));

  const problems: string[] = [];
  const parsed = new Map<string, Dataset>();
  const byRef = new Map<string, Dataset>();
  for (const { file, bytes } of files) {
    try {
      const key = `${file.ref}\n${file.labels.join('\n')}`;
      const ds = byRef.get(key) ?? parseDataset(bytes, file.ref, file.labels);
      byRef.set(key, ds);
      parsed.set(file.role, ds);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      problems.push(e.message);
    }
  }
  problems.push(...checkBoardSettings(spec, parsed));
  if (problems.length > 0) throw new BundleError(name, problems);
  const checked = protocol.checkData(spec, parsed);
  if (checked.problems.length > 0) throw new BundleError(name, checked.problems);
  return { dir, spec, files, contentHash: contentHash(spec, files.map((f) => f.bytes)), summary: checked.summary };
}

/** A split and rounds need a score over test examples; each round's test set must have the test set's columns. */
function checkBoardSettings(spec: ChallengeSpec, parsed: ReadonlyMap<string, Dataset>): string[] {
  const problems: string[] = [];
  const perExample = spec.protocol !== 'cleaning' && spec.protocol !== 'multitask';
  if (spec.leaderboard.split && !perExample) {
    problems.push(`challenge.yaml: leaderboard.split: a ${spec.protocol} score is not a metric over test examples, so it cannot be split into public and private parts; remove leaderboard.split`);
  }
  if (spec.rounds?.length && !perExample) {
    problems.push(`challenge.yaml: rounds: a ${spec.protocol} score is not a metric over test examples, so it has no rounds; remove rounds`);
  }
  if (spec.rounds?.length && spec.leaderboard.split) {
    problems.push('challenge.yaml: rounds: rounds and leaderboard.split cannot be combined yet (a round has no public part); remove one of them');
  }
  const test = parsed.get('test');
  for (const round of spec.rounds ?? []) {
    const ds = parsed.get(roundRole(round.name));
    if (test && ds && ds.d !== test.d) {
      problems.push(`challenge.yaml: rounds: ${round.name}: ${round.test} has ${ds.d} features per row but the test set has ${test.d}; a round's test set needs the test set's columns`);
    }
  }
  return problems;
}

/** SHA-256 over what decides a score: the protocol's scoring settings and every data file's bytes. */
export function contentHash(spec: ChallengeSpec, files: readonly Buffer[]): string {
  const h = createHash('sha256');
  h.update(canonicalJson(protocolFor(spec).scoringPart(spec)));
  // Which test examples are public decides the public and private scores.
  if (spec.leaderboard?.split) h.update(canonicalJson({ split: spec.leaderboard.split }));
  for (const bytes of files) h.update(createHash('sha256').update(bytes).digest());
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

/** The public part of a bundle (no hidden file): what the offline scorer needs. */
export interface PublicBundle {
  spec: ChallengeSpec;
  /** The public data files, read. */
  files: { file: DataFile; bytes: Buffer }[];
}

/** Reads a bundle folder's challenge.yaml and public data files only; the hidden files may be absent. */
export async function loadPublicBundle(dir: string): Promise<PublicBundle> {
  const spec = await readSpec(dir);
  const declared = dataFilesOf(spec).filter((f) => !f.hidden);
  return { spec, files: await Promise.all(declared.map(async (file) => ({ file, bytes: await readDataFile(dir, file.ref) }))) };
}

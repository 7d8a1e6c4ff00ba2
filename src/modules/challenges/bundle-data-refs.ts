import type { Config } from '../../core/config/config.js';
import { dataFilesOf } from '../protocols/registry.js';
import type { ChallengeSpec } from './challenge-bundle.schema.js';

/**
 * Where the data files of a bundle uploaded through the API may live. The repository's
 * own challenges/ are trusted; an uploaded bundle is not: its s3:// references are read
 * with Sieve's own S3 credentials, so one pointing at Sieve's storage would publish
 * participants' submissions or another challenge's hidden test set as a "pool".
 */

/** One data reference that cannot be accepted: the challenge.yaml field, the value, why. */
export interface DataRefProblem {
  /** The field in challenge.yaml, as the schema's messages write it: "data.test", "sellers.2.data". */
  field: string;
  ref: string;
  message: string;
}

/** What the check needs from the configuration. */
export type DataRefConfig = Pick<Config, 'storage'> & { bundles: Pick<Config['bundles'], 'hiddenDataBuckets'> };

const S3_URI = /^s3:\/\/([^/]*)\/(.*)$/s;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks every data file an uploaded bundle's challenge.yaml names, before any is read:
 * - an s3:// URI must name a bucket listed in HIDDEN_DATA_BUCKETS (none listed: s3:// is
 *   refused), never Sieve's own storage (its bucket, or its prefix of a shared bucket), and
 *   a plain key (no empty, "." or ".." parts, which some S3-compatible servers normalize);
 * - a local path must stay inside the bundle folder (relative, no "..", no backslash, no
 *   control characters); the schema says so too, this does not rest on it.
 * Returns the problems with the field each one is in; empty when all is well.
 */
export function checkDataRefs(spec: ChallengeSpec, config: DataRefConfig): DataRefProblem[] {
  const problems: DataRefProblem[] = [];
  for (const { field, ref } of dataRefFields(spec)) {
    const message = checkDataRef(ref, config);
    if (message !== null) problems.push({ field, ref, message });
  }
  return problems;
}

/** Why one data reference of an uploaded bundle cannot be accepted; null when it can. */
export function checkDataRef(ref: string, config: DataRefConfig): string | null {
  return ref.startsWith('s3://') ? s3Problem(ref, config) : localProblem(ref);
}

/**
 * Every data reference of the spec with the field it is in: found by walking the spec for
 * the values the protocol names as data files (so a new protocol's fields are covered
 * without a list here), plus any other string that looks like an s3:// URI.
 */
export function dataRefFields(spec: ChallengeSpec): { field: string; ref: string }[] {
  const refs = new Map(dataFilesOf(spec).map((f) => [f.ref, f.role]));
  const found: { field: string; ref: string }[] = [];
  const seen = new Set<string>();
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      if (refs.has(value) || value.startsWith('s3://')) {
        found.push({ field: path.join('.'), ref: value });
        seen.add(value);
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...path, i]));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(spec, []);
  // Cannot happen while every ref is a spec value; kept so that none goes unchecked.
  for (const [ref, role] of refs) if (!seen.has(ref)) found.push({ field: `(data file ${role})`, ref });
  return found;
}

function s3Problem(ref: string, config: DataRefConfig): string | null {
  const allowed = config.bundles.hiddenDataBuckets;
  if (allowed.length === 0) {
    return 'an uploaded bundle cannot use s3:// data: no bucket is allowed. Put the file in the bundle, or ask an administrator to list its bucket in HIDDEN_DATA_BUCKETS';
  }
  const match = S3_URI.exec(ref);
  const bucket = match?.[1] ?? '';
  const key = match?.[2] ?? '';
  if (match === null || !BUCKET_NAME.test(bucket) || key === '') return 'is not an s3://bucket/key URI';
  if (CONTROL.test(key)) return 'has control characters in its key';
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return 'has an empty, "." or ".." part in its key; write the key plainly (s3://bucket/folder/file.csv.gz)';
  }
  const own = config.storage.kind === 's3' ? config.storage : null;
  if (own !== null && bucket === own.bucket) {
    const prefix = ownPrefix(own.prefix);
    if (prefix === '' || key.startsWith(prefix)) {
      return `points into Sieve's own storage (s3://${bucket}/${prefix}), where submissions and other challenges' data live; keep hidden data in a bucket listed in HIDDEN_DATA_BUCKETS`;
    }
  }
  if (!allowed.includes(bucket)) {
    return `bucket "${bucket}" is not one an uploaded bundle may read from (HIDDEN_DATA_BUCKETS allows ${allowed.map((b) => `"${b}"`).join(', ')})`;
  }
  return null;
}

/** Sieve's folder in its bucket, as S3Storage writes it: "sieve" -> "sieve/". */
function ownPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

function localProblem(ref: string): string | null {
  if (ref === '' || CONTROL.test(ref)) return 'is not a file name (empty, or control characters)';
  if (ref.startsWith('/') || ref.startsWith('\\') || /^[A-Za-z]:/.test(ref)) return 'is an absolute path; a data file must be a path inside the bundle folder, like "data/test.csv.gz"';
  if (ref.includes('\\')) return 'has a backslash; separate folders with "/"';
  if (ref.split('/').includes('..')) return 'climbs out of the bundle folder with ".."; a data file must be a path inside it';
  return null;
}

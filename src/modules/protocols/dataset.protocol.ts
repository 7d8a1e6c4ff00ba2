import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';
import type { Dataset } from '../challenges/dataset.js';
import { checkPositiveLabel, ClassificationMetric, common, DataRef, Labels, describeMetric, rankByMetric } from '../challenges/spec-parts.js';
import { readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import { type DataFile, type ProtocolDefinition, sameFeatures } from './protocol.js';
import { readImageZip } from './uploads/image-dataset.js';
import { isZip, readZipUpload } from './uploads/zip-upload.js';

/**
 * dataset (DCAI 2021, DataComp BYOD): the participant uploads labeled examples of their
 * own, as a CSV of features or (image challenges) a zip of images, one folder per label.
 */
export const datasetFields = {
  protocol: z.literal('dataset'),
  /** starter: an optional public set to begin from (DCAI's noisy starter set). */
  data: z.strictObject({ test: DataRef, dev: DataRef.optional(), starter: DataRef.optional(), labels: Labels }),
  dataset: z.strictObject({
    maxExamples: z.number().int().positive().max(1_000_000),
    /** Present: zip uploads of images this size are accepted, as grayscale pixels 0..255 in row-major order. */
    image: z.strictObject({ width: z.number().int().min(1).max(1024), height: z.number().int().min(1).max(1024) }).optional(),
    /** The model sees every feature divided by this (255 for pixels); the data files keep the raw values. */
    featureScale: z.number().positive().default(1),
  }),
  metric: ClassificationMetric,
};
export const DatasetSpec = z.strictObject({ ...common, ...datasetFields }).superRefine(checkPositiveLabel);
export type DatasetChallengeSpec = z.infer<typeof DatasetSpec>;

/** Valid uploaded examples: raw features (row-major), label indices, and where each came from. */
export interface UploadedExamples {
  x: Float64Array;
  y: Int32Array;
  n: number;
  d: number;
  /** Per example: its file in the zip, or "line N" of the CSV. */
  sources: string[];
}

type DatasetSummary = { testRows: number; devRows: number | null; starterRows: number | null; features: number; featureNames: string[] };

/** How far a gzip-compressed CSV upload may inflate, as a multiple of the file size cap. */
const INFLATE_FACTOR = 8;

const testHashes = new WeakMap<Dataset, Set<string>>();

/**
 * The content hash of one example: SHA-256 of its feature values as little-endian float64,
 * with -0 written as 0 (the same number to the model, so the same example).
 */
function exampleHash(x: Float32Array | Float64Array, row: number, d: number): string {
  const values = Float64Array.from(x.subarray(row * d, (row + 1) * d), (v) => (v === 0 ? 0 : v));
  return createHash('sha256').update(new Uint8Array(values.buffer)).digest('hex');
}

/** Feature values beyond this break the fixed models' arithmetic (overflow in exp); no real feature is this large. */
const MAX_ABS_FEATURE = 1e9;

function hashesOf(test: Dataset): Set<string> {
  let hashes = testHashes.get(test);
  if (!hashes) {
    hashes = new Set();
    for (let r = 0; r < test.n; r++) hashes.add(exampleHash(test.values, r, test.d));
    testHashes.set(test, hashes);
  }
  return hashes;
}

/** Parses a CSV upload "label,<feature columns>" (optionally gzip-compressed). */
export function readExampleCsv(bytes: Buffer, spec: DatasetChallengeSpec, featureNames: string[]): UploadedExamples {
  const header = ['label', ...featureNames];
  const format = `a CSV with the header "label,${featureNames.length > 4 ? `${featureNames.slice(0, 3).join(',')},…,${featureNames.at(-1)}` : featureNames.join(',')}" (${featureNames.length} features) and one example per line`;
  const records = readCsvUpload(bytes, {
    maxFileBytes: spec.limits.maxFileBytes,
    header,
    format,
    maxInflatedBytes: spec.limits.maxFileBytes * INFLATE_FACTOR,
    maxLineChars: 64 + featureNames.length * 32,
  });
  const d = featureNames.length;
  if (records.length > spec.dataset.maxExamples) {
    throw AppError.unprocessable('too_many_examples', `The file has ${records.length} examples; this challenge accepts at most ${spec.dataset.maxExamples}`);
  }
  const labelIndex = new Map(spec.data.labels.map((l, i) => [l, i]));
  const pixels = spec.dataset.image !== undefined;
  const problems: ErrorDetail[] = [];
  const x = new Float64Array(records.length * d);
  const y = new Int32Array(records.length);
  const sources: string[] = [];
  records.forEach(({ record, line }, i) => {
    sources.push(`line ${line}`);
    if (record.length !== d + 1) {
      problems.push({ line, message: `expected ${d + 1} columns (label and ${d} features), got ${record.length}` });
      return;
    }
    const label = labelIndex.get(record[0]);
    if (label === undefined) {
      problems.push({ line, message: `label "${truncate(record[0])}" is not one of ${spec.data.labels.join(', ')}` });
      return;
    }
    y[i] = label;
    for (let j = 0; j < d; j++) {
      const v = record[j + 1] === '' ? Number.NaN : Number(record[j + 1]);
      if (!Number.isFinite(v)) {
        problems.push({ line, message: `column "${featureNames[j]}" is not a finite number: "${truncate(record[j + 1])}"` });
        return;
      }
      if (pixels && !(Number.isInteger(v) && v >= 0 && v <= 255)) {
        problems.push({ line, message: `column "${featureNames[j]}" is a pixel: a whole number from 0 to 255, not "${truncate(record[j + 1])}"` });
        return;
      }
      if (Math.abs(v) > MAX_ABS_FEATURE) {
        problems.push({ line, message: `column "${featureNames[j]}" is ${v}; feature values are at most ${MAX_ABS_FEATURE} in absolute value` });
        return;
      }
      x[i * d + j] = v;
    }
  });
  throwProblems('invalid_examples', 'The examples are not valid', problems);
  return { x, y, n: records.length, d, sources };
}

/** Reads a zip of images, one folder per label (image challenges only). */
async function readExampleZip(bytes: Buffer, spec: DatasetChallengeSpec): Promise<UploadedExamples> {
  const image = spec.dataset.image;
  if (!image) {
    throw AppError.badRequest('unsupported_format', 'This challenge takes a CSV of features, not a zip; see submissionFormat on the challenge page');
  }
  if (bytes.length > spec.limits.maxFileBytes) {
    throw AppError.tooLarge(`The file is ${bytes.length} bytes; this challenge accepts at most ${spec.limits.maxFileBytes} bytes`);
  }
  const files = await readZipUpload(bytes, {
    maxEntries: spec.dataset.maxExamples + 64,
    maxEntryBytes: Math.max(64 * 1024, image.width * image.height * 8),
    maxTotalBytes: spec.limits.maxFileBytes * INFLATE_FACTOR,
  });
  const decoded = await readImageZip(files, { ...image, labels: spec.data.labels, maxExamples: spec.dataset.maxExamples });
  return { x: decoded.features, y: decoded.labels, n: decoded.n, d: decoded.d, sources: decoded.names };
}

/**
 * The refusal of an upload that copies hidden test examples. It does not say which ones
 * (that would reveal the test set), and it counts as a submission, so probing costs.
 */
export const TEST_CONTAMINATION =
  'The upload contains examples identical to hidden test examples, and training on the test set is not allowed. Which ones is not shown, since that would reveal the test set; this refusal counts as a submission';

export const datasetProtocol: ProtocolDefinition<DatasetChallengeSpec, UploadedExamples> = {
  dataFiles(spec) {
    const { data } = spec;
    const files: DataFile[] = [{ role: 'test', ref: data.test, labels: data.labels, hidden: true }];
    if (data.dev) files.push({ role: 'dev', ref: data.dev, labels: data.labels, hidden: false });
    if (data.starter) files.push({ role: 'starter', ref: data.starter, labels: data.labels, hidden: false });
    return files;
  },
  checkData(spec, data) {
    const problems: string[] = [];
    const test = { ds: data.get('test')!, ref: spec.data.test };
    if (!test.ds.labeled) problems.push(`${test.ref}: the test set needs a "label" column`);
    const image = spec.dataset.image;
    if (image && test.ds.d !== image.width * image.height) {
      problems.push(`${test.ref}: has ${test.ds.d} features; dataset.image (${image.width}×${image.height}) needs ${image.width * image.height} pixel columns`);
    }
    for (const role of ['dev', 'starter'] as const) {
      const ds = data.get(role);
      const ref = spec.data[role];
      if (!ds || !ref) continue;
      if (!ds.labeled) problems.push(`${ref}: needs a "label" column`);
      problems.push(...sameFeatures(test, { ds, ref }));
    }
    const summary: DatasetSummary = {
      testRows: test.ds.n,
      devRows: data.get('dev')?.n ?? null,
      starterRows: data.get('starter')?.n ?? null,
      features: test.ds.d,
      featureNames: test.ds.featureNames,
    };
    return { problems, summary };
  },
  scoringPart: (spec) => ({
    protocol: spec.protocol,
    labels: spec.data.labels,
    model: spec.model,
    metric: spec.metric,
    featureScale: spec.dataset.featureScale,
  }),
  ranking: rankByMetric,
  describe(spec, summary) {
    const facts = summary as unknown as DatasetSummary;
    const { image, maxExamples } = spec.dataset;
    return {
      data: { testRows: facts.testRows, devRows: facts.devRows, starterRows: facts.starterRows, features: facts.features },
      dataset: spec.dataset,
      metric: describeMetric(spec.metric),
      submissionFormat: {
        contentType: image ? 'text/csv or application/zip' : 'text/csv',
        field: 'file',
        header: ['label', ...facts.featureNames],
        maxItems: maxExamples,
        maxFileBytes: spec.limits.maxFileBytes,
        description:
          `A UTF-8 CSV (optionally gzip-compressed) with the header "label,${facts.featureNames[0]},…" and one example per line, at most ${maxExamples} examples` +
          (image
            ? `; or a zip of ${image.width}×${image.height} PNG or JPEG images (converted to grayscale), one folder per label (e.g. "${spec.data.labels[0]}/example.png")`
            : '') +
          '. An upload holding an example identical to a hidden test example is refused, and the refusal counts as a submission.',
      },
    };
  },
  async validate(file, spec, data) {
    const examples = isZip(file) ? await readExampleZip(file, spec) : readExampleCsv(file, spec, (await firstFile(data)).featureNames);
    if (examples.n === 0) throw AppError.unprocessable('invalid_examples', 'The upload holds no examples');
    if (new Set(examples.y).size < 2) {
      throw AppError.unprocessable('invalid_examples', `Every example has the label "${spec.data.labels[examples.y[0]]}"; the model needs examples of at least 2 classes`);
    }
    if (data.has('test')) {
      const hashes = hashesOf(await data.get('test'));
      for (let r = 0; r < examples.n; r++) {
        // Which examples matched is not said: naming them would tell anyone what the hidden test set holds.
        if (hashes.has(exampleHash(examples.x, r, examples.d))) {
          throw AppError.unprocessable('test_contamination', TEST_CONTAMINATION, [{ field: 'file', message: 'holds at least one example identical to a hidden test example' }]);
        }
      }
    }
    return examples;
  },
  itemCount: (examples) => examples.n,
};

/** A file whose features name the columns: the test set on the server, a public file offline. */
async function firstFile(data: Parameters<ProtocolDefinition<unknown>['validate']>[2]): Promise<Dataset> {
  for (const role of ['test', 'dev', 'starter']) if (data.has(role)) return data.get(role);
  throw new Error('a dataset challenge without data files');
}

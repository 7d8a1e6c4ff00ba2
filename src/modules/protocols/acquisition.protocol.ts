import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError, type ErrorDetail } from '../../core/errors/app-error.js';
import { Xoshiro128 } from '../../core/random/random.js';
import { type Dataset, sharedFloat64 } from '../challenges/dataset.js';
import { checkPositiveLabel, ClassificationMetric, common, DataRef, Labels, describeMetric, rankByMetric } from '../challenges/spec-parts.js';
import { readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import { type DataFile, fileSummary, type ProtocolDefinition, sameFeatures } from './protocol.js';

const Seller = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and -, at most 32 characters'),
  data: DataRef,
  /** Credits per row: an integer, so that costs add up exactly. */
  price: z.number().int().positive(),
});

/**
 * acquisition (DataPerf data acquisition): sellers each hold hidden labeled rows; the
 * participant sees their summaries and prices and says how many rows to buy from each,
 * within budget.credits. The model trains on the rows bought.
 */
export const acquisitionFields = {
  protocol: z.literal('acquisition'),
  data: z.strictObject({ test: DataRef, dev: DataRef.optional(), labels: Labels }),
  sellers: z
    .array(Seller)
    .min(1)
    .max(100)
    .refine((s) => new Set(s.map((x) => x.name)).size === s.length, 'seller names must be unique'),
  budget: z.strictObject({ credits: z.number().int().positive() }),
  acquisition: z
    .strictObject({
      /** Rows of each seller shown publicly, with labels and features: the first rows of its file. */
      samples: z.number().int().min(0).max(50).default(5),
    })
    .prefault({}),
  metric: ClassificationMetric,
};
export const AcquisitionSpec = z.strictObject({ ...common, ...acquisitionFields }).superRefine(checkPositiveLabel);
export type AcquisitionChallengeSpec = z.infer<typeof AcquisitionSpec>;

/** A valid plan: rows to buy per seller (sellers not named buy nothing). */
export interface PurchasePlan {
  purchases: { seller: string; rows: number; cost: number }[];
  cost: number;
}

const sellerRole = (name: string) => `seller.${name}`;

/** The public facts of an acquisition challenge. */
type AcquisitionSummary = {
  testRows: number;
  devRows: number | null;
  features: number;
  sellers: { name: string; price: number; rows: number; classCounts: Record<string, number>; samples: { id: string; label: string; features: number[] }[] }[];
};

/**
 * The rows a purchase of `rows` from `seller` receives: a sample without replacement from
 * the seller's rows, drawn with a seed that is a hash of the challenge, its version, the
 * seller and the count. The same purchase always gets the same rows, on any machine; a
 * different count is a different draw. Ascending row order.
 */
export function drawRows(spec: { slug: string; version: number }, seller: string, available: number, rows: number): Int32Array {
  const digest = createHash('sha256').update(`sieve/acquisition/${spec.slug}/v${spec.version}/${seller}/${rows}`).digest();
  const seed = digest.readUIntBE(0, 6); // 48 bits
  const random = new Xoshiro128(seed);
  const order = Int32Array.from({ length: available }, (_, i) => i);
  for (let i = 0; i < rows; i++) {
    const j = i + random.nextBelow(available - i);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order.slice(0, rows).sort();
}

/**
 * Validates a purchase plan: a CSV with the header "seller,rows", one line per seller,
 * rows a whole number up to the seller's stock, total cost within the budget.
 */
export function validatePlan(bytes: Buffer, spec: AcquisitionChallengeSpec, stock: ReadonlyMap<string, number>): PurchasePlan {
  const format = 'a CSV with the header "seller,rows" and one line per seller you buy from';
  const records = readCsvUpload(bytes, { maxFileBytes: spec.limits.maxFileBytes, header: ['seller', 'rows'], format });
  const price = new Map(spec.sellers.map((s) => [s.name, s.price]));
  const problems: ErrorDetail[] = [];
  const seen = new Map<string, number>();
  const purchases: PurchasePlan['purchases'] = [];
  for (const { record, line } of records) {
    if (record.length !== 2) {
      problems.push({ line, message: `expected 2 columns (seller,rows), got ${record.length}` });
      continue;
    }
    const [seller, count] = record;
    const unitPrice = price.get(seller);
    if (unitPrice === undefined) {
      problems.push({ line, message: `unknown seller "${truncate(seller)}"; the sellers are ${spec.sellers.map((s) => s.name).join(', ')}` });
      continue;
    }
    if (seen.has(seller)) {
      problems.push({ line, message: `seller "${seller}" is listed again (first on line ${seen.get(seller)}); give one line per seller` });
      continue;
    }
    seen.set(seller, line);
    const rows = Number(count);
    if (!/^\d+$/.test(count) || !Number.isSafeInteger(rows)) {
      problems.push({ line, message: `rows "${truncate(count)}" is not a whole number of rows` });
      continue;
    }
    const available = stock.get(seller)!;
    if (rows > available) {
      problems.push({ line, message: `seller "${seller}" has ${available} rows; the plan asks for ${rows}` });
      continue;
    }
    if (rows > 0) purchases.push({ seller, rows, cost: rows * unitPrice });
  }
  throwProblems('invalid_plan', 'The purchase plan is not valid', problems);
  const cost = purchases.reduce((sum, p) => sum + p.cost, 0);
  if (purchases.length === 0) {
    throw AppError.unprocessable('invalid_plan', 'The plan buys no rows; buy at least some rows from at least one seller');
  }
  if (cost > spec.budget.credits) {
    const breakdown = purchases.map((p) => `${p.seller} ${p.rows} × ${price.get(p.seller)} = ${p.cost}`).join(', ');
    throw AppError.unprocessable(
      'over_budget',
      `The plan costs ${cost} credits (${breakdown}); the budget is ${spec.budget.credits}. Buy ${cost - spec.budget.credits} credits' worth fewer rows`,
      purchases.map((p) => ({ message: `${p.seller}: ${p.rows} rows × ${price.get(p.seller)} credits = ${p.cost}` })),
    );
  }
  return { purchases, cost };
}

export const acquisitionProtocol: ProtocolDefinition<AcquisitionChallengeSpec, PurchasePlan> = {
  dataFiles(spec) {
    const { data } = spec;
    const files: DataFile[] = [{ role: 'test', ref: data.test, labels: data.labels, hidden: true }];
    if (data.dev) files.push({ role: 'dev', ref: data.dev, labels: data.labels, hidden: false });
    for (const seller of spec.sellers) files.push({ role: sellerRole(seller.name), ref: seller.data, labels: data.labels, hidden: true });
    return files;
  },
  checkData(spec, data) {
    const problems: string[] = [];
    const test = { ds: data.get('test')!, ref: spec.data.test };
    if (!test.ds.labeled) problems.push(`${test.ref}: the test set needs a "label" column`);
    const dev = data.get('dev');
    if (dev && spec.data.dev) {
      if (!dev.labeled) problems.push(`${spec.data.dev}: the dev split needs a "label" column`);
      problems.push(...sameFeatures(test, { ds: dev, ref: spec.data.dev }));
    }
    const sellers: AcquisitionSummary['sellers'] = [];
    for (const seller of spec.sellers) {
      const ds = data.get(sellerRole(seller.name))!;
      if (!ds.labeled) problems.push(`${seller.data}: a seller's rows need a "label" column`);
      problems.push(...sameFeatures(test, { ds, ref: seller.data }));
      sellers.push({
        name: seller.name,
        price: seller.price,
        rows: ds.n,
        classCounts: fileSummary(ds, spec.data.labels).classCounts,
        samples: samplesOf(ds, spec.data.labels, spec.acquisition.samples),
      });
    }
    const summary: AcquisitionSummary = { testRows: test.ds.n, devRows: dev?.n ?? null, features: test.ds.d, sellers };
    return { problems, summary };
  },
  scoringPart: (spec) => ({
    protocol: spec.protocol,
    labels: spec.data.labels,
    model: spec.model,
    metric: spec.metric,
    sellers: spec.sellers,
    slug: spec.slug,
    version: spec.version,
  }),
  ranking: rankByMetric,
  describe(spec, summary) {
    const facts = summary as unknown as AcquisitionSummary;
    return {
      data: { testRows: facts.testRows, devRows: facts.devRows, features: facts.features },
      sellers: facts.sellers,
      budget: spec.budget,
      metric: describeMetric(spec.metric),
      submissionFormat: {
        contentType: 'text/csv',
        field: 'file',
        header: ['seller', 'rows'],
        maxFileBytes: spec.limits.maxFileBytes,
        description:
          `A UTF-8 CSV with the header "seller,rows" and one line per seller you buy from; the total cost (rows × price) ` +
          `may not exceed ${spec.budget.credits} credits. The rows you receive are a seeded random sample of the seller's rows: ` +
          `the same plan always receives the same rows.`,
      },
    };
  },
  async validate(file, spec, data) {
    const stock = new Map<string, number>();
    for (const seller of spec.sellers) {
      const role = sellerRole(seller.name);
      stock.set(seller.name, data.has(role) ? (await data.get(role)).n : Number.MAX_SAFE_INTEGER);
    }
    const plan = validatePlan(file, spec, stock);
    if (spec.sellers.every((seller) => data.has(sellerRole(seller.name)))) {
      const classes = new Set<number>();
      for (const p of plan.purchases) {
        const ds = await data.get(sellerRole(p.seller));
        for (const r of drawRows(spec, p.seller, ds.n, p.rows)) classes.add(ds.labels[r]);
      }
      if (classes.size < 2) {
        throw AppError.unprocessable(
          'invalid_plan',
          `Every row this plan buys has the label "${spec.data.labels[[...classes][0]]}"; the model needs examples of at least 2 classes. Buy more rows, or from other sellers`,
        );
      }
    }
    return plan;
  },
  itemCount: (plan) => plan.purchases.reduce((sum, p) => sum + p.rows, 0),
};

/** The rows bought by a plan, stacked in plan order, each seller's draw in ascending row order. */
export async function purchasedRows(
  spec: AcquisitionChallengeSpec,
  plan: PurchasePlan,
  seller: (name: string) => Promise<Dataset>,
): Promise<{ x: Float64Array; y: Int32Array; n: number; d: number }> {
  const parts: { ds: Dataset; rows: Int32Array }[] = [];
  for (const p of plan.purchases) {
    const ds = await seller(p.seller);
    parts.push({ ds, rows: drawRows(spec, p.seller, ds.n, p.rows) });
  }
  const d = parts[0].ds.d;
  const n = parts.reduce((sum, p) => sum + p.rows.length, 0);
  const x = sharedFloat64(n * d);
  const y = new Int32Array(n);
  let at = 0;
  for (const { ds, rows } of parts) {
    for (const r of rows) {
      // values, not features: a float32 table's rows are widened one by one, never the whole table
      x.set(ds.values.subarray(r * d, (r + 1) * d), at * d);
      y[at++] = ds.labels[r];
    }
  }
  return { x, y, n, d };
}

export { sellerRole };

function samplesOf(ds: Dataset, labels: readonly string[], count: number) {
  const samples = [];
  for (let r = 0; r < Math.min(count, ds.n); r++) {
    samples.push({ id: ds.ids[r], label: labels[ds.labels[r]], features: Array.from(ds.values.subarray(r * ds.d, (r + 1) * ds.d)) });
  }
  return samples;
}

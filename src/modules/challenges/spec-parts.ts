import { z } from 'zod';
import { computeMetric } from '../../core/metrics/classification.js';
import { Phases, SubmissionLimits } from './phases.js';

/**
 * The building blocks every protocol's challenge.yaml schema is made of. Each protocol
 * defines its own schema from these (src/modules/protocols/*.protocol.ts); the union of
 * them is challenge-bundle.schema.ts.
 */

/**
 * A data file: a path inside the bundle folder, or an s3:// URI for data that must stay
 * private. CSV (optionally gzip-compressed) or a Sieve binary table (binary-table.ts).
 */
export const DataRef = z
  .string()
  .min(1)
  .refine(
    (p) => /^s3:\/\/[a-z0-9.-]{3,63}\/.+/.test(p) || (!p.startsWith('/') && !p.split(/[\\/]/).includes('..')),
    'must be a path inside the bundle folder (no leading /, no ..) or an s3://bucket/key URI',
  )
  .refine((p) => /\.(csv|csv\.gz|sbt)$/.test(p), 'must be a .csv, .csv.gz or .sbt (Sieve binary table) file');

export const METRICS = {
  accuracy: { direction: 'maximize' },
  macro_f1: { direction: 'maximize' },
  f1: { direction: 'maximize' },
  fraction_of_fixes: { direction: 'minimize' },
} as const;
export type MetricName = keyof typeof METRICS;
export type Direction = 'maximize' | 'minimize';

const Seeds = z
  .array(z.number().int().min(0).max(2 ** 31 - 1))
  .min(1)
  .max(20, 'at most 20 seeds')
  .refine((s) => new Set(s).size === s.length, 'seeds must be unique');

/**
 * Which implementation trains the model: `node`, the built-in TypeScript trainers (the
 * default), or `torch`, the PyTorch runtime (workers/torch-runtime; CUDA when the worker
 * has it). Scores record the trainer, its version and, for torch, the device type.
 */
const Runtime = z.enum(['node', 'torch']).optional();

/** L-BFGS from zero: every seed gives the same model, so it takes none. */
const LogRegModel = z.strictObject({
  kind: z.literal('logreg'),
  runtime: Runtime,
  params: z
    .strictObject({
      C: z.number().positive().default(1),
      maxIter: z.number().int().positive().max(10_000).default(200),
      tol: z.number().positive().default(1e-4),
    })
    .prefault({}),
  seeds: z
    .never({
      error:
        'logreg is seed-invariant (L-BFGS from zero weights finds the same model for every seed), so more seeds would only repeat one score; remove model.seeds',
    })
    .optional(),
});

/** One hidden ReLU layer, AdamW on mini-batches; initialization and shuffling follow the seed. */
const MlpModel = z.strictObject({
  kind: z.literal('mlp'),
  runtime: Runtime,
  params: z
    .strictObject({
      hidden: z.number().int().min(1).max(4096).default(128),
      epochs: z.number().int().min(1).max(1000).default(20),
      batchSize: z.number().int().min(1).max(65_536).default(64),
      learningRate: z.number().positive().max(10).default(0.001),
      weightDecay: z.number().min(0).max(10).default(0.01),
    })
    .prefault({}),
  /** One training per seed; the score is the mean, with the standard deviation kept. */
  seeds: Seeds.default([0]),
});

/**
 * A small CNN for 28×28 grayscale images (PyTorch runtime only): conv 16 → pool → conv 32 →
 * pool → 64 → classes, AdamW on seeded mini-batches (workers/torch-runtime/PROTOCOL.md).
 */
const CnnModel = z.strictObject({
  kind: z.literal('cnn'),
  runtime: z.literal('torch', { error: 'the cnn model runs on the PyTorch runtime only: runtime: torch' }).default('torch'),
  params: z
    .strictObject({
      epochs: z.number().int().min(1).max(1000).default(10),
      batchSize: z.number().int().min(1).max(65_536).default(64),
      learningRate: z.number().positive().max(10).default(0.001),
      weightDecay: z.number().min(0).max(10).default(0.01),
    })
    .prefault({}),
  seeds: Seeds.default([0]),
  /**
   * On a worker without a GPU, train this many epochs instead (for tests and small
   * machines); the score's trainer version says the device (`+cpu`).
   */
  cpuFallback: z.strictObject({ epochs: z.number().int().min(1).max(1000) }).optional(),
});

export const ModelSchema = z.discriminatedUnion('kind', [LogRegModel, MlpModel, CnnModel]);
export type ModelSpec = z.infer<typeof ModelSchema>;

/** Whether the model's result depends on the seed. */
export function seedsOf(model: ModelSpec): { seeds: number[]; invariant: boolean } {
  return model.kind === 'logreg' ? { seeds: [0], invariant: true } : { seeds: model.seeds, invariant: false };
}

export const Labels = z
  .array(z.string().min(1).max(64))
  .min(2, 'a challenge needs at least 2 labels')
  .refine((l) => new Set(l).size === l.length, 'labels must be unique');

/** The upload cap, and the submission limits of every phase that sets none of its own. */
export const Limits = z
  .strictObject({
    maxFileBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
    ...SubmissionLimits.shape,
  })
  .prefault({});

/** Where submissions are evaluated: `gpu` challenges go to queue evaluate-gpu, served by GPU workers only. */
export const Resources = z.strictObject({ class: z.enum(['cpu', 'gpu']).default('cpu') }).prefault({});
export type ResourceClass = z.infer<typeof Resources>['class'];

/** A challenge's resource class (versions published before there were classes are `cpu`). */
export function resourceClass(spec: { resources?: { class: ResourceClass } }): ResourceClass {
  return spec.resources?.class ?? 'cpu';
}

/** The queue a challenge's submissions are evaluated on. */
export function queueFor(spec: { resources?: { class: ResourceClass } }): 'evaluate-cpu' | 'evaluate-gpu' {
  return resourceClass(spec) === 'gpu' ? 'evaluate-gpu' : 'evaluate-cpu';
}

/**
 * How a score's confidence interval is computed: a percentile bootstrap over the test
 * examples, `resamples` draws seeded by `seed`, at `level`.
 */
export const Uncertainty = z
  .strictObject({
    resamples: z.number().int().min(100).max(10_000).default(1000),
    seed: z.number().int().min(0).max(2 ** 31).default(0),
    level: z.number().min(0.5).max(0.999).default(0.95),
  })
  .prefault({});
export type UncertaintySpec = z.infer<typeof Uncertainty>;

/** A version's interval settings (versions published before there were settings get the defaults). */
export function uncertaintyOf(spec: { uncertainty?: UncertaintySpec }): UncertaintySpec {
  return spec.uncertainty ?? Uncertainty.parse({});
}

/**
 * How the board works: an optional public/private split of the test set (stratified,
 * seeded), how many final submissions a participant picks for the private ranking, the
 * Ladder on the public board, and the precision scores are shown at.
 */
export const LeaderboardSettings = z
  .strictObject({
    split: z
      .strictObject({
        publicFraction: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1'),
        seed: z.number().int().min(0).max(2 ** 31).default(0),
      })
      .optional(),
    finalSubmissions: z.number().int().min(1).max(20).default(2),
    ladder: z.boolean().default(false),
    precision: z.number().positive().max(1).optional(),
  })
  .prefault({});
export type LeaderboardSpec = z.infer<typeof LeaderboardSettings>;

/** A version's board settings (versions published before there were settings get the defaults). */
export function leaderboardOf(spec: { leaderboard?: LeaderboardSpec }): LeaderboardSpec {
  return spec.leaderboard ?? LeaderboardSettings.parse({});
}

/**
 * Dynamic rounds: further hidden test sets (harder or shifted examples) added over the
 * life of a challenge, each in a new version. Every score is also computed on each round,
 * and the board shows per-round scores and how consistent they are.
 */
export const Round = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and -, at most 32 characters'),
  title: z.string().trim().min(1).max(100).optional(),
  test: DataRef,
});
export const Rounds = z
  .array(Round)
  .max(20)
  .refine((rounds) => new Set(rounds.map((r) => r.name)).size === rounds.length, 'round names must be unique');
export type RoundSpec = z.infer<typeof Round>;

/** The name of the first round: the challenge's own test set. */
export const FIRST_ROUND = 'main';

/** A challenge's slug: lowercase letters, digits and -, 3 to 64 characters. */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;

/** The fields every challenge.yaml has, whatever its protocol. */
export const common = {
  slug: z.string().regex(SLUG_PATTERN, 'lowercase letters, digits and -, 3 to 64 characters'),
  version: z.number().int().positive(),
  title: z.string().trim().min(1).max(200),
  summary: z.string().trim().max(1000).default(''),
  /** What a participant accepts on joining (Markdown); absent: the platform's defaults only. */
  rules: z.string().trim().max(20_000).default(''),
  /** The licence of the challenge's public data, e.g. "CC-BY-4.0". */
  license: z.string().trim().max(200).optional(),
  model: ModelSchema,
  limits: Limits,
  resources: Resources,
  /** Absent: always open. */
  phases: Phases.optional(),
  uncertainty: Uncertainty,
  leaderboard: LeaderboardSettings,
  /** Absent: the test set is the only round. */
  rounds: Rounds.optional(),
};

/** The fields of `common` a task of a multi-task challenge takes from its challenge. */
export const COMMON_KEYS = ['slug', 'version', 'title', 'summary', 'model', 'limits', 'resources'] as const;

/** A classification metric on the test set: accuracy, macro-F1 or the F1 of one label. */
export const ClassificationMetric = z.strictObject({
  name: z.enum(['accuracy', 'macro_f1', 'f1']),
  positiveLabel: z.string().optional(),
});
export type ClassificationMetricSpec = z.infer<typeof ClassificationMetric>;

/** A classification metric ranks by its own name and direction. */
export function rankByMetric(spec: { metric: ClassificationMetricSpec }): { metric: string; direction: Direction } {
  return { metric: spec.metric.name, direction: METRICS[spec.metric.name].direction };
}

/** The label index f1 is computed for (undefined when the metric names no positive label). */
export function positiveClassOf(spec: { metric: ClassificationMetricSpec; data: { labels: string[] } }): number | undefined {
  return spec.metric.positiveLabel === undefined ? undefined : spec.data.labels.indexOf(spec.metric.positiveLabel);
}

/** The challenge's ranking metric as a function of truth and predictions (label indices). */
export function rankingMetric(spec: { metric: ClassificationMetricSpec; data: { labels: string[] } }): (yTrue: Int32Array, yPred: Int32Array) => number {
  const positiveClass = positiveClassOf(spec);
  return (yTrue, yPred) => computeMetric(spec.metric.name, yTrue, yPred, { positiveClass });
}

/** A classification metric as a challenge page shows it. */
export function describeMetric(metric: ClassificationMetricSpec) {
  return { name: metric.name, direction: METRICS[metric.name].direction, positiveLabel: metric.positiveLabel };
}

/** f1 needs a positive label among the challenge's labels. */
export function checkPositiveLabel(
  spec: { metric: ClassificationMetricSpec; data: { labels: string[] } },
  ctx: z.core.$RefinementCtx,
): void {
  if (spec.metric.name !== 'f1') return;
  if (!spec.metric.positiveLabel) {
    ctx.addIssue({ code: 'custom', path: ['metric', 'positiveLabel'], message: 'f1 needs metric.positiveLabel' });
  } else if (!spec.data.labels.includes(spec.metric.positiveLabel)) {
    ctx.addIssue({ code: 'custom', path: ['metric', 'positiveLabel'], message: 'must be one of data.labels' });
  }
}

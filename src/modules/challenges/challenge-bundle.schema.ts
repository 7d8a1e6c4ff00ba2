import { z } from 'zod';

/** A data file: a path inside the bundle folder, or an s3:// URI for data that must stay private. */
const DataRef = z
  .string()
  .min(1)
  .refine(
    (p) => /^s3:\/\/[a-z0-9.-]{3,63}\/.+/.test(p) || (!p.startsWith('/') && !p.split(/[\\/]/).includes('..')),
    'must be a path inside the bundle folder (no leading /, no ..) or an s3://bucket/key URI',
  )
  .refine((p) => /\.csv(\.gz)?$/.test(p), 'must be a .csv or .csv.gz file');

export const METRICS = {
  accuracy: { direction: 'maximize' },
  macro_f1: { direction: 'maximize' },
  f1: { direction: 'maximize' },
  fraction_of_fixes: { direction: 'minimize' },
} as const;
export type MetricName = keyof typeof METRICS;

const LogRegModel = z.strictObject({
  kind: z.literal('logreg'),
  params: z
    .strictObject({
      C: z.number().positive().default(1),
      maxIter: z.number().int().positive().max(10_000).default(200),
      tol: z.number().positive().default(1e-4),
    })
    .prefault({}),
});

const Labels = z
  .array(z.string().min(1).max(64))
  .min(2, 'a challenge needs at least 2 labels')
  .refine((l) => new Set(l).size === l.length, 'labels must be unique');

const common = {
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, 'lowercase letters, digits and -, 3 to 64 characters'),
  version: z.number().int().positive(),
  title: z.string().trim().min(1).max(200),
  summary: z.string().trim().max(1000).default(''),
  model: LogRegModel,
  limits: z
    .strictObject({
      maxFileBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
    })
    .prefault({}),
};

/** selection: pick at most budget.maxItems pool rows; the model trains on them. */
const SelectionSpec = z
  .strictObject({
    ...common,
    protocol: z.literal('selection'),
    /** dev: an optional public split, labeled, that the offline scorer evaluates on. */
    data: z.strictObject({ pool: DataRef, test: DataRef, dev: DataRef.optional(), labels: Labels }),
    budget: z.strictObject({ maxItems: z.number().int().positive() }),
    metric: z.strictObject({
      name: z.enum(['accuracy', 'macro_f1', 'f1']),
      positiveLabel: z.string().optional(),
    }),
  })
  .superRefine((spec, ctx) => {
    if (spec.metric.name === 'f1') {
      if (!spec.metric.positiveLabel) {
        ctx.addIssue({ code: 'custom', path: ['metric', 'positiveLabel'], message: 'f1 needs metric.positiveLabel' });
      } else if (!spec.data.labels.includes(spec.metric.positiveLabel)) {
        ctx.addIssue({ code: 'custom', path: ['metric', 'positiveLabel'], message: 'must be one of data.labels' });
      }
    }
  });

/**
 * cleaning: the pool is a training set with noisy labels; `clean` (hidden) holds the true
 * labels. A submission orders every pool id; see workers/evaluation/protocols/cleaning-score.ts.
 */
const CleaningSpec = z.strictObject({
  ...common,
  protocol: z.literal('cleaning'),
  data: z.strictObject({ pool: DataRef, clean: DataRef, test: DataRef, labels: Labels }),
  cleaning: z
    .strictObject({
      steps: z.number().int().min(1).max(1000).default(100),
      targetRatio: z.number().gt(0).max(1).default(0.95),
    })
    .prefault({}),
  metric: z.strictObject({ name: z.literal('fraction_of_fixes') }).prefault({ name: 'fraction_of_fixes' }),
});

export const ChallengeSpecSchema = z.discriminatedUnion('protocol', [SelectionSpec, CleaningSpec]);

export type ChallengeSpec = z.infer<typeof ChallengeSpecSchema>;
export type SelectionChallengeSpec = z.infer<typeof SelectionSpec>;
export type CleaningChallengeSpec = z.infer<typeof CleaningSpec>;
export type Protocol = ChallengeSpec['protocol'];

export function metricDirection(name: MetricName): 'maximize' | 'minimize' {
  return METRICS[name].direction;
}

/** What decides a score. A change to any of it needs a new version. */
export function scoringPart(spec: ChallengeSpec): unknown {
  return {
    protocol: spec.protocol,
    labels: spec.data.labels,
    model: spec.model,
    metric: spec.metric,
    ...(spec.protocol === 'cleaning' ? { cleaning: spec.cleaning } : {}),
  };
}

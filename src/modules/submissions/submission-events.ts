import { z } from 'zod';
import { SUBMISSION_STATUSES } from './submission-status.js';

/** The PostgreSQL NOTIFY channel a submission's status changes and progress go out on. */
export const SUBMISSION_EVENTS_CHANNEL = 'sieve_submission_events';

export const PROGRESS_STAGES = ['validating', 'training', 'evaluating'] as const;

/**
 * What workers and the API announce about a submission while it is evaluated. Carries no
 * score and nothing of the data: the API reads those, under its visibility rules, when it
 * passes an event on.
 */
export const SubmissionEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('status'), submissionId: z.uuid(), status: z.enum(SUBMISSION_STATUSES) }),
  z.strictObject({
    type: z.literal('progress'),
    submissionId: z.uuid(),
    stage: z.enum(PROGRESS_STAGES),
    /** Training: the run being trained (1-based) of `steps`, e.g. seed 2 of 5. */
    step: z.int().positive().optional(),
    steps: z.int().positive().optional(),
    seed: z.int().optional(),
    /** How far the evaluation is, 0 to 100. */
    percent: z.number().min(0).max(100),
  }),
]);
export type SubmissionEvent = z.infer<typeof SubmissionEvent>;
export type ProgressEvent = Extract<SubmissionEvent, { type: 'progress' }>;
export type Progress = Omit<ProgressEvent, 'type' | 'submissionId'>;

/**
 * How far an evaluation is: validating 0–5 %, training 5–90 % in equal parts per run,
 * evaluating 90 %. Scored or failed is the end (the status event).
 */
export function progressOf(stage: ProgressEvent['stage'], step?: number, steps?: number, seed?: number): Progress {
  if (stage === 'validating') return { stage, percent: 0 };
  if (stage === 'evaluating') return { stage, percent: 90 };
  const total = Math.max(1, steps ?? 1);
  const index = Math.min(Math.max(1, step ?? 1), total);
  return { stage, step: index, steps: total, ...(seed === undefined ? {} : { seed }), percent: Math.round(5 + (85 * (index - 1)) / total) };
}

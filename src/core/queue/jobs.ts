import { z } from 'zod';
import { REQUEST_ID_PATTERN } from '../logger/request-context.js';

/**
 * The id of the HTTP request that added the job, so the worker's log lines for it can be
 * found with the API's. Optional: the reconciler re-adds jobs outside any request.
 */
const requestId = z.string().regex(REQUEST_ID_PATTERN).optional();

/**
 * THE job list. Queue and job names are persisted contracts (they live in Redis or in
 * PostgreSQL between releases): never rename one casually.
 */
export const QUEUES = {
  evaluateCpu: 'evaluate-cpu',
  evaluateGpu: 'evaluate-gpu',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  evaluateSubmission: {
    name: 'evaluate-submission',
    queues: [QUEUES.evaluateCpu, QUEUES.evaluateGpu],
    payload: z.strictObject({ submissionId: z.uuid(), requestId }),
  },
  rescoreSubmission: {
    name: 'rescore-submission',
    queues: [QUEUES.evaluateCpu, QUEUES.evaluateGpu],
    payload: z.strictObject({ rescoreId: z.uuid(), requestId }),
  },
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS]['name'];
export type EvaluateSubmissionPayload = z.infer<typeof JOBS.evaluateSubmission.payload>;

/** One job per submission: adding it twice is a no-op while the first one exists. */
export function evaluationJobId(submissionId: string): string {
  return `${JOBS.evaluateSubmission.name}_${submissionId}`;
}

/** One job per rescore (a submission under one version). */
export function rescoreJobId(rescoreId: string): string {
  return `${JOBS.rescoreSubmission.name}_${rescoreId}`;
}

import { AppError } from '../../core/errors/app-error.js';

export const SUBMISSION_STATUSES = ['queued', 'running', 'scored', 'failed'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

/**
 * Whose fault a failure is: only `invalid_submission` is the participant's. `cancelled`:
 * its owner stopped it (a stuck or unwanted evaluation).
 */
export const FAILURE_CODES = ['invalid_submission', 'timeout', 'internal', 'cancelled'] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** The failures that count against a participant's limits: their own mistakes, nothing of ours. */
export const COUNTED_FAILURES: readonly FailureCode[] = ['invalid_submission'];

/** The one transition table. `running → queued` is a retry after a crash or an expired lease. */
const TRANSITIONS: Record<SubmissionStatus, readonly SubmissionStatus[]> = {
  queued: ['running', 'failed'],
  running: ['running', 'queued', 'scored', 'failed'],
  scored: [],
  failed: [],
};

export function canTransition(from: SubmissionStatus, to: SubmissionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: SubmissionStatus, to: SubmissionStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError(409, 'invalid_transition', `A submission cannot move from ${from} to ${to}`);
  }
}

/** The statuses a submission may move to `to` from: what the repository's guarded updates match on. */
export function sourcesOf(to: SubmissionStatus): SubmissionStatus[] {
  return SUBMISSION_STATUSES.filter((from) => canTransition(from, to));
}

export function isTerminal(status: SubmissionStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export const NON_TERMINAL_STATUSES = SUBMISSION_STATUSES.filter((s) => !isTerminal(s));

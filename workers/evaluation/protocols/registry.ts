import type { ChallengeSpec } from '../../../src/modules/challenges/challenge-bundle.schema.js';
import type { SubmissionEvaluator } from './evaluator.js';
import { multitaskEvaluator } from './multitask.evaluator.js';
import { taskEvaluator } from './task-evaluators.js';

/** The worker side of the challenge's protocol. */
export function evaluatorFor(spec: ChallengeSpec): SubmissionEvaluator<unknown> {
  return (spec.protocol === 'multitask' ? multitaskEvaluator : taskEvaluator(spec)) as unknown as SubmissionEvaluator<unknown>;
}

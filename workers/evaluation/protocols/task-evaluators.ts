import type { TaskSpec } from '../../../src/modules/protocols/multitask.protocol.js';
import { acquisitionEvaluator } from './acquisition.evaluator.js';
import { cleaningEvaluator } from './cleaning.evaluator.js';
import { datasetEvaluator } from './dataset.evaluator.js';
import type { SubmissionEvaluator } from './evaluator.js';
import { selectionEvaluator } from './selection.evaluator.js';

const SINGLE_TASK = {
  selection: selectionEvaluator,
  cleaning: cleaningEvaluator,
  acquisition: acquisitionEvaluator,
  dataset: datasetEvaluator,
} satisfies { [P in TaskSpec['protocol']]: unknown };

/** The evaluator of a single-task protocol (a challenge's, or one task's of a multi-task challenge). */
export function taskEvaluator(spec: TaskSpec): SubmissionEvaluator<unknown, TaskSpec> {
  return SINGLE_TASK[spec.protocol] as unknown as SubmissionEvaluator<unknown, TaskSpec>;
}

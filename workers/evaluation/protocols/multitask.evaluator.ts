import { type MultitaskChallengeSpec, type MultitaskSubmission, taskData, taskProtocol, taskSpec } from '../../../src/modules/protocols/multitask.protocol.js';
import type { ScoreDetails } from '../../../src/modules/submissions/score.entity.js';
import type { Evaluation, SubmissionEvaluator } from './evaluator.js';
import { taskEvaluator } from './task-evaluators.js';

/**
 * multitask: evaluate every task with its own protocol's evaluator, on its own data, with
 * the challenge's model and the current seed. Metrics: `task_mean` (the mean of the tasks'
 * ranking metrics, in task order) and every task metric as `<task>.<metric>`.
 */
export const multitaskEvaluator: SubmissionEvaluator<MultitaskSubmission, MultitaskChallengeSpec> = {
  async evaluate(submission, ctx) {
    const metrics: Record<string, number> = {};
    const tasks: NonNullable<ScoreDetails['tasks']> = {};
    let sum = 0;
    let iterations = 0;
    let trainer: Evaluation['trainer'] | undefined;
    for (const { name, parsed } of submission.tasks) {
      const spec = taskSpec(ctx.spec, name);
      const result = await taskEvaluator(spec).evaluate(parsed, { ...ctx, spec, data: taskData(ctx.data, name) });
      sum += result.metrics[taskProtocol(spec).ranking(spec).metric];
      for (const [metric, value] of Object.entries(result.metrics)) metrics[`${name}.${metric}`] = value;
      tasks[name] = { metrics: result.metrics, ...(result.details ? { details: result.details } : {}) };
      iterations += result.iterations;
      trainer = result.trainer;
    }
    return { metrics: { task_mean: sum / submission.tasks.length, ...metrics }, trainer: trainer!, iterations, details: { tasks } };
  },
};

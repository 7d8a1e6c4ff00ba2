import { type MultitaskChallengeSpec, type MultitaskSubmission, taskData, taskProtocol, taskSpec } from '../../../src/modules/protocols/multitask.protocol.js';
import type { ScoreDetails } from '../../../src/modules/submissions/score.entity.js';
import { type Evaluation, evaluateSeeds, mean, sampleStd, type SubmissionEvaluator } from './evaluator.js';
import { taskEvaluator } from './task-evaluators.js';

/**
 * multitask: evaluate every task with its own protocol's evaluator on its own data, with
 * the challenge's model and every seed (evaluateSeeds per task). Metrics: every task
 * metric as `<task>.<metric>` (means over seeds, with `_std`), and `task_mean`, the mean
 * of the tasks' ranking metrics in task order; with several seeds `task_mean_std` is the
 * spread of the per-seed task means, and details.seeds holds each seed's task metrics.
 * When every task reports its dev split (`dev_<metric>`), `dev_task_mean` is their mean,
 * named as the offline scorer names it.
 */
export const multitaskEvaluator: SubmissionEvaluator<MultitaskSubmission, MultitaskChallengeSpec> = {
  seedsInside: true,
  async evaluate(submission, ctx) {
    const metrics: Record<string, number> = {};
    const tasks: NonNullable<ScoreDetails['tasks']> = [];
    const ranked: string[] = [];
    const perSeed: Record<string, number>[] = [];
    let iterations = 0;
    let trainer: Evaluation['trainer'] | undefined;
    for (const { name, parsed } of submission.tasks) {
      const spec = taskSpec(ctx.spec, name);
      const rank = taskProtocol(spec).ranking(spec).metric;
      const result = await evaluateSeeds(taskEvaluator(spec), parsed, { ...ctx, spec, data: taskData(ctx.data, name) });
      ranked.push(`${name}.${rank}`);
      for (const [metric, value] of Object.entries(result.metrics)) metrics[`${name}.${metric}`] = value;
      tasks.push({ name, metrics: result.metrics, ...(result.details ? { details: result.details } : {}) });
      (result.details?.seeds ?? []).forEach((run, i) => {
        perSeed[i] ??= {};
        for (const [metric, value] of Object.entries(run.metrics)) perSeed[i][`${name}.${metric}`] = value;
      });
      iterations += result.iterations;
      trainer = result.trainer;
    }
    const seeds = tasks[0].details?.seeds?.map((s) => s.seed) ?? [];
    const details: ScoreDetails = { tasks };
    const summary: Record<string, number> = {};
    for (const prefix of ['', 'dev_']) {
      const names = ranked.map((r) => r.replace('.', `.${prefix}`));
      if (!names.every((n) => n in metrics)) continue;
      summary[`${prefix}task_mean`] = mean(names.map((n) => metrics[n]));
      if (seeds.length > 1) {
        const seedMeans = perSeed.map((m) => mean(names.map((n) => m[n])));
        summary[`${prefix}task_mean_std`] = sampleStd(seedMeans);
        seedMeans.forEach((value, i) => (perSeed[i][`${prefix}task_mean`] = value));
      }
    }
    if (seeds.length > 1) {
      details.seeds = seeds.map((seed, i) => {
        const { task_mean, dev_task_mean, ...rest } = perSeed[i];
        return { seed, metrics: { task_mean, ...(dev_task_mean === undefined ? {} : { dev_task_mean }), ...rest } };
      });
    }
    return { metrics: { ...summary, ...metrics }, trainer: trainer!, iterations, details };
  },
};

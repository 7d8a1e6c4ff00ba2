import type { SelectionChallengeSpec } from '../../../src/modules/challenges/challenge-bundle.schema.js';
import { computeMetric, type MetricName } from '../../trainers/metrics.js';

/** Every metric that applies to the challenge, by name. */
export function computeMetrics(spec: SelectionChallengeSpec, yTrue: Int32Array, yPred: Int32Array): Record<string, number> {
  const names: MetricName[] = ['accuracy', 'macro_f1'];
  const positiveClass = spec.metric.positiveLabel === undefined ? undefined : spec.data.labels.indexOf(spec.metric.positiveLabel);
  if (positiveClass !== undefined) names.push('f1');
  const metrics: Record<string, number> = {};
  for (const name of names) metrics[name] = computeMetric(name, yTrue, yPred, { positiveClass });
  return metrics;
}

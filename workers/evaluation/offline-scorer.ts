import { loadPublicBundle } from '../../src/modules/challenges/challenge-bundle.loader.js';
import type { ChallengeSpec } from '../../src/modules/challenges/challenge-bundle.schema.js';
import { toPoolData } from '../../src/modules/challenges/challenge-data.service.js';
import { parseDataset } from '../../src/modules/challenges/dataset.js';
import { validatorFor } from '../../src/modules/protocols/protocol.js';
import { StartupError } from '../../src/core/errors/startup-error.js';
import type { TrainerRef } from '../trainers/trainer.js';
import { TrainingPool } from '../trainers/training-pool.js';
import { evaluatorFor } from './protocols/evaluator.js';

export interface OfflineScore {
  challenge: string;
  version: number;
  /** The dev-split metrics, named as the server names them (`dev_<metric>`). */
  metrics: Record<string, number>;
  metric: string;
  trainer: TrainerRef;
}

/**
 * Scores a submission file on a challenge's public dev split, with no server: the same
 * validator, evaluator and trainer as the worker, so the server's `dev_*` metrics for the
 * same file and challenge version are identical.
 */
export async function scoreOffline(bundleDir: string, file: Buffer): Promise<OfflineScore> {
  const bundle = await loadPublicBundle(bundleDir);
  const spec: ChallengeSpec = bundle.spec;
  if (!bundle.dev) {
    throw new StartupError(`${spec.slug} declares no public dev split (data.dev in challenge.yaml), so it cannot be scored offline`);
  }
  const pool = toPoolData(parseDataset(bundle.pool, 'pool', spec.data.labels));
  const dev = parseDataset(bundle.dev, 'dev', spec.data.labels);
  const parsed = validatorFor(spec).validate(file, { spec, pool });
  const training = new TrainingPool({ threads: 1 });
  try {
    const result = await evaluatorFor(spec).evaluate(parsed, {
      spec,
      pool,
      test: dev,
      train: (set) =>
        training.run({ trainer: spec.model.kind, params: spec.model.params, classes: spec.data.labels.length, train: set, test: { x: dev.features, n: dev.n } }),
    });
    const metrics = Object.fromEntries(Object.entries(result.metrics).map(([name, value]) => [`dev_${name}`, value]));
    return { challenge: spec.slug, version: spec.version, metrics, metric: `dev_${spec.metric.name}`, trainer: result.trainer };
  } finally {
    await training.close();
  }
}

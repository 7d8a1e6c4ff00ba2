import { loadBundle, loadPublicBundle } from '../../src/modules/challenges/challenge-bundle.loader.js';
import { filesInMemory, MissingDataFile } from '../../src/modules/challenges/challenge-data.service.js';
import { protocolFor } from '../../src/modules/protocols/registry.js';
import { StartupError } from '../../src/core/errors/startup-error.js';
import type { TrainerRef } from '../trainers/trainer.js';
import { ModelTrainer } from '../trainers/model-trainer.js';
import { TorchRuntime } from '../trainers/torch/torch-runtime.js';
import { TrainingPool } from '../trainers/training-pool.js';
import { evaluateSeeds } from './protocols/evaluator.js';
import { evaluatorFor } from './protocols/registry.js';
import { scoreMetrics } from './uncertainty.js';

export interface OfflineScore {
  challenge: string;
  version: number;
  /** The metrics, named as the server names them (`dev_<metric>` for the dev split). */
  metrics: Record<string, number>;
  metric: string;
  split: 'dev' | 'test';
  trainer: TrainerRef;
}

/**
 * Scores a submission file with no server: the same validator, evaluator and trainer as
 * the worker. On `dev` (the default) it reads only the bundle's public files, so the
 * server's `dev_*` metrics for the same file and challenge version are identical. On
 * `test` it needs the whole bundle, hidden files included (organizers measuring
 * baselines), and gives exactly the server's score.
 */
export async function scoreOffline(bundleDir: string, file: Buffer, split: 'dev' | 'test' = 'dev'): Promise<OfflineScore> {
  const bundle = split === 'dev' ? await loadPublicBundle(bundleDir) : await loadBundle(bundleDir);
  const { spec } = bundle;
  const protocol = protocolFor(spec);
  const data = filesInMemory(bundle.files);
  const trainer = new ModelTrainer(new TrainingPool({ threads: 1 }), new TorchRuntime());
  try {
    const parsed = await protocol.validate(file, spec, data);
    const result = await evaluateSeeds(evaluatorFor(spec), parsed, {
      spec,
      data,
      scoring: split,
      fit: (req) => trainer.fit(req),
      fitMany: (model, seed, classes, jobs) => trainer.fitMany(model, seed, classes, jobs),
    });
    const { metric } = protocol.ranking(spec);
    const prefix = split === 'dev' ? 'dev_' : '';
    const metrics = Object.fromEntries(Object.entries((await scoreMetrics(spec, data, split, result, metric)).metrics).map(([name, value]) => [devName(prefix, name), value]));
    return { challenge: spec.slug, version: spec.version, metrics, metric: devName(prefix, metric), split, trainer: result.trainer };
  } catch (e) {
    if (e instanceof MissingDataFile) {
      const role = e.role.split('.').at(-1);
      throw new StartupError(
        role === 'dev'
          ? `${spec.slug} declares no public dev split (data.dev in challenge.yaml), so it cannot be scored offline; organizers holding the hidden files can use --split test`
          : `${spec.slug} cannot be scored on its public files: scoring needs "${e.role}", which is hidden; organizers holding it can use --split test`,
      );
    }
    throw e;
  } finally {
    await trainer.close();
  }
}

/** A metric's name on the dev split, as the server names it: `dev_f1`, and a task's `footwear.dev_f1`. */
function devName(prefix: string, name: string): string {
  const dot = name.indexOf('.');
  return dot < 0 ? `${prefix}${name}` : `${name.slice(0, dot + 1)}${prefix}${name.slice(dot + 1)}`;
}

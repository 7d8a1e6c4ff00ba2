import { pathToFileURL } from 'node:url';

import { Piscina } from 'piscina';
import { z } from 'zod';

import { builtArtifactPath } from './built-artifacts.js';
import type { TrainRequest, TrainResult } from './trainer.js';

const trainResultSchema = z.object({
  trainer: z.object({ name: z.string(), version: z.string() }),
  // not z.instanceof: under Jest the clone comes from another realm
  predictions: z.custom<Int32Array>((v) => Object.prototype.toString.call(v) === '[object Int32Array]', 'an Int32Array'),
  iterations: z.number().int().nonnegative(),
  converged: z.boolean(),
  diagnostics: z.object({
    status: z.enum(['converged-gradient', 'converged-function', 'max-iterations', 'max-evaluations', 'line-search-failed', 'epochs-done']),
    evaluations: z.number().int().nonnegative(),
    objective: z.number(),
    trainMs: z.number().nonnegative(),
  }),
});

/**
 * Runs trainings on worker threads (piscina), so the event loop that holds the job's
 * lock stays free. The thread code is the compiled dist/workers/trainers/training.thread.js
 * (also when this module itself runs from TypeScript source, as under Jest), so
 * `npm run build` must have run first.
 */
export class TrainingPool {
  private readonly pool: Piscina<TrainRequest, unknown>;

  constructor(opts: { threads?: number } = {}) {
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`TrainingPool: threads must be a positive integer, got ${threads}`);
    this.pool = new Piscina<TrainRequest, unknown>({
      filename: pathToFileURL(builtArtifactPath('training.thread.js')).href,
      minThreads: threads,
      maxThreads: threads,
    });
  }

  /**
   * Trains and predicts on a worker thread; rejects with the thread's error. Aborting
   * `signal` stops the training (piscina ends the thread and starts a fresh one).
   */
  async run(req: TrainRequest, signal?: AbortSignal): Promise<TrainResult> {
    const out = await this.pool.run(req, { signal });
    const parsed = trainResultSchema.safeParse(out);
    if (!parsed.success) throw new Error(`training thread returned a malformed result: ${parsed.error.message}`);
    return parsed.data;
  }

  /** Stops the threads; pending runs reject. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

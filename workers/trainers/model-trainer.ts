import type { ModelSpec } from '../../src/modules/challenges/spec-parts.js';
import type { TrainResult } from './trainer.js';
import { type BatchStats, TorchBatcher } from './torch/torch-batcher.js';
import type { TorchRuntime } from './torch/torch-runtime.js';
import { TrainingPool } from './training-pool.js';

export interface ModelFit {
  model: ModelSpec;
  seed: number;
  classes: number;
  train: { x: Float64Array; y: Int32Array; n: number; d: number };
  predict: { x: Float64Array; n: number };
}

/**
 * Trains a challenge's fixed model on the runtime it names: the TypeScript trainers on
 * worker threads (the default), or the PyTorch runtime (`runtime: torch`, and every cnn).
 * Aborting `signal` stops the training either way (the thread or the child process ends).
 * Trainings on the PyTorch runtime go through its batcher: concurrent evaluations of one
 * challenge version train together in one batched run.
 */
export class ModelTrainer {
  private torchDevice?: Promise<'cpu' | 'cuda'>;
  private readonly batcher: TorchBatcher;

  /** `batchWindowMs`: how long a PyTorch training waits for others to batch with. */
  constructor(
    private readonly threads: TrainingPool,
    private readonly torch: TorchRuntime,
    opts: { batchWindowMs: number } = { batchWindowMs: 25 },
  ) {
    this.batcher = new TorchBatcher(torch, { windowMs: opts.batchWindowMs });
  }

  /** The PyTorch runtime's batched runs so far. */
  get batchStats(): BatchStats {
    return { ...this.batcher.stats };
  }

  async fit(req: ModelFit, signal?: AbortSignal): Promise<TrainResult> {
    const { model } = req;
    if (model.runtime === 'torch') {
      const [result] = await this.fitMany(model, req.seed, req.classes, [{ train: req.train, predict: req.predict }], signal);
      return result;
    }
    return this.threads.run({ model, seed: req.seed, classes: req.classes, train: req.train, test: req.predict }, signal);
  }

  /**
   * Many trainings of one model (the same seed and classes; each its own rows), results
   * in order. On the PyTorch runtime they run as one batched run (with other evaluations'
   * trainings of the same model when they wait at the same time); on the TypeScript
   * trainers they share the worker threads. Each result equals its fit alone.
   */
  async fitMany(model: ModelSpec, seed: number, classes: number, jobs: Pick<ModelFit, 'train' | 'predict'>[], signal?: AbortSignal): Promise<TrainResult[]> {
    if (model.runtime === 'torch') {
      return this.batcher.train({ trainer: model.kind, params: await this.torchParams(model), seed, classes }, jobs, signal);
    }
    return Promise.all(jobs.map((job) => this.fit({ model, seed, classes, ...job }, signal)));
  }

  private async torchParams(model: ModelSpec): Promise<Record<string, number>> {
    if (model.kind === 'cnn' && model.cpuFallback && (await this.device()) === 'cpu') return { ...model.params, epochs: model.cpuFallback.epochs };
    return model.params;
  }

  /** Where the PyTorch runtime trains (asked once). */
  private device(): Promise<'cpu' | 'cuda'> {
    this.torchDevice ??= this.torch.hello().then((h) => h.device);
    this.torchDevice.catch(() => (this.torchDevice = undefined));
    return this.torchDevice;
  }

  async close(): Promise<void> {
    await Promise.all([this.threads.close(), this.torch.close()]);
  }
}

import type { TrainResult } from '../trainer.js';
import { type BatchHead, type BatchJob, TorchBatcher } from './torch-batcher.js';
import { TorchOutOfMemory, type TorchRuntime } from './torch-runtime.js';

/**
 * The batcher's scheduling against a stand-in runtime that records each train_batch and
 * answers every job with its own row count, so a test sees which job got which answer.
 * (The real runtime's batched == single equality is tested in test/integration and in
 * the runtime's own Python tests.)
 */
class RecordingRuntime implements Pick<TorchRuntime, 'trainBatch'> {
  readonly calls: { seed: number; sizes: number[] }[] = [];
  /** Batches of more jobs than this run out of memory. */
  memoryFor = Infinity;
  /** Each call takes this long (or until aborted). */
  delayMs = 5;

  async trainBatch(req: BatchHead & { jobs: BatchJob[] }, signal?: AbortSignal): Promise<TrainResult[]> {
    this.calls.push({ seed: req.seed, sizes: req.jobs.map((j) => j.train.n) });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.delayMs);
      signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
    });
    if (req.jobs.length > this.memoryFor) throw new TorchOutOfMemory(`out of memory with ${req.jobs.length} jobs`);
    return req.jobs.map((j) => ({
      trainer: { name: 'torch-logreg', version: '1.0.0+cpu' },
      predictions: Int32Array.of(j.train.n, req.seed),
      iterations: 1,
      converged: true,
      diagnostics: { status: 'epochs-done', evaluations: 1, objective: 0, trainMs: 1 },
    }));
  }
}

const head = (seed = 0): BatchHead => ({ trainer: 'logreg', params: { C: 1 }, seed, classes: 2 });
const job = (n: number): BatchJob => ({ train: { x: new Float64Array(n * 2), y: new Int32Array(n), n, d: 2 }, predict: { x: new Float64Array(2), n: 1 } });
const answers = (results: TrainResult[]) => results.map((r) => [...r.predictions]);

describe('TorchBatcher', () => {
  let runtime: RecordingRuntime;
  let batcher: TorchBatcher;

  beforeEach(() => {
    runtime = new RecordingRuntime();
    batcher = new TorchBatcher(runtime, { windowMs: 10 });
  });

  it('sends the trainings of evaluations waiting together as one run, and gives each its own results in order', async () => {
    const [a, b, c] = await Promise.all([batcher.train(head(), [job(1)]), batcher.train(head(), [job(2), job(3)]), batcher.train(head(), [job(4)])]);
    expect(runtime.calls).toEqual([{ seed: 0, sizes: [1, 2, 3, 4] }]);
    expect([answers(a), answers(b), answers(c)]).toEqual([[[1, 0]], [[2, 0], [3, 0]], [[4, 0]]]);
    expect(batcher.stats).toEqual({ runs: 1, trainings: 4, largest: 4, largestCallers: 3, outOfMemorySplits: 0 });
  });

  it('never mixes models, seeds or feature counts, and serves the longest-waiting first', async () => {
    const wide: BatchJob = { train: { x: new Float64Array(6), y: new Int32Array(2), n: 2, d: 3 }, predict: { x: new Float64Array(3), n: 1 } };
    await Promise.all([batcher.train(head(1), [job(1)]), batcher.train(head(0), [job(2)]), batcher.train(head(1), [job(3)]), batcher.train(head(1), [wide])]);
    expect(runtime.calls).toEqual([
      { seed: 1, sizes: [1, 3] },
      { seed: 0, sizes: [2] },
      { seed: 1, sizes: [2] },
    ]);
  });

  it('batches the trainings that arrive while the runtime is busy into the next run', async () => {
    runtime.delayMs = 100;
    const first = batcher.train(head(), [job(1)]);
    await new Promise((r) => setTimeout(r, 40));
    await Promise.all([first, batcher.train(head(), [job(2)]), batcher.train(head(), [job(3)])]);
    expect(runtime.calls.map((c) => c.sizes)).toEqual([[1], [2, 3]]);
  });

  it('splits a run that runs out of memory in halves, keeps later runs at the size that fit, and loses no result', async () => {
    runtime.memoryFor = 2;
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.train(head(), [job(n)])));
    expect(results.map(answers)).toEqual([1, 2, 3, 4, 5].map((n) => [[n, 0]]));
    expect(runtime.calls.map((c) => c.sizes)).toEqual([[1, 2, 3, 4, 5], [1, 2, 3], [1, 2], [3], [4, 5]]);
    runtime.calls.length = 0;
    await batcher.train(head(), [job(1), job(2), job(3), job(4), job(5)]);
    expect(runtime.calls.map((c) => c.sizes)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batcher.stats.outOfMemorySplits).toBe(2);
  });

  it('fails a single training that does not fit as out of memory (an infrastructure failure, retried by the queue)', async () => {
    runtime.memoryFor = 0;
    await expect(batcher.train(head(), [job(1)])).rejects.toBeInstanceOf(TorchOutOfMemory);
  });

  it('drops a caller whose time runs out while it waits, without sending its jobs', async () => {
    runtime.delayMs = 100;
    const busy = batcher.train(head(), [job(1)]);
    await new Promise((r) => setTimeout(r, 20));
    const late = batcher.train(head(), [job(2)], AbortSignal.timeout(30));
    await expect(late).rejects.toThrow();
    await busy;
    expect(runtime.calls.map((c) => c.sizes)).toEqual([[1]]);
  });

  it("stops a run when one caller's time runs out, and trains the others again at once", async () => {
    runtime.delayMs = 200;
    const doomed = batcher.train(head(), [job(1)], AbortSignal.timeout(60));
    const patient = batcher.train(head(), [job(2), job(3)]);
    await expect(doomed).rejects.toThrow();
    expect(answers(await patient)).toEqual([
      [2, 0],
      [3, 0],
    ]);
    expect(runtime.calls.map((c) => c.sizes)).toEqual([
      [1, 2, 3],
      [2, 3],
    ]);
  });

  it('passes on any other runtime error to every caller of the run', async () => {
    const failing = new TorchBatcher({ trainBatch: () => Promise.reject(new Error('torch runtime: internal: boom')) }, { windowMs: 5 });
    const calls = [failing.train(head(), [job(1)]), failing.train(head(), [job(2)])];
    for (const call of calls) await expect(call).rejects.toThrow('boom');
  });
});

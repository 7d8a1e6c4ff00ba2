import type { TrainResult } from '../trainer.js';
import { TorchOutOfMemory, type TorchRuntime, type TorchTrainRequest } from './torch-runtime.js';

/** What every job of one batched run shares: the model, its params, the seed and the classes. */
export type BatchHead = Omit<TorchTrainRequest, 'train' | 'predict'>;
export type BatchJob = Pick<TorchTrainRequest, 'train' | 'predict'>;

/** What the batcher has done since the worker started (shown in the worker's heartbeat). */
export interface BatchStats {
  /** train_batch requests sent to the runtime. */
  runs: number;
  /** Trainings in them. */
  trainings: number;
  /** The most trainings one run carried. */
  largest: number;
  /** The most evaluations (callers) one run served. */
  largestCallers: number;
  /** Runs that ran out of memory and were split in halves. */
  outOfMemorySplits: number;
}

interface Caller {
  seq: number;
  jobs: BatchJob[];
  signal?: AbortSignal;
  /** The run carrying this caller's jobs, while one does. */
  run?: AbortController;
  resolve(results: TrainResult[]): void;
  reject(error: unknown): void;
  detach(): void;
}

interface Lane {
  head: BatchHead;
  callers: Caller[];
}

/**
 * Trains the requests of concurrent evaluations together on the PyTorch runtime. Requests
 * for the same model, params, seed, classes and feature count (in practice: evaluations
 * of one challenge version at the same step) that wait while the runtime is busy, or
 * arrive within `windowMs` of each other, go out as ONE train_batch; each caller gets its
 * own results, which equal what it would get alone (the runtime's batched path is its
 * single-job path).
 *
 * - Out of memory: the run is split in halves until it fits, and later runs of that lane
 *   stay at the size that fit. A single training that does not fit fails with
 *   TorchOutOfMemory (an infrastructure failure: the job is retried).
 * - Time limits: a caller whose signal aborts while it waits leaves the queue; one whose
 *   signal aborts during a run stops that run (the only way to stop a training is to end
 *   the runtime), and the other callers in it go back to the head of the queue.
 */
export class TorchBatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly fitting = new Map<string, number>();
  private draining = false;
  private seq = 0;
  readonly stats: BatchStats = { runs: 0, trainings: 0, largest: 0, largestCallers: 0, outOfMemorySplits: 0 };

  constructor(
    private readonly runtime: Pick<TorchRuntime, 'trainBatch'>,
    private readonly opts: { windowMs: number },
  ) {}

  /** Trains `jobs` (one model each, results in order), batched with whatever else is waiting. */
  train(head: BatchHead, jobs: BatchJob[], signal?: AbortSignal): Promise<TrainResult[]> {
    signal?.throwIfAborted();
    if (jobs.length === 0) return Promise.resolve([]);
    const key = JSON.stringify([head.trainer, head.params, head.seed, head.classes, jobs[0].train.d]);
    return new Promise<TrainResult[]>((resolve, reject) => {
      let lane = this.lanes.get(key);
      if (!lane) this.lanes.set(key, (lane = { head, callers: [] }));
      const caller: Caller = {
        seq: ++this.seq,
        jobs,
        signal,
        resolve: (r) => (caller.detach(), resolve(r)),
        reject: (e) => (caller.detach(), reject(e)),
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = () => {
        if (caller.run) return caller.run.abort(signal!.reason);
        const lane = this.lanes.get(key);
        if (lane) {
          lane.callers.splice(lane.callers.indexOf(caller), 1);
          if (lane.callers.length === 0) this.lanes.delete(key);
        }
        caller.reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.callers.push(caller);
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      for (;;) {
        await new Promise((r) => setTimeout(r, this.opts.windowMs));
        const next = this.oldestLane();
        if (!next) break;
        const [key, lane] = next;
        const callers = lane.callers.splice(0);
        this.lanes.delete(key);
        await this.run(key, lane.head, callers);
      }
      this.draining = false;
    })();
  }

  /** The lane whose first caller has waited longest (first come, first served across challenges). */
  private oldestLane(): [string, Lane] | undefined {
    let best: [string, Lane] | undefined;
    for (const entry of this.lanes) {
      if (entry[1].callers.length === 0) continue;
      if (!best || entry[1].callers[0].seq < best[1].callers[0].seq) best = entry;
    }
    return best;
  }

  private async run(key: string, head: BatchHead, callers: Caller[]): Promise<void> {
    const run = new AbortController();
    for (const c of callers) c.run = run;
    try {
      const results = await this.trainFitting(key, head, callers.flatMap((c) => c.jobs), run.signal);
      this.stats.largestCallers = Math.max(this.stats.largestCallers, callers.length);
      let at = 0;
      for (const c of callers) {
        c.resolve(results.slice(at, at + c.jobs.length));
        at += c.jobs.length;
      }
    } catch (error) {
      const timedOut = callers.filter((c) => c.signal?.aborted);
      const others = callers.filter((c) => !c.signal?.aborted);
      for (const c of timedOut) c.reject(c.signal!.reason);
      if (timedOut.length > 0 && others.length > 0) {
        // Stopped for another caller's time limit: these go first in the next run.
        for (const c of others) c.run = undefined;
        const lane = this.lanes.get(key) ?? { head, callers: [] };
        lane.callers.unshift(...others);
        this.lanes.set(key, lane);
        return;
      }
      for (const c of others) c.reject(error);
    } finally {
      for (const c of callers) if (c.run === run) c.run = undefined;
    }
  }

  /** Runs `jobs` in chunks of the size known to fit, halving a chunk that runs out of memory. */
  private async trainFitting(key: string, head: BatchHead, jobs: BatchJob[], signal: AbortSignal): Promise<TrainResult[]> {
    const size = Math.min(jobs.length, this.fitting.get(key) ?? jobs.length);
    const results: TrainResult[] = [];
    for (let at = 0; at < jobs.length; at += size) {
      results.push(...(await this.trainHalving(key, head, jobs.slice(at, at + size), signal)));
    }
    return results;
  }

  private async trainHalving(key: string, head: BatchHead, jobs: BatchJob[], signal: AbortSignal): Promise<TrainResult[]> {
    try {
      this.stats.runs++;
      this.stats.trainings += jobs.length;
      this.stats.largest = Math.max(this.stats.largest, jobs.length);
      return await this.runtime.trainBatch({ ...head, jobs }, signal);
    } catch (error) {
      if (!(error instanceof TorchOutOfMemory) || jobs.length === 1) throw error;
      this.stats.outOfMemorySplits++;
      const half = Math.ceil(jobs.length / 2);
      this.fitting.set(key, Math.min(half, this.fitting.get(key) ?? half));
      return [...(await this.trainHalving(key, head, jobs.slice(0, half), signal)), ...(await this.trainHalving(key, head, jobs.slice(half), signal))];
    }
  }
}

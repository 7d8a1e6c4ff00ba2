import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { TrainResult } from '../trainer.js';
import { readInt32Vector, writeFloat32Matrix, writeInt64Vector } from './npy.js';

/** The PyTorch runtime's package folder (workers/torch-runtime), from source or from dist/. */
export function torchRuntimeDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'workers', 'torch-runtime');
    if (existsSync(join(candidate, 'sieve_torch', '__main__.py'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('workers/torch-runtime/sieve_torch not found above the worker code');
}

const Trainer = z.object({ name: z.string(), version: z.string(), device: z.enum(['cpu', 'cuda']) });
const Event = z.discriminatedUnion('event', [
  z.object({ id: z.string(), event: z.literal('ready'), torch: z.string(), device: z.enum(['cpu', 'cuda']), deviceName: z.string() }),
  z.object({ id: z.string(), event: z.literal('progress'), epoch: z.number(), epochs: z.number() }),
  z.object({
    id: z.string(),
    event: z.literal('result'),
    trainer: Trainer.optional(),
    results: z.array(z.object({ out: z.string(), iterations: z.number() })).optional(),
    ms: z.number().optional(),
  }),
  z.object({ id: z.string(), event: z.literal('error'), code: z.enum(['invalid_request', 'out_of_memory', 'internal']), message: z.string() }),
]);
type Event = z.infer<typeof Event>;

/** The GPU (or CPU) ran out of memory: an infrastructure failure, worth retrying. */
export class TorchOutOfMemory extends Error {
  override name = 'TorchOutOfMemory';
}

export interface TorchTrainRequest {
  trainer: 'logreg' | 'mlp' | 'cnn';
  params: Record<string, number>;
  seed: number;
  classes: number;
  train: { x: Float64Array; y: Int32Array; n: number; d: number };
  predict: { x: Float64Array; n: number };
}

interface Pending {
  child: ChildProcessWithoutNullStreams;
  resolve: (e: Event) => void;
  reject: (e: Error) => void;
}

/**
 * The PyTorch trainer runtime as a child process (`python3 -m sieve_torch`), spoken to in
 * line-delimited JSON on stdin/stdout (workers/torch-runtime/PROTOCOL.md); data goes
 * through .npy files in a private temporary folder. Started on first use; an aborted
 * request (the evaluation's time limit) kills the process, and the next request starts a
 * fresh one.
 */
export class TorchRuntime {
  private child?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<string, Pending>();
  private stderrTail = '';
  private nextId = 0;

  constructor(private readonly opts: { python?: string; device?: 'auto' | 'cpu'; env?: Record<string, string> } = {}) {}

  /** Starts the runtime (if needed) and returns what it runs on. */
  async hello(): Promise<{ torch: string; device: 'cpu' | 'cuda'; deviceName: string }> {
    const e = await this.request({ op: 'hello' });
    if (e.event !== 'ready') throw new Error(`torch runtime: expected ready, got ${e.event}`);
    return { torch: e.torch, device: e.device, deviceName: e.deviceName };
  }

  /** One training: a batch of one job (the runtime's single-job path is its batched path). */
  async train(req: TorchTrainRequest, signal?: AbortSignal): Promise<TrainResult> {
    const { train, predict, ...rest } = req;
    const [result] = await this.trainBatch({ ...rest, jobs: [{ train, predict }] }, signal);
    return result;
  }

  /**
   * Trains one model per job in ONE batched run (the runtime's train_batch): the same
   * trainer, params, seed and classes; each job its own rows. Every job gets the
   * predictions it would get alone. Jobs sharing a features array (the cleaning
   * protocol's checkpoints) share its file.
   */
  async trainBatch(
    req: Omit<TorchTrainRequest, 'train' | 'predict'> & { jobs: Pick<TorchTrainRequest, 'train' | 'predict'>[] },
    signal?: AbortSignal,
  ): Promise<TrainResult[]> {
    const dir = await mkdtemp(join(tmpdir(), 'sieve-torch-'));
    try {
      const written = new Map<Float64Array, string>();
      const matrix = async (x: Float64Array, n: number, d: number) => {
        let path = written.get(x);
        if (!path) {
          path = join(dir, `x-${written.size}.npy`);
          await writeFloat32Matrix(path, x, n, d);
          written.set(x, path);
        }
        return path;
      };
      const jobs: { train: { x: string; y: string }; predict: { x: string }; out: string }[] = [];
      for (const [i, job] of req.jobs.entries()) {
        const y = join(dir, `y-${i}.npy`);
        await writeInt64Vector(y, job.train.y);
        jobs.push({
          train: { x: await matrix(job.train.x, job.train.n, job.train.d), y },
          predict: { x: await matrix(job.predict.x, job.predict.n, job.train.d) },
          out: join(dir, `predictions-${i}.npy`),
        });
      }
      const e = await this.request(
        { op: 'train_batch', trainer: req.trainer, params: req.params, seed: req.seed, classes: req.classes, jobs, device: this.opts.device ?? 'auto' },
        signal,
      );
      if (e.event !== 'result' || !e.trainer || !e.results || e.results.length !== jobs.length) {
        throw new Error(`torch runtime: expected ${jobs.length} batch results, got ${JSON.stringify(e).slice(0, 300)}`);
      }
      const trainer = { name: e.trainer.name, version: `${e.trainer.version}+${e.trainer.device}` };
      return Promise.all(
        e.results.map(async (r, i) => ({
          trainer,
          predictions: await readInt32Vector(jobs[i].out, req.jobs[i].predict.n),
          iterations: r.iterations,
          converged: true,
          diagnostics: { status: 'epochs-done' as const, evaluations: r.iterations, objective: 0, trainMs: (e.ms ?? 0) / jobs.length },
        })),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Ends the runtime; pending requests reject. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.opts.python ?? process.env.SIEVE_PYTHON ?? 'python3', ['-m', 'sieve_torch'], {
      cwd: torchRuntimeDir(),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.opts.env, PYTHONUNBUFFERED: '1' },
    });
    this.child = child;
    this.stderrTail = '';
    child.stderr.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000)));
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.on('error', (err) => this.failAll(child, new Error(`torch runtime could not start (${err.message}); is python3 with torch installed? Set SIEVE_PYTHON to its path`)));
    child.on('exit', (code, sig) => {
      if (this.child === child) this.child = undefined;
      this.failAll(child, new Error(`torch runtime exited (${sig ?? `code ${code}`}); its last words: ${this.stderrTail.trim().slice(-1000) || '(none)'}`));
    });
    return child;
  }

  private onLine(line: string): void {
    let event: Event;
    try {
      event = Event.parse(JSON.parse(line));
    } catch {
      this.stderrTail += `\n(unparseable stdout line) ${line.slice(0, 200)}`;
      return;
    }
    if (event.event === 'progress') return;
    const p = this.pending.get(event.id);
    if (!p) return;
    this.pending.delete(event.id);
    if (event.event === 'error') {
      p.reject(event.code === 'out_of_memory' ? new TorchOutOfMemory(event.message) : new Error(`torch runtime: ${event.code}: ${event.message}`));
    } else {
      p.resolve(event);
    }
  }

  /** Rejects the requests sent to `child` (a fresh process's requests are not its business). */
  private failAll(child: ChildProcessWithoutNullStreams, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.child !== child) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private request(body: Record<string, unknown>, signal?: AbortSignal): Promise<Event> {
    signal?.throwIfAborted();
    const child = this.start();
    const id = `r${++this.nextId}`;
    return new Promise<Event>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id);
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
        // The only way to stop a training in flight: end the process; the next request starts another.
        if (this.child === child) this.child = undefined;
        child.kill('SIGKILL');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        child,
        resolve: (e) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }
}

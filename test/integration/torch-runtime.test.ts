import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracy } from '../../src/core/metrics/classification.js';
import { readChallengeCsv, seededSelection, takeRows } from '../../workers/trainers/testing/datasets.js';
import { train } from '../../workers/trainers/trainer.js';
import { type BatchStats, TorchBatcher } from '../../workers/trainers/torch/torch-batcher.js';
import { TorchRuntime } from '../../workers/trainers/torch/torch-runtime.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import { loadConfig } from '../../src/core/config/config.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The PyTorch runtime as the worker uses it: a child process spoken to in JSON lines,
 * data through .npy files (SIEVE_PYTHON names the Python with torch; .ci/run sets it).
 */
describe('the PyTorch runtime', () => {
  const runtime = new TorchRuntime({ device: 'cpu' });
  const pool = readChallengeCsv('challenges/fashion-selection/pool.csv.gz');
  const test = readChallengeCsv('challenges/fashion-selection/test.csv.gz');
  const selection = takeRows(pool, seededSelection(pool.n, 1000, 0));
  const params = { C: 1, maxIter: 200, tol: 1e-4 };

  afterAll(() => runtime.close(), 30_000);

  it('says what it runs on', async () => {
    const hello = await runtime.hello();
    expect(hello.device).toBe('cpu');
    expect(hello.torch).toMatch(/^\d+\.\d+/);
  }, 60_000);

  it("trains logistic regression to within 0.005 of the TypeScript trainer's accuracy on the same selection", async () => {
    const torch = await runtime.train({ trainer: 'logreg', params, seed: 0, classes: 10, train: selection, predict: { x: test.x, n: test.n } });
    const node = train({ model: { kind: 'logreg', params }, seed: 0, classes: 10, train: selection, test: { x: test.x, n: test.n } });
    expect(torch.trainer).toEqual({ name: 'torch-logreg', version: '1.0.0+cpu' });
    expect(Math.abs(accuracy(test.y, torch.predictions) - accuracy(test.y, node.predictions))).toBeLessThanOrEqual(0.005);
  }, 120_000);

  it('gives the same predictions for the same request, bit for bit', async () => {
    const req = { trainer: 'mlp' as const, params: { hidden: 32, epochs: 5, batchSize: 64, learningRate: 0.01, weightDecay: 0.01 }, seed: 3, classes: 10, train: selection, predict: { x: test.x, n: test.n } };
    const [a, b] = [await runtime.train(req), await runtime.train(req)];
    expect(Buffer.from(a.predictions.buffer).equals(Buffer.from(b.predictions.buffer))).toBe(true);
    expect(accuracy(test.y, a.predictions)).toBeGreaterThan(0.6);
  }, 120_000);

  it('is stopped by an abort (the time limit) and starts afresh for the next request', async () => {
    const slow = { trainer: 'mlp' as const, params: { hidden: 256, epochs: 1000, batchSize: 8, learningRate: 0.001, weightDecay: 0 }, seed: 0, classes: 10, train: selection, predict: { x: test.x, n: test.n } };
    await expect(runtime.train(slow, AbortSignal.timeout(1500))).rejects.toThrow();
    expect((await runtime.hello()).device).toBe('cpu');
  }, 60_000);
});

/** A curated-dataset challenge whose fixed model is the CNN, scored by the real worker on the PyTorch runtime (CPU here). */
describe('a CNN challenge through the real worker', () => {
  let stack: Stack;
  let challenges: string;
  const slug = 'cnn-dataset';

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-cnn-'));
    await copyChallenge(challenges, 'fashion-dataset', slug, (yaml) =>
      yaml
        .replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: cnn\n  params: { epochs: 1, batchSize: 64, learningRate: 0.002, weightDecay: 0.01 }\n  seeds: [0]\n')
        .concat('resources: { class: gpu }\n'),
    );
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges, WORKER_QUEUES: 'evaluate-cpu,evaluate-gpu' } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('scores an upload with the CNN, records trainer, version and device, and scores it again bit for bit', async () => {
    const token = await client.register(stack.url, 'cnn-user');
    const file = await readFile(`challenges/fashion-dataset/baselines/balanced-1000.csv.gz`);
    const first = await client.settled(stack.url, token, await client.submit(stack.url, token, slug, file), 120_000);
    expect(first).toMatchObject({ status: 'scored', metric: 'accuracy', trainer: { name: 'torch-cnn', version: '1.0.0+cpu' } });
    expect(first.score!).toBeGreaterThan(0.5);
    const again = await client.settled(stack.url, token, await client.submit(stack.url, token, slug, file), 120_000);
    expect(again.metrics).toStrictEqual(first.metrics);
  }, 300_000);
});

/** Many trainings in one batched run give each job exactly what it gets alone. */
describe('batched training on the PyTorch runtime', () => {
  const runtime = new TorchRuntime({ device: 'cpu' });
  const pool = readChallengeCsv('challenges/fashion-selection/pool.csv.gz');
  const test = readChallengeCsv('challenges/fashion-selection/test.csv.gz');
  afterAll(() => runtime.close(), 30_000);

  it.each([
    ['logreg', { C: 1, maxIter: 200, tol: 1e-4 }],
    ['mlp', { hidden: 32, epochs: 3, batchSize: 32, learningRate: 0.01, weightDecay: 0.01 }],
  ] as const)('%s: 6 jobs of different sizes in one train_batch equal 6 single trainings', async (trainer, params) => {
    const jobs = [50, 200, 1000, 75, 400, 1000].map((k, i) => ({ train: takeRows(pool, seededSelection(pool.n, k, i)), predict: { x: test.x, n: test.n } }));
    const batched = await runtime.trainBatch({ trainer, params, seed: 1, classes: 10, jobs });
    for (const [i, job] of jobs.entries()) {
      const alone = await runtime.train({ trainer, params, seed: 1, classes: 10, ...job });
      expect({ job: i, same: Buffer.from(batched[i].predictions.buffer).equals(Buffer.from(alone.predictions.buffer)) }).toEqual({ job: i, same: true });
      expect(batched[i].iterations).toBe(alone.iterations);
    }
  }, 120_000);

  it('splits a batch that runs out of memory until it fits (SIEVE_TORCH_MEMORY_MB), with the same results', async () => {
    // 1,000 rows x 64 float32 features plus the 2,000 test rows: about 0.76 MiB a job, so two jobs fit in 2 MiB and four do not.
    const small = new TorchRuntime({ device: 'cpu', env: { SIEVE_TORCH_MEMORY_MB: '2' } });
    try {
      const batcher = new TorchBatcher(small, { windowMs: 5 });
      const jobs = [0, 1, 2, 3].map((i) => ({ train: takeRows(pool, seededSelection(pool.n, 1000, 10 + i)), predict: { x: test.x, n: test.n } }));
      const params = { C: 1, maxIter: 100, tol: 1e-4 };
      const batched = await batcher.train({ trainer: 'logreg', params, seed: 0, classes: 10 }, jobs);
      expect(batcher.stats).toMatchObject({ outOfMemorySplits: 1, largest: 4 });
      for (const [i, job] of jobs.entries()) {
        const alone = await runtime.train({ trainer: 'logreg', params, seed: 0, classes: 10, ...job });
        expect({ job: i, same: Buffer.from(batched[i].predictions.buffer).equals(Buffer.from(alone.predictions.buffer)) }).toEqual({ job: i, same: true });
      }
    } finally {
      await small.close();
    }
  }, 120_000);
});

/**
 * A GPU worker takes up to WORKER_GPU_BATCH waiting submissions at once, and those of one
 * challenge version train in one batched run; each is scored exactly as it is alone.
 */
describe('a GPU worker batching waiting submissions', () => {
  let stack: Stack;
  let challenges: string;
  let gpuWorker: RunningWorker | null = null;
  let participant: string;
  let admin: string;
  const slug = 'batched-selection';
  const random = readFileSync('challenges/fashion-selection/baselines/random.csv', 'utf8').trimEnd().split('\n');
  const balanced = readFileSync('challenges/fashion-selection/baselines/balanced.csv', 'utf8').trimEnd().split('\n');
  const selections = [random, balanced, random.slice(0, 401), balanced.slice(0, 601)].map((lines) => `${lines.join('\n')}\n`);

  const gpuWorkerWith = (env: Record<string, string>) =>
    startWorker(loadConfig({ ...stack.env, WORKER_QUEUES: 'evaluate-gpu', ...env }), stack.db.url, createLogger('silent', 'gpu-worker'));
  const batches = async () => {
    await new Promise((r) => setTimeout(r, 800)); // a heartbeat or two
    const list = (await (await fetch(`${stack.url}/api/v1/workers`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      queues: string[];
      activity: { torchBatches: BatchStats };
    }[];
    return list.find((w) => w.queues.join() === 'evaluate-gpu')!.activity.torchBatches;
  };
  const scoreAll = async () => {
    const ids = [];
    for (const body of selections) ids.push(await client.submit(stack.url, participant, slug, body));
    return ids;
  };

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-batched-'));
    await copyChallenge(challenges, 'fashion-selection', slug, (yaml) =>
      yaml
        .replace('  kind: logreg\n', '  kind: logreg\n  runtime: torch\n')
        .concat('resources: { class: gpu }\n'),
    );
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges, WORKER_HEARTBEAT_MS: '300' } });
    participant = await client.register(stack.url, 'batched');
    admin = (await stack.api.get(AccountsService).create('batch-admin', 'admin')).token;
  }, 60_000);

  afterAll(async () => {
    await gpuWorker?.stop();
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('trains 4 waiting submissions in one run, writes each its own score, and each equals its score alone', async () => {
    const waiting = await scoreAll(); // no GPU worker yet: all four wait
    gpuWorker = await gpuWorkerWith({ WORKER_GPU_BATCH: '4', WORKER_BATCH_WINDOW_MS: '1500' });
    const together = await Promise.all(waiting.map((id) => client.settled(stack.url, participant, id, 120_000)));
    expect(together.map((s) => s.status)).toEqual(['scored', 'scored', 'scored', 'scored']);
    expect(await batches()).toMatchObject({ runs: 1, trainings: 4, largestCallers: 4 });
    await gpuWorker.stop();

    gpuWorker = await gpuWorkerWith({ WORKER_GPU_BATCH: '1' });
    const alone = [];
    for (const id of await scoreAll()) alone.push(await client.settled(stack.url, participant, id, 120_000));
    expect(await batches()).toMatchObject({ runs: 4, trainings: 4, largestCallers: 1 });
    expect(new Set(together.map((s) => s.score)).size).toBe(4);
    for (const [i, s] of alone.entries()) {
      expect({ selection: i, trainer: s.trainer, metrics: s.metrics }).toStrictEqual({ selection: i, trainer: together[i].trainer, metrics: together[i].metrics });
    }
  }, 300_000);
});

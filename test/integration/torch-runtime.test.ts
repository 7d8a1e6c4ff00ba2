import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accuracy } from '../../workers/trainers/metrics.js';
import { readChallengeCsv, seededSelection, takeRows } from '../../workers/trainers/testing/datasets.js';
import { train } from '../../workers/trainers/trainer.js';
import { TorchRuntime } from '../../workers/trainers/torch/torch-runtime.js';
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
    await cp('challenges/fashion-dataset', join(challenges, slug), { recursive: true });
    const yaml = await readFile(join(challenges, slug, 'challenge.yaml'), 'utf8');
    await writeFile(
      join(challenges, slug, 'challenge.yaml'),
      yaml
        .replace(/^slug: .*$/m, `slug: ${slug}`)
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
});

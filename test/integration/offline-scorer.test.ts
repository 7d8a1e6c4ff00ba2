import { readFile } from 'node:fs/promises';
import { run } from '../support/processes.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

/** `sieve score` offline gives exactly the server's dev_* metrics for the same file and version. */
describe('the offline scorer', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('agrees with the server bit for bit on the public dev split', async () => {
    const token = await client.register(stack.url, 'offline');
    const file = 'challenges/fashion-selection/baselines/balanced.csv';
    const server = await client.settled(stack.url, token, await client.submit(stack.url, token, 'fashion-selection', await readFile(file)));
    expect(server.status).toBe('scored');
    const metrics = server.metrics!;
    expect(Object.keys(metrics).sort()).toEqual(['accuracy', 'dev_accuracy', 'dev_macro_f1', 'dev_macro_f1_ci_high', 'dev_macro_f1_ci_low', 'macro_f1', 'macro_f1_ci_high', 'macro_f1_ci_low']);

    const offline = await run(['bin/sieve.js', 'score', '--challenge', 'fashion-selection', file, '--json'], { ...process.env, LOG_LEVEL: 'silent' }, 60_000);
    expect(offline.stderr).toBe('');
    expect(offline.code).toBe(0);
    const result = JSON.parse(offline.stdout) as { version: number; metric: string; metrics: Record<string, number> };
    expect(result.version).toBe(2);
    expect(result.metric).toBe('dev_macro_f1');
    expect(result.metrics).toStrictEqual({
      dev_accuracy: metrics.dev_accuracy,
      dev_macro_f1: metrics.dev_macro_f1,
      dev_macro_f1_ci_low: metrics.dev_macro_f1_ci_low,
      dev_macro_f1_ci_high: metrics.dev_macro_f1_ci_high,
    });
  }, 120_000);

  it('agrees bit for bit on a multi-task challenge of an MLP with seeds, per task and on the mean', async () => {
    const token = await client.register(stack.url, 'offline-concepts');
    const file = 'challenges/fashion-concepts/baselines/balanced.zip';
    const server = await client.settled(stack.url, token, await client.submit(stack.url, token, 'fashion-concepts', await readFile(file)));
    expect(server.status).toBe('scored');
    const devOfServer = Object.fromEntries(Object.entries(server.metrics!).filter(([name]) => /(^|\.)dev_/.test(name)));
    expect(Object.keys(devOfServer)).toEqual(expect.arrayContaining(['dev_task_mean', 'dev_task_mean_std', 'footwear.dev_f1', 'bag.dev_f1_std']));

    const offline = await run(['bin/sieve.js', 'score', '--challenge', 'fashion-concepts', file, '--json'], { ...process.env, LOG_LEVEL: 'silent' }, 60_000);
    expect(offline.code).toBe(0);
    const result = JSON.parse(offline.stdout) as { metric: string; metrics: Record<string, number> };
    expect(result.metric).toBe('dev_task_mean');
    expect(result.metrics).toStrictEqual(devOfServer);
  }, 120_000);

  it('refuses an invalid file with its line, and a challenge without a dev split', async () => {
    const bad = await run(['bin/sieve.js', 'score', '--challenge', 'fashion-selection', 'challenges/digits-selection/baselines/random.csv'], process.env, 60_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/The selection is not valid: line 2: id "d\d+" is not in the pool/);
    const noDev = await run(['bin/sieve.js', 'score', '--challenge', 'digits-selection', 'challenges/digits-selection/baselines/random.csv'], process.env, 60_000);
    expect(noDev.code).toBe(1);
    expect(noDev.stderr).toContain('declares no public dev split');
  }, 60_000);
});

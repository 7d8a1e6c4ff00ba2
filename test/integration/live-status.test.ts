import { readFile } from 'node:fs/promises';
import { serverSentEvents } from '../../src/cli/sse.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

interface Sse {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a server-sent event stream to its end, with the parser the CLI uses. */
async function readStream(res: Response): Promise<Sse[]> {
  const events: Sse[] = [];
  for await (const e of serverSentEvents(res.body as unknown as AsyncIterable<Uint8Array>)) events.push({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> });
  return events;
}

/** GET /submissions/:id/events: the ordered events of one evaluation, through the real worker. */
describe('live status of a submission', () => {
  let stack: Stack;
  let worker: RunningWorker | null = null;

  beforeAll(async () => {
    // No worker yet: the stream must open while the submission is still queued.
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      challenges: [
        {
          from: 'digits-selection',
          slug: 'live-digits',
          // A model trained once per seed, so the stream has several training steps to show.
          edit: (y) => y.replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { hidden: 16, epochs: 5, batchSize: 32 }\n  seeds: [0, 1, 2]\n'),
        },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
  }, 30_000);

  const events = (token: string | null, id: string) =>
    fetch(`${stack.url}/api/v1/submissions/${id}/events`, { headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) } });

  it('streams queued, running, each stage of the evaluation in order, then the score, and ends', async () => {
    const token = await client.register(stack.url, 'watcher');
    const id = await client.submit(stack.url, token, 'live-digits', await readFile('challenges/digits-selection/baselines/balanced.csv'));
    const res = await events(token, id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reading = readStream(res);
    worker = await startWorker(stack.config, stack.db.url, createLogger('silent', 'live-worker'));
    const got = await reading;

    expect(got[0]).toMatchObject({ event: 'status', data: { id, status: 'queued', score: null } });
    expect(got.at(-1)).toMatchObject({ event: 'status', data: { id, status: 'scored' } });
    expect((got.at(-1)!.data as { score: number }).score).toBeGreaterThan(0);
    const statuses = got.filter((e) => e.event === 'status').map((e) => e.data.status);
    expect(statuses).toEqual(['queued', 'running', 'scored']);
    const progress = got.filter((e) => e.event === 'progress').map((e) => e.data);
    expect(progress.map((p) => (p.stage === 'training' ? `training ${p.step}/${p.steps} seed ${p.seed}` : p.stage))).toEqual([
      'validating',
      'training 1/3 seed 0',
      'training 2/3 seed 1',
      'training 3/3 seed 2',
      'evaluating',
    ]);
    const percents = progress.map((p) => p.percent as number);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    // Progress comes between running and the score.
    const order = got.map((e) => (e.event === 'status' ? e.data.status : 'progress'));
    expect(order.indexOf('running')).toBeLessThan(order.indexOf('progress'));
    expect(order.lastIndexOf('progress')).toBeLessThan(order.indexOf('scored'));
  }, 90_000);

  it('answers a finished submission with its state and ends at once', async () => {
    const token = await client.register(stack.url, 'latecomer');
    const id = await client.submit(stack.url, token, 'live-digits', await readFile('challenges/digits-selection/baselines/random.csv'));
    await client.settled(stack.url, token, id);
    const got = await readStream(await events(token, id));
    expect(got).toEqual([expect.objectContaining({ event: 'status', data: expect.objectContaining({ id, status: 'scored' }) })]);
  }, 60_000);

  it('is for those who may see the submission: anyone else gets the 401 or 404 of GET /submissions/:id', async () => {
    const token = await client.register(stack.url, 'owner');
    const id = await client.submit(stack.url, token, 'live-digits', await readFile('challenges/digits-selection/baselines/random.csv'));
    expect((await events(null, id)).status).toBe(401);
    const stranger = await events(await client.register(stack.url, 'stranger'), id);
    expect(stranger.status).toBe(404);
    expect(((await stranger.json()) as { error: { code: string } }).error.code).toBe('not_found');
    await client.settled(stack.url, token, id);
  }, 60_000);
});

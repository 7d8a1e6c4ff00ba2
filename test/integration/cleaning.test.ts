import { readFile } from 'node:fs/promises';
import { createStorage } from '../../src/core/storage/create-storage.js';
import * as client from '../support/client.js';
import { countRows } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/** The cleaning protocol through the real API and worker (Redis, local files). */
describe('fashion-cleaning', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  const register = (name: string) => client.register(stack.url, name);
  const upload = (token: string, body: Buffer | string) => client.upload(stack.url, token, 'fashion-cleaning', body);
  const settled = (token: string, id: string) => client.settled(stack.url, token, id, 120_000);

  it('describes the challenge without its clean labels', async () => {
    const body = (await (await fetch(`${stack.url}/api/v1/challenges/fashion-cleaning`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ protocol: 'cleaning', metric: { name: 'fraction_of_fixes', direction: 'minimize' }, cleaning: { steps: 100, targetRatio: 0.95 } });
    expect(body.submissionFormat).toMatchObject({ header: ['id'], maxItems: 2000 });
    expect(JSON.stringify(body)).not.toContain('clean.csv');
  });

  it('scores the README baselines as the README says, and ranks lower first', async () => {
    const [a, b] = [await register('random-order'), await register('loss-order')];
    const random = (await (await upload(a, await readFile('challenges/fashion-cleaning/baselines/random.csv'))).json()) as { id: string };
    const loss = (await (await upload(b, await readFile('challenges/fashion-cleaning/baselines/loss-ranked.csv'))).json()) as { id: string };
    const r = await settled(a, random.id);
    const l = await settled(b, loss.id);
    expect(r.status).toBe('scored');
    expect(r.metric).toBe('fraction_of_fixes');
    // The README's table, measured with scikit-learn: random seed 0 → 0.38, loss-ranked → 0.34.
    expect(r.score).toBe(0.38);
    expect(l.score).toBe(0.34);
    expect(r.metrics).toMatchObject({ noisy_accuracy: 0.704, clean_accuracy: 0.799 });
    expect(r.details?.curve).toHaveLength(101);
    expect(r.details?.curve[0]).toEqual({ fixes: 0, fraction: 0, accuracy: 0.704 });
    expect(r.details?.curve[100]).toEqual({ fixes: 2000, fraction: 1, accuracy: 0.799 });
    const board = (await (await fetch(`${stack.url}/api/v1/challenges/fashion-cleaning/leaderboard`)).json()) as { direction: string; entries: { participant: string; score: number }[] };
    expect(board.direction).toBe('minimize');
    expect(board.entries.map((e) => [e.participant, e.score])).toEqual([['loss-order', 0.34], ['random-order', 0.38]]);
  }, 180_000);

  it('refuses an incomplete, duplicated or foreign order with its line, storing nothing', async () => {
    const token = await register('careless');
    const ids = (await readFile('challenges/fashion-cleaning/baselines/random.csv', 'utf8')).trim().split('\n').slice(1);
    const rows = await countRows(stack.db.url, 'submissions');
    const files = (await createStorage(stack.config.storage).list('submissions/')).length;
    const cases: [string, RegExp][] = [
      [`id\n${ids.slice(1).join('\n')}\n`, /1 of the 2000 pool ids are missing/],
      [`id\n${ids.join('\n')}\n${ids[5]}\n`, /line 2002: duplicate id/],
      [`id\nte-00001\n${ids.join('\n')}\n`, /line 2: id "te-00001" is not in the pool/],
    ];
    for (const [body, message] of cases) {
      const res = await upload(token, body);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    expect(await countRows(stack.db.url, 'submissions')).toBe(rows);
    expect(await createStorage(stack.config.storage).list('submissions/')).toHaveLength(files);
  }, 60_000);
});

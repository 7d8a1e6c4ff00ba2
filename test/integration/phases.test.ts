import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; message: string }[] };
}

/**
 * Phases and limits at intake, against the real API and database (no worker runs, so
 * accepted submissions stay queued): a submission outside an open phase is 409 with the
 * dates; over a limit it is 429 saying which and when; and only what is the participant's
 * doing counts.
 */
describe('phases and submission limits', () => {
  let stack: Stack;
  let challenges: string;
  let token: string;
  const random = readFile('challenges/digits-selection/baselines/random.csv');
  const bundle = (slug: string, phases: string, limits = 'maxFileBytes: 1048576') =>
    copyChallenge(challenges, 'digits-selection', slug, (yaml) => `${yaml.replace(/^limits: .*$/m, `limits: { ${limits} }`)}\n${phases}`);
  const status = (id: string) => fetch(`${stack.url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ status: string; phase: string; error: { code: string } | null }>);
  const cancel = (id: string, as = token) => fetch(`${stack.url}/api/v1/submissions/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${as}` } });

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-phases-'));
    await bundle(
      'phased',
      [
        'phases:',
        '  - { name: warmup, opens: "2020-01-01T00:00:00Z", closes: "2020-02-01T00:00:00Z" }',
        '  - { name: development, title: Development, opens: "2020-03-01T00:00:00Z", closes: "2099-01-01T00:00:00Z", limits: { concurrent: 1 } }',
        '  - { name: final, opens: "2099-02-01T00:00:00Z", closes: "2099-03-01T00:00:00Z", limits: { perDay: 1, total: 2 } }',
        '',
      ].join('\n'),
      'maxFileBytes: 1048576, perDay: 3',
    );
    await bundle('ended', 'phases:\n  - { name: only, opens: "2020-01-01T00:00:00Z", closes: "2020-06-01T00:00:00Z" }\n');
    await bundle('upcoming', 'phases:\n  - { name: soon, opens: "2099-01-01T00:00:00Z" }\n');
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: false, env: { CHALLENGES_DIR: challenges } });
    token = await client.register(stack.url, 'phaser');
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('shows every phase with its dates and limits, and the one open now', async () => {
    const page = (await (await fetch(`${stack.url}/api/v1/challenges/phased`)).json()) as { phases: unknown[]; currentPhase: string };
    expect(page.currentPhase).toBe('development');
    expect(page.phases).toEqual([
      { name: 'warmup', title: 'warmup', opens: '2020-01-01T00:00:00.000Z', closes: '2020-02-01T00:00:00.000Z', limits: { perDay: 3 } },
      { name: 'development', title: 'Development', opens: '2020-03-01T00:00:00.000Z', closes: '2099-01-01T00:00:00.000Z', limits: { perDay: 3, concurrent: 1 } },
      { name: 'final', title: 'final', opens: '2099-02-01T00:00:00.000Z', closes: '2099-03-01T00:00:00.000Z', limits: { perDay: 1, total: 2 } },
    ]);
  });

  it.each([
    ['ended', 'no longer takes submissions', '2020-06-01T00:00:00.000Z'],
    ['upcoming', 'does not take submissions yet', '2099-01-01T00:00:00.000Z'],
  ])('refuses a submission to %s with 409 and the phase dates, storing nothing', async (slug, words, date) => {
    const res = await client.upload(stack.url, token, slug, await random);
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('phase_closed');
    expect(body.error.message).toContain(words);
    expect(body.error.message).toContain(date);
    const mine = (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/submissions`, { headers: { authorization: `Bearer ${token}` } })).json()) as unknown[];
    expect(mine).toEqual([]);
  });

  it('counts only what is the participant’s doing, and says which limit and when the next submission is allowed', async () => {
    const repo = stack.api.get(SubmissionsRepository);
    // Refused at validation: never counts.
    expect((await client.upload(stack.url, token, 'phased', 'id\nnot-an-id\n')).status).toBe(422);

    // concurrent: 1 — a second one while the first is queued is refused.
    const first = await client.submit(stack.url, token, 'phased', await random);
    expect((await status(first)).phase).toBe('development');
    const busy = await client.upload(stack.url, token, 'phased', await random);
    expect(busy.status).toBe(429);
    expect(((await busy.json()) as ErrorBody).error).toMatchObject({ code: 'limit_reached', details: [{ field: 'limits.concurrent' }] });

    // Cancelled by its owner: not counted, and the slot is free again.
    const cancelled = await cancel(first);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect((await cancel(first)).status).toBe(409);

    // Our failure (internal): not counted.
    const second = await client.submit(stack.url, token, 'phased', await random);
    await repo.markFailed(second, 'internal', 'worker lost');

    // The participant's own failures (invalid at evaluation) count: with perDay 3, two of them and one queued fill the day.
    const third = await client.submit(stack.url, token, 'phased', await random);
    await repo.markFailed(third, 'invalid_submission', 'bad');
    const fourth = await client.submit(stack.url, token, 'phased', await random);
    await repo.markFailed(fourth, 'invalid_submission', 'bad');
    await client.submit(stack.url, token, 'phased', await random);

    const full = await client.upload(stack.url, token, 'phased', await random);
    expect(full.status).toBe(429);
    const error = ((await full.json()) as ErrorBody).error;
    expect(error.code).toBe('limit_reached');
    expect(error.details[0].field).toBe('limits.perDay');
    const thirdMade = (await repo.findById(third))!.createdAt;
    const nextAllowed = new Date(thirdMade.getTime() + 24 * 3600_000).toISOString();
    expect(error.message).toContain(nextAllowed);
    expect(error.details[0].message).toBe(`next allowed at ${nextAllowed}`);
  });

  it('lets nobody else cancel a submission, and a worker writes no score for a cancelled one', async () => {
    const other = await client.register(stack.url, 'other-phaser');
    const repo = stack.api.get(SubmissionsRepository);
    const [mine] = (await (await fetch(`${stack.url}/api/v1/challenges/phased/submissions`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string }[];
    expect((await cancel(mine.id, other)).status).toBe(404);

    const running = await repo.markRunning(mine.id, 'worker-test', 60_000, 5);
    expect(running?.status).toBe('running');
    expect((await cancel(mine.id)).status).toBe(200);
    const scored = await repo.recordScore(running!, { metric: 'macro_f1', value: 0.9, metrics: { macro_f1: 0.9 }, details: null, trainerName: 'logreg', trainerVersion: '1' });
    expect(scored).toBe(false);
    expect(await repo.findScore(mine.id, running!.challengeVersion)).toBeNull();
    expect((await status(mine.id)).status).toBe('failed');
  });
});

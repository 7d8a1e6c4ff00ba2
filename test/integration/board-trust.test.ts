import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyChallenge } from '../support/bundles.js';
import { DataSource } from 'typeorm';
import { intervalOf } from '../../src/modules/leaderboards/statistics.js';
import { decodeResampled } from '../../src/modules/submissions/score-predictions.entity.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

interface Board {
  ladder: boolean;
  entries: { rank: number; participant: string; score: number; tieGroup: number | null; rankRange: [number, number] | null; submissionId: string }[];
}

/**
 * Tie groups from paired bootstraps over the stored test predictions, and the Ladder on
 * the public board: a resubmission that is no better by more than a standard error does
 * not move the board.
 */
describe('a board people can trust: tie groups and the Ladder', () => {
  let stack: Stack;
  let challenges: string;
  const slug = 'ladder-digits';
  const board = async () => (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/leaderboard`)).json()) as Board;

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-ladder-'));
    await copyChallenge(challenges, 'digits-selection', slug, (yaml) => `${yaml}\nleaderboard: { ladder: true, precision: 0.001 }\n`);
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges } });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('groups entries that are not significantly apart, and keeps a clearly weaker one out', async () => {
    const [ada, bob, cy, dee] = await Promise.all(['ada', 'bob', 'cy', 'dee'].map((n) => client.register(stack.url, n)));
    const balanced = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const random = await readFile('challenges/digits-selection/baselines/random.csv');
    const pool = (await (await client.download(stack.url, ada, slug, 'pool')).text()).trim().split('\n').slice(1).map((l) => l.split(','));
    const weak = `id\n${pool.filter((r) => r[1] === '0').slice(0, 10).map((r) => r[0]).join('\n')}\n${pool.filter((r) => r[1] === '1').slice(0, 10).map((r) => r[0]).join('\n')}\n`;
    for (const [token, file] of [[ada, balanced], [bob, random], [cy, random], [dee, weak]] as const) {
      expect((await client.settled(stack.url, token, await client.submit(stack.url, token, slug, file))).status).toBe('scored');
    }
    const b = await board();
    const of = (name: string) => b.entries.find((e) => e.participant === name)!;
    // The worker stored each score's resampled values: the board compares those, and the score's interval is their percentiles.
    const [row] = (await stack.api.get(DataSource).query(
      `SELECT s.metrics, p.resampled_all, p.resample_count FROM scores s JOIN score_predictions p ON p.score_id = s.id WHERE s.submission_id = $1`,
      [of('ada').submissionId],
    )) as { metrics: Record<string, number>; resampled_all: Buffer; resample_count: number }[];
    expect(row.resample_count).toBe(1000);
    const ci = intervalOf(decodeResampled(row.resampled_all));
    expect([ci.low, ci.high]).toEqual([row.metrics.macro_f1_ci_low, row.metrics.macro_f1_ci_high]);
    // bob and cy submitted the same file: the same predictions, never significantly apart.
    expect(of('bob').tieGroup).toBe(of('cy').tieGroup);
    expect(of('bob').rankRange).toEqual(of('cy').rankRange);
    expect(of('bob').rankRange![1] - of('bob').rankRange![0]).toBeGreaterThanOrEqual(1);
    // Two classes out of ten is far behind everyone.
    expect(of('dee').rank).toBe(4);
    expect(of('dee').tieGroup).toBeGreaterThan(of('bob').tieGroup!);
    expect(of('dee').rankRange).toEqual([4, 4]);
    for (const e of b.entries) expect(e.rankRange![0]).toBeLessThanOrEqual(e.rank);
  }, 120_000);

  it('releases a resubmission only when it is better by more than one standard error', async () => {
    const eve = await client.register(stack.url, 'eve');
    const random = await readFile('challenges/digits-selection/baselines/random.csv');
    const balanced = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const first = await client.settled(stack.url, eve, await client.submit(stack.url, eve, slug, random));
    const released = (await board()).entries.find((e) => e.participant === 'eve')!;
    expect(released).toMatchObject({ submissionId: first.id, score: Math.round(first.score! * 1000) / 1000 });

    // The same file again: no gain at all, so the board repeats the first release.
    await client.settled(stack.url, eve, await client.submit(stack.url, eve, slug, random));
    const again = (await board()).entries.find((e) => e.participant === 'eve')!;
    expect(again).toMatchObject({ submissionId: first.id, score: released.score });

    // The balanced selection: a clear gain, released.
    const better = await client.settled(stack.url, eve, await client.submit(stack.url, eve, slug, balanced));
    expect(better.score!).toBeGreaterThan(first.score!);
    const after = await board();
    expect(after.ladder).toBe(true);
    expect(after.entries.find((e) => e.participant === 'eve')).toMatchObject({ submissionId: better.id, score: Math.round(better.score! * 1000) / 1000 });
  }, 120_000);
});

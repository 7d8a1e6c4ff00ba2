import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

interface View {
  id: string;
  status: string;
  score: number | null;
  metric: string | null;
  metrics: Record<string, number> | null;
  revealed: boolean | null;
  revealsAt: string | null;
}
interface Board {
  phase: string;
  split: string | null;
  entries: { rank: number; participant: string; score: number; ci: { low: number; high: number } | null; submissionId: string }[];
}

/**
 * A public/private split of the hidden test set: during the phase, nothing but the public
 * part (and public dev data) of a score is shown anywhere; when the phase closes, the
 * private board ranks each participant's final picks.
 */
describe('the public/private split', () => {
  let stack: Stack;
  let challenges: string;
  const slug = 'split-digits';
  const closes = new Date(Date.now() + 25_000);
  closes.setMilliseconds(0);
  const headers = (token: string) => ({ authorization: `Bearer ${token}` });
  const view = async (token: string, id: string) => (await (await fetch(`${stack.url}/api/v1/submissions/${id}`, { headers: headers(token) })).json()) as View;
  const board = (query = '') => fetch(`${stack.url}/api/v1/challenges/${slug}/leaderboard${query}`);
  const pick = (token: string, submissionIds: string[]) =>
    fetch(`${stack.url}/api/v1/challenges/${slug}/final-submissions`, {
      method: 'PUT',
      headers: { ...headers(token), 'content-type': 'application/json' },
      body: JSON.stringify({ submissionIds }),
    });

  let ada: string;
  let bob: string;
  let adaBalanced: View;
  let adaRandom: View;
  let bobRandom: View;

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-split-'));
    await copyChallenge(
      challenges,
      'digits-selection',
      slug,
      (yaml) =>
        `${yaml}\nleaderboard: { split: { publicFraction: 0.5, seed: 1 }, finalSubmissions: 1 }\n` +
        `phases:\n  - { name: main, opens: "2020-01-01T00:00:00Z", closes: "${closes.toISOString()}" }\n`,
    );
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges } });
    ada = await client.register(stack.url, 'ada');
    bob = await client.register(stack.url, 'bob');
    const balanced = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const random = await readFile('challenges/digits-selection/baselines/random.csv');
    const ids = [
      await client.submit(stack.url, ada, slug, balanced),
      await client.submit(stack.url, ada, slug, random),
      await client.submit(stack.url, bob, slug, random),
    ];
    await Promise.all(ids.map((id, i) => client.settled(stack.url, i < 2 ? ada : bob, id)));
    [adaBalanced, adaRandom, bobRandom] = await Promise.all(ids.map((id, i) => view(i < 2 ? ada : bob, id)));
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('shows only the public part of a score while the phase is open, and says when the rest comes', () => {
    for (const s of [adaBalanced, adaRandom, bobRandom]) {
      expect(s).toMatchObject({ status: 'scored', metric: 'public_macro_f1', revealed: false, revealsAt: closes.toISOString() });
      expect(Object.keys(s.metrics!).sort()).toEqual(['public_macro_f1', 'public_macro_f1_ci_high', 'public_macro_f1_ci_low']);
      expect(s.score).toBe(s.metrics!.public_macro_f1);
    }
  });

  it('leaks nothing private before the close, on any endpoint that shows scores', async () => {
    const repo = stack.api.get(SubmissionsRepository);
    const hidden: string[] = [];
    for (const s of [adaBalanced, adaRandom, bobRandom]) {
      const score = (await repo.findScore(s.id, 1))!;
      for (const name of ['macro_f1', 'accuracy', 'private_macro_f1', 'private_macro_f1_ci_low', 'private_macro_f1_ci_high', 'macro_f1_ci_low', 'macro_f1_ci_high']) {
        hidden.push(JSON.stringify(score.metrics[name]));
      }
    }
    const probes: [string, string][] = [
      [`/api/v1/submissions/${adaRandom.id}`, ada],
      [`/api/v1/submissions/${bobRandom.id}`, bob],
      [`/api/v1/challenges/${slug}/submissions`, ada],
      [`/api/v1/challenges/${slug}/submissions`, bob],
      [`/api/v1/challenges/${slug}/leaderboard`, ada],
      [`/api/v1/challenges/${slug}/leaderboard?split=public`, ada],
      [`/api/v1/challenges/${slug}/leaderboard?version=1&phase=main`, ada],
      [`/api/v1/challenges/${slug}/leaderboard?split=private`, ada],
      [`/api/v1/challenges/${slug}`, ada],
      [`/api/v1/challenges`, ada],
    ];
    for (const [path, token] of probes) {
      const text = await (await fetch(`${stack.url}${path}`, { headers: headers(token) })).text();
      expect({ path, private: text.includes('private_') }).toEqual({ path, private: false });
      expect({ path, wholeTestKey: text.includes('"macro_f1":') || text.includes('"accuracy":') }).toEqual({ path, wholeTestKey: false });
      const numbers = new Set(text.match(/-?\d+(\.\d+)?(e-?\d+)?/g));
      for (const value of hidden) expect({ path, leaks: numbers.has(value) ? value : null }).toEqual({ path, leaks: null });
    }
  });

  it('ranks the public part on the board, and refuses the private board before the close', async () => {
    const res = await board();
    const b = (await res.json()) as Board;
    expect(b).toMatchObject({ phase: 'main', split: 'public' });
    const adaBest = Math.max(adaBalanced.score!, adaRandom.score!);
    expect(b.entries.map((e) => [e.participant, e.score]).sort()).toEqual([
      ['ada', adaBest],
      ['bob', bobRandom.score],
    ]);
    const early = await board('?split=private');
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'not_revealed', message: expect.stringContaining(closes.toISOString()) });
    expect((await board('?split=everything')).status).toBe(400);
    expect((await board('?phase=nope')).status).toBe(404);
  });

  it('lets a participant pick final submissions of their own, within the limit', async () => {
    expect((await pick(ada, [adaBalanced.id, adaRandom.id])).status).toBe(422);
    expect((await pick(ada, [bobRandom.id])).status).toBe(404);
    const res = await pick(ada, [adaRandom.id]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: slug, phase: 'main', limit: 1, submissionIds: [adaRandom.id] });
  });

  it('reveals everything when the phase closes, and ranks the final picks (or the best public one) on the private board', async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, closes.getTime() - Date.now() + 500)));
    const revealed = await view(ada, adaRandom.id);
    expect(revealed).toMatchObject({ revealed: true, revealsAt: null, metric: 'macro_f1' });
    expect(Object.keys(revealed.metrics!)).toEqual(expect.arrayContaining(['macro_f1', 'accuracy', 'public_macro_f1', 'private_macro_f1', 'private_macro_f1_ci_low']));

    const b = (await (await board()).json()) as Board;
    expect(b.split).toBe('private');
    const bobs = await view(bob, bobRandom.id);
    expect(b.entries.map((e) => [e.participant, e.submissionId, e.score]).sort()).toEqual([
      ['ada', adaRandom.id, revealed.metrics!.private_macro_f1], // her pick, not her best public submission
      ['bob', bobRandom.id, bobs.metrics!.private_macro_f1],
    ]);
    expect(((await (await board('?split=public')).json()) as Board).split).toBe('public');
    expect((await pick(ada, [adaBalanced.id])).status).toBe(409);
  }, 60_000);
});

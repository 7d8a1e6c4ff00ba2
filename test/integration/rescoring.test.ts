import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishAll } from '../../src/cli/publish.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { copyChallenge } from '../support/bundles.js';
import type { RescoreProgress } from '../../src/modules/rescoring/rescores.repository.js';
import * as client from '../support/client.js';
import { waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

type Progress = RescoreProgress;

/**
 * A new challenge version (here: another regularization strength) re-scores submissions
 * in the background through the same queue; every score keeps the version it was
 * computed under, and the board shows one version at a time.
 */
describe('rescoring under a new version', () => {
  let stack: Stack;
  let challenges: string;
  let admin: string;
  const slug = 'rescored-digits';
  const yamlPath = () => join(challenges, slug, 'challenge.yaml');
  const rescores = (token: string, body: unknown) =>
    fetch(`${stack.url}/api/v1/challenges/${slug}/rescores`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const progress = async (id: string) => (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/rescores/${id}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Progress;

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-rescore-'));
    await copyChallenge(challenges, 'digits-selection', slug);
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { CHALLENGES_DIR: challenges } });
    admin = (await stack.api.get(AccountsService).create('rescorer', 'admin')).token;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  it('rescores every scored submission under version 2, keeps version 1 as it was, and shows progress', async () => {
    const [ann, ben] = [await client.register(stack.url, 'ann'), await client.register(stack.url, 'ben')];
    const ids = [
      await client.submit(stack.url, ann, slug, await readFile('challenges/digits-selection/baselines/balanced.csv')),
      await client.submit(stack.url, ben, slug, await readFile('challenges/digits-selection/baselines/random.csv')),
    ];
    const v1 = [await client.settled(stack.url, ann, ids[0]), await client.settled(stack.url, ben, ids[1])];
    expect(v1.map((s) => s.status)).toEqual(['scored', 'scored']);

    // Version 2: a weaker regularization. Publishing it changes nothing of the scores made.
    await writeFile(yamlPath(), (await readFile(yamlPath(), 'utf8')).replace(/^version: 1$/m, 'version: 2').replace('C: 1.0', 'C: 0.05'));
    const report = await publishAll(stack.config, stack.api, createLogger('silent', 'test'));
    expect(report).toMatchObject({ errors: [], published: [expect.objectContaining({ slug, version: 2, outcome: 'new_version' })] });
    expect((await client.leaderboard(stack.url, slug)).entries).toEqual([]);

    expect((await rescores(ann, {})).status).toBe(403);
    expect((await rescores(admin, { version: 9 })).status).toBe(404);
    expect((await rescores(admin, { submissionIds: ['nope'] })).status).toBe(400);
    const started = await rescores(admin, {});
    expect(started.status).toBe(202);
    const run = (await started.json()) as Progress;
    expect(run).toMatchObject({ version: 2, total: 2 });
    const done = await waitUntil(async () => {
      const p = await progress(run.id);
      return p.done ? p : undefined;
    }, 60_000, 'the rescore run');
    expect(done).toMatchObject({ total: 2, scored: 2, failed: 0, queued: 0, running: 0 });

    // A second run finds nothing left to do under version 2.
    expect(((await (await rescores(admin, {})).json()) as Progress).total).toBe(0);

    const board2 = await client.leaderboard(stack.url, slug);
    const board1 = (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/leaderboard?version=1`)).json()) as client.Board & { version: number };
    expect((board2 as client.Board & { version: number }).version).toBe(2);
    expect(board1.version).toBe(1);
    const scoreOf = (b: client.Board, id: string) => b.entries.find((e) => e.submissionId === id)!.score;
    for (const [i, id] of ids.entries()) {
      expect(scoreOf(board1, id)).toBe(v1[i].score);
      expect(scoreOf(board2, id)).not.toBe(v1[i].score);
    }
    // The submission itself still reports the score of the version it was made under.
    expect((await client.settled(stack.url, ann, ids[0])).score).toBe(v1[0].score);
  }, 120_000);

  it('adds a round: a new hidden test set rescores the final submissions at once, and the board compares the rounds', async () => {
    // A shifted round: the test images brighter by 4 (of 16), saturating.
    const [header, ...rows] = gunzipSync(await readFile(join(challenges, slug, 'test.csv.gz'))).toString('utf8').trim().split('\n');
    const shifted = rows.map((row) => {
      const [id, label, ...pixels] = row.split(',');
      return [`shifted-${id}`, label, ...pixels.map((p) => String(Math.min(16, Number(p) + 4)))].join(',');
    });
    await writeFile(join(challenges, slug, 'test-shifted.csv'), `${header}\n${shifted.join('\n')}\n`);
    await writeFile(yamlPath(), `${(await readFile(yamlPath(), 'utf8')).replace(/^version: 2$/m, 'version: 3')}\nrounds:\n  - { name: shifted, title: Brighter images, test: test-shifted.csv }\n`);

    const report = await publishAll(stack.config, stack.api, createLogger('silent', 'test'));
    expect(report.errors).toEqual([]);
    expect(report.rescores).toEqual([expect.objectContaining({ slug, version: 3, reason: 'round', total: 2 })]);
    const done = await waitUntil(async () => {
      const p = await progress(report.rescores[0].id);
      return p.done ? p : undefined;
    }, 60_000, 'the round rescore');
    expect(done).toMatchObject({ scored: 2, failed: 0 });

    const board = (await client.leaderboard(stack.url, slug)) as client.Board & {
      version: number;
      rounds: { name: string }[];
      entries: { rounds: Record<string, number | null>; consistency: { change: number | null; worst: number | null; complete: boolean } }[];
    };
    expect(board.version).toBe(3);
    expect(board.rounds.map((r) => r.name)).toEqual(['main', 'shifted']);
    expect(board.entries).toHaveLength(2);
    for (const e of board.entries) {
      expect(e.rounds.main).toBe(e.score);
      expect(e.rounds.shifted).toEqual(expect.any(Number));
      expect(e.consistency.change).toBeCloseTo(e.rounds.shifted! - e.rounds.main!, 12);
      expect(e.consistency.worst).toBe(Math.min(e.rounds.main!, e.rounds.shifted!));
      expect(e.consistency.complete).toBe(true);
    }
    const runs = (await (await fetch(`${stack.url}/api/v1/challenges/${slug}/rescores`, { headers: { authorization: `Bearer ${admin}` } })).json()) as Progress[];
    expect(runs.map((r) => r.version)).toEqual([3, 2, 2]);
  }, 120_000);
});

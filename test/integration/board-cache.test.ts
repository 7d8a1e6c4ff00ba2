import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createApi } from '../../src/api.js';
import { publishAll } from '../../src/cli/publish.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { LeaderboardsRepository } from '../../src/modules/leaderboards/leaderboards.repository.js';
import { insertScore, SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

interface Board {
  version: number;
  phase: string;
  split: string | null;
  entries: { rank: number; participant: string; team: boolean; score: number; submissionId: string }[];
}

const PLAIN = 'cache-plain';
const SPLIT = 'cache-split';
const VERSIONED = 'cache-versioned';

/**
 * The board cache never serves a board that something it is computed from has changed
 * since: a new score, a disqualification, a team, a new version and its scores, a final
 * pick, a schedule edit, a challenge back in draft, or only time (a phase closing reveals
 * the private board). Every change is made after the board was read (and so cached), by
 * another API process than the one read afterwards where it can be, or in SQL as a worker
 * would; each test fails when the cache keeps the board it had.
 */
describe('the board cache', () => {
  let stack: Stack;
  /** A second API process on the same database, with a cache of its own. */
  let other: INestApplication;
  let otherUrl: string;
  let admin: string;
  const people = new Map<string, { id: string; token: string }>();

  const call = async (url: string, method: string, path: string, token: string | null, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const board = async (url: string, slug: string, query = '', token: string | null = null) => {
    const res = await call(url, 'GET', `/challenges/${slug}/leaderboard${query}`, token);
    if (res.status !== 200) throw new Error(`board of ${slug}${query}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as Board;
  };
  const ranking = (b: Board) => b.entries.map((e) => [e.participant, e.score]);
  const generation = async (slug: string) =>
    (await stack.sql<{ g: string }>('SELECT COALESCE(g.generation, 0)::text AS g FROM challenges c LEFT JOIN leaderboard_generations g ON g.challenge_id = c.id WHERE c.slug = $1', [slug]))[0].g;

  /** A participant who joined `slug` (registered on first use). */
  const person = async (name: string, slug: string) => {
    let p = people.get(name);
    if (!p) {
      const created = await stack.api.get(AccountsService).create(name, 'participant');
      p = { id: (await stack.sql<{ id: string }>('SELECT id FROM accounts WHERE name = $1', [name]))[0].id, token: created.token };
      people.set(name, p);
    }
    await client.join(stack.url, p.token, slug);
    return p;
  };

  /** A submission scored the way a worker scores it (SubmissionsRepository.recordScore), with no training. */
  const scored = async (slug: string, name: string, metrics: Record<string, number>, phase = 'open') => {
    const { id: accountId } = await person(name, slug);
    const [c] = await stack.sql<{ id: string; current_version: number }>('SELECT id, current_version FROM challenges WHERE slug = $1', [slug]);
    const [team] = await stack.sql<{ team_id: string | null }>('SELECT team_id FROM challenge_participants WHERE challenge_id = $1 AND account_id = $2', [c.id, accountId]);
    const repo = stack.api.get(SubmissionsRepository);
    const id = randomUUID();
    await repo.insert({
      id,
      challengeId: c.id,
      challengeVersion: c.current_version,
      accountId,
      teamId: team?.team_id ?? null,
      status: 'running',
      dryRun: false,
      queue: 'evaluate-cpu',
      phase,
      fileKey: `test/${id}.csv`,
      fileBytes: 10,
      fileSha256: '0'.repeat(64),
      itemCount: 1,
    });
    expect(await repo.recordScore((await repo.findById(id))!, { metric: 'macro_f1', value: metrics.macro_f1, metrics, details: null, trainerName: 'logreg', trainerVersion: '1' })).toBe(true);
    return id;
  };

  beforeAll(async () => {
    const phases = 'phases:\n  - { name: main, opens: "2020-01-01T00:00:00Z", closes: "2099-01-01T00:00:00Z" }\n';
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      challenges: [
        { from: 'digits-selection', slug: PLAIN },
        { from: 'digits-selection', slug: VERSIONED },
        { from: 'digits-selection', slug: SPLIT, edit: (yaml) => `${yaml}\nleaderboard: { split: { publicFraction: 0.5, seed: 1 }, finalSubmissions: 1 }\n${phases}` },
      ],
    });
    admin = (await stack.api.get(AccountsService).create('cache-admin', 'admin')).token;
    other = await createApi(stack.config, stack.db.url, createLogger('silent', 'test'));
    await other.listen(0, '127.0.0.1');
    otherUrl = (await other.getUrl()).replace('[::1]', '127.0.0.1');
  }, 120_000);

  afterAll(async () => {
    await other?.close();
    await stack?.stop();
  }, 30_000);

  it('computes a board once while nothing changes, and shows a new score at once in every API process', async () => {
    const rows = jest.spyOn(stack.api.get(LeaderboardsRepository), 'scoredInPhase');
    expect((await board(stack.url, PLAIN)).entries).toEqual([]);
    expect((await board(stack.url, PLAIN)).entries).toEqual([]);
    expect((await board(otherUrl, PLAIN)).entries).toEqual([]);
    // Three reads, one computation in this process (the other process has a cache of its own).
    expect(rows).toHaveBeenCalledTimes(1);
    rows.mockRestore();

    await scored(PLAIN, 'ann', { macro_f1: 0.5 });
    expect(ranking(await board(stack.url, PLAIN))).toEqual([['ann', 0.5]]);
    expect(ranking(await board(otherUrl, PLAIN))).toEqual([['ann', 0.5]]);
    await scored(PLAIN, 'bob', { macro_f1: 0.7 });
    expect(ranking(await board(otherUrl, PLAIN))).toEqual([['bob', 0.7], ['ann', 0.5]]);
    await scored(PLAIN, 'ann', { macro_f1: 0.9 });
    expect(ranking(await board(stack.url, PLAIN))).toEqual([['ann', 0.9], ['bob', 0.7]]);
    expect(ranking(await board(otherUrl, PLAIN))).toEqual([['ann', 0.9], ['bob', 0.7]]);
    // Another query of the same challenge is another board, kept apart and just as fresh.
    expect(ranking(await board(otherUrl, PLAIN, '?phase=open&version=1'))).toEqual([['ann', 0.9], ['bob', 0.7]]);
  });

  it('gives each board an ETag, answers a poller 304 while the board stays, and the new board once it changes', async () => {
    const path = `${otherUrl}/api/v1/challenges/${PLAIN}/leaderboard`;
    const first = await fetch(path);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(await first.json()).toEqual(await board(stack.url, PLAIN));
    // A Cache-Control of our own: fetch adds `no-cache` to a conditional request, which asks the server for a full answer.
    const conditional = { 'if-none-match': etag, 'cache-control': 'max-age=0' };
    expect((await fetch(path, { headers: conditional })).status).toBe(304);
    await scored(PLAIN, 'eve', { macro_f1: 0.1 });
    const changed = await fetch(path, { headers: conditional });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(ranking((await changed.json()) as Board)).toEqual([['ann', 0.9], ['bob', 0.7], ['eve', 0.1]]);
  });

  it('drops a disqualified submission, then a disqualified participant, from the board of every process', async () => {
    const best = (await board(stack.url, PLAIN)).entries[0];
    expect(best).toMatchObject({ participant: 'ann', score: 0.9 });
    await board(otherUrl, PLAIN);
    const dq = await call(otherUrl, 'POST', `/submissions/${best.submissionId}/disqualify`, admin, { reason: 'used the test labels' });
    expect(dq.status).toBe(200);
    expect(ranking(await board(stack.url, PLAIN))).toEqual([['bob', 0.7], ['ann', 0.5], ['eve', 0.1]]);
    expect(ranking(await board(otherUrl, PLAIN))).toEqual([['bob', 0.7], ['ann', 0.5], ['eve', 0.1]]);

    expect((await call(stack.url, 'POST', `/challenges/${PLAIN}/disqualifications`, admin, { participant: 'bob', reason: 'two accounts' })).status).toBe(201);
    expect(ranking(await board(otherUrl, PLAIN))).toEqual([['ann', 0.5], ['eve', 0.1]]);
    expect(ranking(await board(stack.url, PLAIN))).toEqual([['ann', 0.5], ['eve', 0.1]]);
  });

  it("shows a participant's entry under their team's name once they form one", async () => {
    expect((await board(otherUrl, PLAIN)).entries[0]).toMatchObject({ participant: 'ann', team: false });
    const created = await call(stack.url, 'POST', `/challenges/${PLAIN}/teams`, people.get('ann')!.token, { name: 'Tigers' });
    expect(created.status).toBe(201);
    expect((await board(otherUrl, PLAIN)).entries).toEqual([expect.objectContaining({ participant: 'Tigers', team: true, score: 0.5 }), expect.objectContaining({ participant: 'eve', team: false })]);
  });

  it("hides a board again as soon as its challenge goes back to draft, from anyone but its organizers", async () => {
    expect((await call(otherUrl, 'GET', `/challenges/${PLAIN}/leaderboard`, null)).status).toBe(200);
    await stack.sql(`UPDATE challenges SET status = 'draft' WHERE slug = $1`, [PLAIN]);
    try {
      expect((await call(otherUrl, 'GET', `/challenges/${PLAIN}/leaderboard`, null)).status).toBe(404);
      expect((await call(otherUrl, 'GET', `/challenges/${PLAIN}/leaderboard`, people.get('ann')!.token)).status).toBe(404);
      expect(ranking(await board(otherUrl, PLAIN, '', admin))).toEqual([['Tigers', 0.5], ['eve', 0.1]]);
    } finally {
      await stack.sql(`UPDATE challenges SET status = 'open' WHERE slug = $1`, [PLAIN]);
    }
    expect((await call(otherUrl, 'GET', `/challenges/${PLAIN}/leaderboard`, null)).status).toBe(200);
  });

  it("shows a new version's board when it is published and its rescores as they land, and keeps the old version's", async () => {
    const first = await scored(VERSIONED, 'cid', { macro_f1: 0.6 });
    await scored(VERSIONED, 'dee', { macro_f1: 0.4 });
    expect(await board(otherUrl, VERSIONED)).toMatchObject({ version: 1, entries: [{ participant: 'cid', score: 0.6 }, { participant: 'dee', score: 0.4 }] });

    const yaml = join(stack.challengesDir, VERSIONED, 'challenge.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/^version: 1$/m, 'version: 2').replace('C: 1.0', 'C: 0.05'));
    const report = await publishAll(stack.config, stack.api, createLogger('silent', 'test'));
    expect(report.published).toEqual(expect.arrayContaining([expect.objectContaining({ slug: VERSIONED, version: 2, outcome: 'new_version' })]));
    expect(await board(otherUrl, VERSIONED)).toMatchObject({ version: 2, entries: [] });

    // A rescore writes the submission's score under version 2 (as RescoresRepository.recordScore does).
    const submission = (await stack.api.get(SubmissionsRepository).findById(first))!;
    const metrics = { macro_f1: 0.65 };
    await stack.api.get(DataSource).transaction((em) => insertScore(em, submission, 2, { metric: 'macro_f1', value: 0.65, metrics, details: null, trainerName: 'logreg', trainerVersion: '1' }));
    expect(await board(otherUrl, VERSIONED)).toMatchObject({ version: 2, entries: [{ participant: 'cid', score: 0.65 }] });
    expect(await board(stack.url, VERSIONED, '?version=1')).toMatchObject({ version: 1, entries: [{ score: 0.6 }, { score: 0.4 }] });
  });

  it('reveals the private board when the phase closes, with nothing written, then follows final picks and schedule edits', async () => {
    const ann = await scored(SPLIT, 'ann', { macro_f1: 0.7, public_macro_f1: 0.9, private_macro_f1: 0.5 }, 'main');
    const ann2 = await scored(SPLIT, 'ann', { macro_f1: 0.8, public_macro_f1: 0.7, private_macro_f1: 0.95 }, 'main');
    await scored(SPLIT, 'bob', { macro_f1: 0.7, public_macro_f1: 0.6, private_macro_f1: 0.8 }, 'main');
    // Close the phase in two seconds (a write: before the board is read).
    const closes = new Date(Date.now() + 2_000);
    await stack.sql(`UPDATE challenge_versions v SET spec = jsonb_set(v.spec, '{phases,0,closes}', to_jsonb($2::text)) FROM challenges c WHERE c.id = v.challenge_id AND c.slug = $1`, [SPLIT, closes.toISOString()]);

    for (const url of [stack.url, otherUrl]) {
      const open = await board(url, SPLIT);
      expect(open).toMatchObject({ phase: 'main', split: 'public' });
      expect(ranking(open)).toEqual([['ann', 0.9], ['bob', 0.6]]);
      expect(ranking(await board(url, SPLIT, '?phase=main'))).toEqual([['ann', 0.9], ['bob', 0.6]]);
      expect((await call(url, 'GET', `/challenges/${SPLIT}/leaderboard?split=private`, null)).status).toBe(409);
    }
    const before = await generation(SPLIT);

    await new Promise((r) => setTimeout(r, Math.max(0, closes.getTime() - Date.now()) + 50));
    expect(await generation(SPLIT)).toBe(before);
    for (const url of [stack.url, otherUrl]) {
      const revealed = await board(url, SPLIT);
      expect(revealed).toMatchObject({ phase: 'main', split: 'private' });
      // Each participant's best public pick competes: ann's first submission.
      expect(ranking(revealed)).toEqual([['bob', 0.8], ['ann', 0.5]]);
      expect(ranking(await board(url, SPLIT, '?phase=main'))).toEqual([['bob', 0.8], ['ann', 0.5]]);
      expect(ranking(await board(url, SPLIT, '?split=public'))).toEqual([['ann', 0.9], ['bob', 0.6]]);
    }

    // A final pick (as another process's SQL would make it) changes the private ranking.
    await stack.sql('UPDATE submissions SET final = (id = $1) WHERE id = ANY($2)', [ann2, [ann, ann2]]);
    expect(ranking(await board(otherUrl, SPLIT))).toEqual([['ann', 0.95], ['bob', 0.8]]);

    // Reopened by a schedule edit: the public board again, at once.
    const reopened = await call(stack.url, 'PATCH', `/challenges/${SPLIT}`, admin, { phases: [{ name: 'main', opens: '2020-01-01T00:00:00Z', closes: '2099-01-01T00:00:00Z' }] });
    expect(reopened.status).toBe(200);
    expect(await board(otherUrl, SPLIT)).toMatchObject({ split: 'public', entries: [{ participant: 'ann', score: 0.9 }, { participant: 'bob', score: 0.6 }] });
  });
});

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type S3TestServer, startS3Server } from '../support/s3-server.js';
import { s3Env } from '../support/stack.js';
import { cleanEnv, freePort, type Proc, run, startProcess } from '../support/processes.js';
import { createTestDatabase, deleteRedisPrefix, queryOnce, TEST_REDIS_URL, type TestDatabase, testQueuePrefix, waitUntil } from '../support/services.js';

/**
 * A participant's whole journey against the real API and a real worker, each its own
 * process (the compiled build), on PostgreSQL, Redis and an S3-compatible server.
 */
describe('journey: register, submit, get scored, read the leaderboard', () => {
  let db: TestDatabase;
  let s3: S3TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let api: Proc;
  let worker: Proc;
  let url: string;
  const prefix = testQueuePrefix();

  beforeAll(async () => {
    [db, s3, home] = await Promise.all([createTestDatabase(), startS3Server(), mkdtemp(join(tmpdir(), 'sieve-e2e-'))]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = cleanEnv({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      SIEVE_HOME: home,
      PORT: String(port),
      ...s3Env(s3),
    });
    const migrated = await run(['bin/sieve.js', 'migrate'], env);
    expect(migrated.stdout).toContain('applied');
    const published = await run(['bin/sieve.js', 'challenges', 'publish'], env);
    expect(published.stdout).toContain('digits-selection: version 1 created');
    expect(published.stdout).toContain('fashion-selection: version 2 created');
    api = startProcess(['dist/src/main.js'], env);
    worker = startProcess(['dist/workers/main.js'], env);
    await api.waitFor(/API listening/, 30_000);
    await worker.waitFor(/serving queue/, 30_000);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await db?.drop();
    await deleteRedisPrefix(prefix);
    await s3?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  it('goes from upload to a ranked score', async () => {
    const account = (await (await fetch(`${url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'e2e-runner' }) })).json()) as { token: string; role: string };
    expect(account.role).toBe('participant');
    const joined = await fetch(`${url}/api/v1/challenges/fashion-selection/join`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ acceptRules: true }),
    });
    expect(joined.status).toBe(201);
    const form = new FormData();
    form.set('file', new Blob([await readFile('challenges/fashion-selection/baselines/balanced.csv')]), 'balanced.csv');
    const accepted = await fetch(`${url}/api/v1/challenges/fashion-selection/submissions`, { method: 'POST', headers: { authorization: `Bearer ${account.token}` }, body: form });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const done = await waitUntil(async () => {
      const s = (await (await fetch(`${url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${account.token}` } })).json()) as { status: string; score: number; startedAt: string; finishedAt: string };
      return s.status === 'scored' || s.status === 'failed' ? s : undefined;
    }, 60_000, 'the score');
    expect(done.status).toBe('scored');
    expect(done.score).toBeGreaterThan(0.7);
    expect(Date.parse(done.finishedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));
    const board = (await (await fetch(`${url}/api/v1/challenges/fashion-selection/leaderboard`)).json()) as { entries: { rank: number; participant: string; score: number; submissionId: string }[] };
    expect(board.entries).toEqual([expect.objectContaining({ rank: 1, participant: 'e2e-runner', score: done.score, submissionId: id })]);
    // Neither process wrote a hidden test example's id (or its first feature values) to its log.
    const hidden = gunzipSync(await readFile('challenges/fashion-selection/test.csv.gz')).toString('utf8').trim().split('\n').slice(1);
    const logs = api.output() + worker.output();
    expect(logs).toContain(id);
    expect(hidden.filter((line) => logs.includes(line.split(',')[0]) || logs.includes(line.split(',').slice(2, 5).join(',')))).toEqual([]);
  }, 90_000);

  it('works from the CLI: an organizer account, then submit --wait prints the score and the rank', async () => {
    const created = await run(['bin/sieve.js', 'accounts', 'create', 'cli-user', '--role', 'organizer'], env);
    expect(created.code).toBe(0);
    const token = /token \(shown once\): (\S+)/.exec(created.stdout)?.[1];
    expect(token).toBeDefined();
    const joined = await run(['bin/sieve.js', 'join', 'digits-selection', '--accept-rules', '--url', url, '--token', token!], env);
    expect(joined.code).toBe(0);
    const submitted = await run(['bin/sieve.js', 'submit', 'digits-selection', 'challenges/digits-selection/baselines/balanced.csv', '--wait', '--url', url, '--token', token!], env, 90_000);
    expect(submitted.stderr).not.toContain('Error');
    expect(submitted.code).toBe(0);
    expect(submitted.stdout).toMatch(/scored macro_f1 = 0\.\d+ \(rank 1 of 1\)/);
    // The CLI's upload carried an Idempotency-Key (a retry after a broken connection would get the same submission).
    const rows = await queryOnce<{ key: string | null }>(db.url, "SELECT s.idempotency_key AS key FROM submissions s JOIN accounts a ON a.id = s.account_id WHERE a.name = 'cli-user'");
    expect(rows).toEqual([{ key: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    // The board in the three formats, and one's own submissions as CSV.
    const table = await run(['bin/sieve.js', 'leaderboard', 'digits-selection', '--url', url], env);
    expect(table.stdout).toMatch(/^1 +0\.\d{4} .*cli-user/m);
    const asJson = JSON.parse((await run(['bin/sieve.js', 'leaderboard', 'digits-selection', '--json', '--url', url], env)).stdout) as { entries: { participant: string }[] };
    expect(asJson.entries.map((e) => e.participant)).toEqual(['cli-user']);
    const asCsv = (await run(['bin/sieve.js', 'leaderboard', 'digits-selection', '--csv', '--url', url], env)).stdout.trim().split('\n');
    expect(asCsv[0]).toBe('rank,tieGroup,rankLow,rankHigh,participant,team,score,ciLow,ciHigh,spread,submissionId,submittedAt');
    expect(asCsv.slice(1).map((l) => l.split(',')[4])).toEqual(['cli-user']);
    const mine = await fetch(`${url}/api/v1/challenges/digits-selection/submissions?format=csv`, { headers: { authorization: `Bearer ${token}` } });
    expect(mine.headers.get('content-disposition')).toContain('digits-selection-my-submissions.csv');
    expect((await mine.text()).trim().split('\n')).toEqual([expect.stringMatching(/^id,status,phase,challengeVersion,metric,score,/), expect.stringMatching(/,scored,open,1,macro_f1,0\.\d+,/)]);
    const rejected = await run(['bin/sieve.js', 'submit', 'digits-selection', 'package.json', '--url', url, '--token', token!], env);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/400: Line 1: expected the header "id"/);
    const noToken = await run(['bin/sieve.js', 'submit', 'digits-selection', 'package.json', '--url', url], env);
    expect(noToken.code).toBe(4);
  }, 120_000);
});

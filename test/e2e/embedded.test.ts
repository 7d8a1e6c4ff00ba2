import { chmod, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, freePort, type Proc, startProcess } from '../support/processes.js';
import { waitUntil } from '../support/services.js';

/** `npm start` on a machine with nothing configured: embedded PostgreSQL, queue on PostgreSQL, local files. */
describe('the embedded default', () => {
  let home: string;
  let sieve: Proc;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sieve-embedded-'));
    await chmod(home, 0o755); // as root, PostgreSQL runs as the "postgres" user, which must reach the folder
  });

  afterAll(async () => {
    await sieve?.stop();
    await rm(home, { recursive: true, force: true });
  }, 60_000);

  it('starts with no DATABASE_URL or REDIS_URL, prints a URL and a token, and scores a submission', async () => {
    const env = cleanEnv({ SIEVE_HOME: home, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn' });
    sieve = startProcess(['bin/sieve.js', 'start'], env);
    const [, url] = await sieve.waitFor(/Sieve is running at (http:\/\/\S+)/, 90_000);
    const [, token] = await sieve.waitFor(/Token for the participant "demo" \(shown once\): (\S+)/, 5_000);
    expect(sieve.output()).toContain('embedded PostgreSQL');
    expect(sieve.output()).toContain('queue on PostgreSQL');

    const list = (await (await fetch(`${url}/api/v1/challenges`)).json()) as { slug: string }[];
    expect(list.map((c) => c.slug)).toEqual(['digits-selection', 'fashion-acquisition', 'fashion-cleaning', 'fashion-cnn-dataset', 'fashion-concepts', 'fashion-dataset', 'fashion-selection']);

    expect(sieve.output()).toContain('/api/v1/challenges/digits-selection/join');
    const joined = await fetch(`${url}/api/v1/challenges/digits-selection/join`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ acceptRules: true }),
    });
    expect(joined.status).toBe(201);
    const form = new FormData();
    form.set('file', new Blob([await readFile('challenges/digits-selection/baselines/random.csv')]), 'random.csv');
    const res = await fetch(`${url}/api/v1/challenges/digits-selection/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const done = await waitUntil(async () => {
      const s = (await (await fetch(`${url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; score: number };
      return s.status === 'scored' || s.status === 'failed' ? s : undefined;
    }, 60_000, 'the score');
    expect(done.status).toBe('scored');
    const board = (await (await fetch(`${url}/api/v1/challenges/digits-selection/leaderboard`)).json()) as { entries: { participant: string; score: number }[] };
    expect(board.entries).toEqual([expect.objectContaining({ participant: 'demo', score: done.score })]);

    expect(await sieve.stop('SIGTERM')).toBe(0);
  }, 180_000);
});

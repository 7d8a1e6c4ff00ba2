import { readFile } from 'node:fs/promises';
import * as client from '../support/client.js';
import { type RedisTestServer, startRedisServer } from '../support/redis-server.js';
import { queryOnce, TEST_PG_URL, waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

const SLUG = 'digits-outage';

/**
 * PostgreSQL, Redis and storage each go down while the API and a worker run, and come
 * back: requests get a quick 503 saying which (never a hang or a 500), readiness goes
 * red, nothing accepted is lost, and everything recovers by itself.
 */
describe('dependency outages', () => {
  let redis: RedisTestServer;
  let stack: Stack;
  let token: string;
  let file: Buffer;

  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startStack({ storage: 's3', queue: 'redis', worker: true, env: { REDIS_URL: redis.url }, challenges: [{ from: 'digits-selection', slug: SLUG }] });
    token = await client.register(stack.url, 'ada');
    await client.join(stack.url, token, SLUG);
    file = await readFile('challenges/digits-selection/baselines/random.csv');
  }, 60_000);
  afterAll(async () => {
    await redis?.resume().catch(() => undefined);
    await stack?.s3?.resume().catch(() => undefined);
    await stack?.stop();
    await redis?.stop();
  }, 60_000);

  const timed = async (request: () => Promise<Response>) => {
    const started = Date.now();
    const res = await request();
    return { res, ms: Date.now() - started, body: await res.text() };
  };
  const upload = () => {
    const form = new FormData();
    form.set('file', new Blob([file]), 'selection.csv');
    return fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  };
  const readiness = async () => {
    const res = await fetch(`${stack.url}/readyz`);
    return { status: res.status, details: ((await res.json()) as { error?: { details: { field: string; message: string }[] } }).error?.details ?? [] };
  };
  /** Runs SQL from the server's maintenance database (not the test's own, which goes down). */
  const admin = (text: string) => queryOnce(TEST_PG_URL, text);

  it('PostgreSQL: 503 database_unavailable at once, readiness red, then back by itself', async () => {
    await admin(`ALTER DATABASE "${stack.db.name}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${stack.db.name}'`);
    try {
      const list = await timed(() => fetch(`${stack.url}/api/v1/challenges`));
      expect(list.res.status).toBe(503);
      expect(JSON.parse(list.body)).toMatchObject({ error: { code: 'database_unavailable', message: expect.stringContaining('retry in a few seconds') } });
      expect(list.res.headers.get('retry-after')).toBe('5');
      expect(list.ms).toBeLessThan(6000);
      const page = await fetch(`${stack.url}/c/${SLUG}`);
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const ready = await readiness();
      expect(ready.status).toBe(503);
      expect(ready.details.find((d) => d.field === 'database')?.message).not.toBe('ok');
    } finally {
      await admin(`ALTER DATABASE "${stack.db.name}" ALLOW_CONNECTIONS true`);
    }
    await waitUntil(async () => (await fetch(`${stack.url}/api/v1/challenges`)).status === 200, 15_000, 'the API to reach the database again');
    expect((await readiness()).status).toBe(200);
  }, 60_000);

  it('Redis: a submission is still accepted (it is in PostgreSQL), and scored once Redis is back', async () => {
    await redis.pause();
    const accepted = await timed(upload);
    expect(accepted.res.status).toBe(202);
    expect(accepted.ms).toBeLessThan(10_000);
    const { id } = JSON.parse(accepted.body) as { id: string };
    expect((await readiness()).details.find((d) => d.field === 'queue')?.message).not.toBe('ok');
    expect((await fetch(`${stack.url}/api/v1/challenges/${SLUG}/leaderboard`)).status).toBe(200);
    await redis.resume();
    // The queue came back empty: the workers' reconciler queues the submission again from PostgreSQL.
    const done = await client.settled(stack.url, token, id, 90_000);
    expect(done.status).toBe('scored');
    await waitUntil(async () => (await readiness()).status === 200, 15_000, 'readiness to turn green');
  }, 120_000);

  it('storage: 503 storage_unavailable and nothing kept, then back by itself', async () => {
    const before = (await stack.sql('SELECT id FROM submissions')).length;
    await stack.s3!.pause();
    try {
      const refused = await timed(upload);
      expect(refused.res.status).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'storage_unavailable' } });
      expect(refused.ms).toBeLessThan(15_000);
      expect((await stack.sql('SELECT id FROM submissions')).length).toBe(before);
      expect((await readiness()).details.find((d) => d.field === 'storage')?.message).not.toBe('ok');
    } finally {
      await stack.s3!.resume();
    }
    expect((await upload()).status).toBe(202);
    expect((await readiness()).status).toBe(200);
  }, 60_000);
});

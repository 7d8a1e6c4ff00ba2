import { randomBytes } from 'node:crypto';
import { deleteRedisKeys } from '../../bench/services.js';
import pg from 'pg';

/** The services the upper test tiers run against (started by .ci/run when missing). */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database of its own for one test file; dropped afterwards. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sieve_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A Redis key prefix of its own for one test file; its keys are deleted afterwards. */
export function testQueuePrefix(): string {
  return `sieve-test-${randomBytes(5).toString('hex')}`;
}

export function deleteRedisPrefix(prefix: string): Promise<void> {
  return deleteRedisKeys(TEST_REDIS_URL, prefix);
}

/**
 * Runs one statement on a connection of its own, closed after: for tests that look
 * behind processes they started, or whose database is taken down under them.
 */
export async function queryOnce<T = Record<string, unknown>>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function countRows(databaseUrl: string, table: string): Promise<number> {
  const [row] = await queryOnce<{ n: string }>(databaseUrl, `SELECT count(*)::text AS n FROM ${table}`);
  return Number(row.n);
}

export async function waitUntil<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

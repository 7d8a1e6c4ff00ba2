import { Redis } from 'ioredis';
import type { LoadResults } from '../../bench/load.js';
import { cleanEnv, run } from '../support/processes.js';
import { queryOnce, TEST_PG_URL, TEST_REDIS_URL } from '../support/services.js';

/**
 * `npm run bench:load` end to end at toy sizes (the bench itself is not a test): it seeds,
 * starts the built API and a worker, measures every step, finds no lost upload, and
 * leaves no database behind.
 */
describe('the load bench, at toy sizes', () => {
  it('runs every step and cleans up after itself', async () => {
    const args = ['--challenges', '2', '--submissions', '40', '--participants', '10', '--per-challenge', '5', '--read-seconds', '1', '--no-uncached'];
    args.push('--uploads', '12', '--uploaders', '3', '--upload-connections', '4', '--evaluations', '2', '--workers', '1', '--json');
    const { code, stdout, stderr } = await run(['dist/bench/load-main.js', ...args], cleanEnv({ BENCH_DATABASE_URL: TEST_PG_URL, BENCH_REDIS_URL: TEST_REDIS_URL }), 120_000);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const r = JSON.parse(stdout) as LoadResults;
    expect(r.seed).toMatchObject({ challenges: 2, submissions: 40, participants: 10 });
    expect(r.reads).toEqual([expect.objectContaining({ cache: 'on', failed: 0 })]);
    expect(r.reads[0].requests).toBeGreaterThan(0);
    expect(r.evaluations).toEqual([expect.objectContaining({ workers: 1, submissions: 2, scored: 2, failed: 0 })]);
    expect(r.uploads).toMatchObject({ sent: 12, accepted: 12, refused: 0, other: 0, unanswered: 0, inDatabase: 12, lost: 0, unannounced: 0 });

    const [, database, prefix] = /database (sieve_bench_[0-9a-f]+), Redis prefix (sieve-bench-[0-9a-f]+)/.exec(stderr)!;
    expect(await queryOnce(TEST_PG_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [database])).toEqual([]);
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      expect((await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 100_000))[1]).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});

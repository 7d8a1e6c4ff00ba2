import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { queryOnce, TEST_PG_URL } from '../support/services.js';
import { startStack } from '../support/stack.js';

/** A test whose setup fails leaves nothing behind: no database, no temp folder. */
describe('a stack that fails to start', () => {
  const databases = async () => (await queryOnce<{ datname: string }>(TEST_PG_URL, `SELECT datname FROM pg_database WHERE datname LIKE 'sieve_test_%'`)).map((r) => r.datname).sort();
  const folders = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('sieve-test-')).sort();

  it('undoes what it had set up and reports why', async () => {
    const [dbsBefore, dirsBefore] = [await databases(), await folders()];
    const failed = startStack({
      storage: 'filesystem',
      challenges: [{ from: 'digits-selection', slug: 'digits-broken', edit: (y) => y.replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { epochs: 1000000 }\n') }],
    });
    await expect(failed).rejects.toThrow(/digits-broken[\s\S]*epochs/);
    expect(await databases()).toEqual(dbsBefore);
    expect(await folders()).toEqual(dirsBefore);
  }, 60_000);
});

import { readdir, readFile } from 'node:fs/promises';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Every baseline file a bundled challenge's README reports a score for, scored by the real
 * API and worker, gives that score (to the decimals the README prints).
 */
describe('bundled baselines score what their READMEs say', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { WORKER_QUEUES: 'evaluate-cpu,evaluate-gpu' } });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('for every challenge and every baseline the README lists', async () => {
    const claims: { slug: string; file: string; printed: string }[] = [];
    for (const slug of (await readdir('challenges')).sort()) {
      const readme = await readFile(`challenges/${slug}/README.md`, 'utf8');
      // Table rows naming a baseline file, then (optionally a row count, then) the score.
      for (const m of readme.matchAll(/`baselines\/([\w-]+\.(?:csv\.gz|csv|zip))`[^|\n]*\|\s*(?:[\d,]+\s*\|\s*)?([0-9]+\.[0-9]+)\s*\|/g)) {
        claims.push({ slug, file: m[1], printed: m[2] });
      }
    }
    expect(claims.map((c) => `${c.slug}/${c.file}`).sort()).toEqual([
      'digits-selection/balanced.csv',
      'digits-selection/random.csv',
      'fashion-acquisition/cheapest.csv',
      'fashion-acquisition/greedy.csv',
      'fashion-acquisition/premium.csv',
      'fashion-acquisition/random.csv',
      'fashion-acquisition/uniform.csv',
      'fashion-cleaning/loss-ranked.csv',
      'fashion-cleaning/random.csv',
      'fashion-cnn-dataset/balanced-1000.csv.gz',
      'fashion-concepts/balanced.zip',
      'fashion-concepts/random.zip',
      'fashion-dataset/balanced-1000.csv.gz',
      'fashion-dataset/random-5000.csv.gz',
      'fashion-dataset/sample-images.zip',
      'fashion-dataset/starter.csv.gz',
      'fashion-selection/balanced.csv',
      'fashion-selection/random.csv',
    ]);
    let n = 0;
    for (const claim of claims) {
      const token = await client.register(stack.url, `baseline-${n++}`);
      const id = await client.submit(stack.url, token, claim.slug, await readFile(`challenges/${claim.slug}/baselines/${claim.file}`));
      const s = await client.settled(stack.url, token, id);
      expect({ claim: `${claim.slug}/${claim.file}`, status: s.status }).toEqual({ claim: `${claim.slug}/${claim.file}`, status: 'scored' });
      const decimals = claim.printed.split('.')[1].length;
      expect({ claim: `${claim.slug}/${claim.file}`, score: s.score?.toFixed(decimals) }).toEqual({ claim: `${claim.slug}/${claim.file}`, score: claim.printed });
    }
  }, 300_000);
});

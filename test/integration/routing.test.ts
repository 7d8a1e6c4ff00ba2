import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config/config.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Page {
  resources: { class: string; queue: string; waiting: string | null };
}

/**
 * A challenge's resource class routes its submissions: `gpu` ones to queue evaluate-gpu,
 * which a CPU worker never serves. Workers announce themselves with heartbeats, so a
 * submission nobody can take says what it waits for instead of looking stuck.
 */
describe('routing by resource class, and worker heartbeats', () => {
  let stack: Stack;
  let challenges: string;
  let gpuWorker: RunningWorker | null = null;
  let participant: string;
  let admin: string;
  const slug = 'digits-gpu';
  const page = async () => (await (await fetch(`${stack.url}/api/v1/challenges/${slug}`)).json()) as Page;
  const workers = (token: string) => fetch(`${stack.url}/api/v1/workers`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    challenges = await mkdtemp(join(tmpdir(), 'sieve-routing-'));
    await copyChallenge(challenges, 'digits-selection', slug, (yaml) => `${yaml}\nresources: { class: gpu }\n`);
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      worker: true,
      env: { CHALLENGES_DIR: challenges, WORKER_HEARTBEAT_MS: '300', WORKER_STALE_MS: '2000' },
    });
    participant = await client.register(stack.url, 'routed');
    admin = (await stack.api.get(AccountsService).create('root', 'admin')).token;
  }, 60_000);

  afterAll(async () => {
    await gpuWorker?.stop();
    await stack?.stop();
    await rm(challenges, { recursive: true, force: true });
  }, 30_000);

  let id: string;

  it('leaves GPU work to GPU workers, and says so on the submission and the challenge page', async () => {
    expect((await page()).resources).toEqual({ class: 'gpu', queue: 'evaluate-gpu', waiting: 'waiting for a GPU worker' });
    id = await client.submit(stack.url, participant, slug, await readFile('challenges/digits-selection/baselines/random.csv'));
    await sleep(2500); // the CPU worker (and its reconciler) have had every chance to take it
    const res = await fetch(`${stack.url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${participant}` } });
    expect(await res.json()).toMatchObject({ status: 'queued', waiting: 'waiting for a GPU worker', score: null });
  });

  it('a worker started with --queues evaluate-gpu takes it and scores it', async () => {
    const config = loadConfig({ ...stack.env, WORKER_QUEUES: 'evaluate-gpu' });
    gpuWorker = await startWorker(config, stack.db.url, createLogger('silent', 'gpu-worker'));
    const done = await client.settled(stack.url, participant, id);
    expect(done).toMatchObject({ status: 'scored', waiting: null, metric: 'macro_f1' });
    expect((await page()).resources.waiting).toBeNull();
  });

  it('shows admins every live worker with its queues and device; nobody else', async () => {
    expect((await workers(participant)).status).toBe(403);
    expect((await fetch(`${stack.url}/api/v1/workers`)).status).toBe(401);
    const list = (await (await workers(admin)).json()) as { queues: string[]; pid: number; device: { cpu: { cores: number }; memoryBytes: number; gpus: unknown[] } }[];
    expect(list.map((w) => w.queues).sort()).toEqual([['evaluate-cpu'], ['evaluate-gpu']]);
    for (const w of list) {
      expect(w.pid).toBe(process.pid);
      expect(w.device.cpu.cores).toBeGreaterThan(0);
      expect(w.device.memoryBytes).toBeGreaterThan(0);
      expect(Array.isArray(w.device.gpus)).toBe(true);
    }
  });

  it('forgets a stopped worker at once, and the challenge waits again', async () => {
    await gpuWorker!.stop();
    gpuWorker = null;
    const list = (await (await workers(admin)).json()) as { queues: string[] }[];
    expect(list.map((w) => w.queues)).toEqual([['evaluate-cpu']]);
    expect((await page()).resources.waiting).toBe('waiting for a GPU worker');
  });
});

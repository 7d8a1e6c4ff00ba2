import { readFile } from 'node:fs/promises';
import { createStorage } from '../../src/core/storage/create-storage.js';
import type { StoragePort } from '../../src/core/storage/storage.port.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

const SLUG = 'digits-retry';
const BASELINE = 'challenges/digits-selection/baselines/random.csv';

/**
 * A client that lost the answer to an upload sends it again with the same Idempotency-Key
 * and gets the first answer, not a second submission: sequentially, at once, and after
 * its limits are spent. No worker runs, so submissions stay queued.
 */
describe('Idempotency-Key on submissions', () => {
  let stack: Stack;
  let storage: StoragePort;
  let ada: string;
  let file: Buffer;

  beforeAll(async () => {
    stack = await startStack({
      storage: 's3',
      queue: 'redis',
      challenges: [{ from: 'digits-selection', slug: SLUG, edit: (yaml) => yaml.replace(/^limits: .*$/m, 'limits: { maxFileBytes: 1048576, total: 3 }') }],
    });
    storage = createStorage(stack.config.storage);
    ada = await client.register(stack.url, 'ada');
    await client.join(stack.url, ada, SLUG);
    file = await readFile(BASELINE);
  }, 60_000);
  afterAll(async () => {
    await storage?.close();
    await stack?.stop();
  }, 30_000);

  const upload = (token: string, body: Buffer, key?: string) => {
    const form = new FormData();
    form.set('file', new Blob([body]), 'selection.csv');
    return fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { 'idempotency-key': key }) }, body: form });
  };
  const submissions = async () => (await stack.sql<{ id: string }>('SELECT id FROM submissions ORDER BY created_at')).map((r) => r.id);
  const storedFiles = async () => (await storage.list('submissions/')).length;
  const otherFile = () => Buffer.from(file.toString('utf8').trim().split('\n').slice(0, -1).join('\n') + '\n');

  it('answers a retry with the first answer, and makes one submission', async () => {
    const first = await upload(ada, file, 'upload-1');
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const { id } = (await first.json()) as { id: string };
    const again = await upload(ada, file, 'upload-1');
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ id, status: 'queued' });
    expect(await submissions()).toEqual([id]);
    expect(await storedFiles()).toBe(1);
  });

  it('refuses the same key with another file, and keeps nothing of it', async () => {
    const res = await upload(ada, otherFile(), 'upload-1');
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    expect(await submissions()).toHaveLength(1);
    expect(await storedFiles()).toBe(1);
  });

  it('makes one submission of five identical uploads sent at once', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => upload(ada, file, 'upload-2')));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set(await Promise.all(answers.map(async (a) => ((await a.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await submissions()).toHaveLength(2);
    // The uploads that lost the race left no file behind.
    expect(await storedFiles()).toBe(2);
  });

  it('still answers a retry once the limits are spent, while a new upload is refused', async () => {
    expect((await upload(ada, file, 'upload-3')).status).toBe(202); // the third and last of the phase
    expect((await upload(ada, file, 'upload-4')).status).toBe(429);
    const retry = await upload(ada, file, 'upload-3');
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await submissions()).toHaveLength(3);
  });

  it('answers the last upload the limits allow, sent twice at once, with one submission', async () => {
    const bob = await client.register(stack.url, 'bob');
    await client.join(stack.url, bob, SLUG);
    expect((await upload(bob, file)).status).toBe(202);
    expect((await upload(bob, file)).status).toBe(202);
    const answers = await Promise.all([upload(bob, file, 'last'), upload(bob, file, 'last')]);
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    const ids = await Promise.all(answers.map(async (a) => ((await a.json()) as { id: string }).id));
    expect(ids[0]).toBe(ids[1]);
    expect(await submissions()).toHaveLength(6);
  });

  it("keeps each account's keys to itself", async () => {
    const grace = await client.register(stack.url, 'grace');
    await client.join(stack.url, grace, SLUG);
    const res = await upload(grace, file, 'upload-1');
    expect(res.status).toBe(202);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await submissions()).toHaveLength(7);
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'two words'],
    ['with non-ASCII', 'clé'],
  ])('refuses a key %s, storing nothing', async (_what, key) => {
    const before = await submissions();
    const form = new FormData();
    form.set('file', new Blob([file]), 'selection.csv');
    const res = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada}`, 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
      body: form,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_idempotency_key');
    expect(await submissions()).toEqual(before);
  });
});

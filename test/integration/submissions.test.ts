import { readFile } from 'node:fs/promises';
import { createStorage } from '../../src/core/storage/create-storage.js';
import type { StoragePort } from '../../src/core/storage/storage.port.js';
import * as client from '../support/client.js';
import { countRows } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/** Submission intake against the real PostgreSQL, Redis and S3-compatible server (no worker). */
describe('submitting a selection', () => {
  let stack: Stack;
  let storage: StoragePort;
  let token: string;

  beforeAll(async () => {
    stack = await startStack({ storage: 's3', queue: 'redis' });
    storage = createStorage(stack.config.storage);
    const res = await fetch(`${stack.url}/api/v1/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada' }),
    });
    expect(res.status).toBe(201);
    token = ((await res.json()) as { token: string }).token;
    await client.join(stack.url, token, 'digits-selection');
  }, 60_000);

  afterAll(() => stack?.stop(), 30_000);

  const upload = (body: Buffer | string | null, opts: { slug?: string; auth?: string | null; field?: string } = {}) => {
    const form = new FormData();
    if (body !== null) form.set(opts.field ?? 'file', new Blob([typeof body === 'string' ? Buffer.from(body) : body]), 'selection.csv');
    const headers: Record<string, string> = {};
    const auth = opts.auth === undefined ? `Bearer ${token}` : opts.auth;
    if (auth !== null) headers.authorization = auth;
    return fetch(`${stack.url}/api/v1/challenges/${opts.slug ?? 'digits-selection'}/submissions`, { method: 'POST', headers, body: form });
  };

  const pool = async () => {
    const res = await fetch(`${stack.url}/api/v1/challenges/digits-selection/pool`, { headers: { authorization: `Bearer ${token}` } });
    const lines = (await res.text()).trim().split('\n');
    return lines.slice(1).map((l) => l.split(',')[0]);
  };

  it('is ready when the database, the queue and storage answer', async () => {
    const res = await fetch(`${stack.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });
  });

  it('lists the bundled challenges and describes one without its test data', async () => {
    const list = (await (await fetch(`${stack.url}/api/v1/challenges`)).json()) as { slug: string }[];
    expect(list.map((c) => c.slug)).toEqual(['digits-selection', 'fashion-acquisition', 'fashion-cleaning', 'fashion-cnn-dataset', 'fashion-concepts', 'fashion-dataset', 'fashion-selection']);
    const res = await fetch(`${stack.url}/api/v1/challenges/digits-selection`);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ protocol: 'selection', budget: { maxItems: 100 }, metric: { name: 'macro_f1', direction: 'maximize' }, model: { kind: 'logreg' } });
    expect(JSON.stringify(body)).not.toContain('test.csv');
  });

  it('serves the pool as CSV to those who joined, never the test set', async () => {
    const anonymous = await fetch(`${stack.url}/api/v1/challenges/digits-selection/pool`);
    expect(anonymous.status).toBe(401);
    const stranger = await client.register(stack.url, 'not-joined');
    const notJoined = await fetch(`${stack.url}/api/v1/challenges/digits-selection/pool`, { headers: { authorization: `Bearer ${stranger}` } });
    expect(notJoined.status).toBe(403);
    expect(((await notJoined.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'not_joined', message: expect.stringContaining('/join') });
    const submitted = await upload('id\nd0000\n', { auth: `Bearer ${stranger}` });
    expect(submitted.status).toBe(403);
    expect(((await submitted.json()) as { error: { code: string } }).error.code).toBe('not_joined');
    const res = await fetch(`${stack.url}/api/v1/challenges/digits-selection/pool`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const text = await res.text();
    expect(text.split('\n')[0]).toMatch(/^id,label,f0,/);
    expect(text.trim().split('\n')).toHaveLength(1298);
  });

  it('accepts a valid selection with 202, stores the file, records the row and queues one job', async () => {
    const file = await readFile('challenges/digits-selection/baselines/random.csv');
    const res = await upload(file);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string };
    expect(body.status).toBe('queued');
    expect(await countRows(stack.db.url, 'submissions')).toBe(1);
    expect(await storage.list('submissions/')).toHaveLength(1);
    const status = (await (await fetch(`${stack.url}/api/v1/submissions/${body.id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ id: body.id, challenge: 'digits-selection', status: 'queued', score: null, error: null });
  });

  describe('bad input: a clear 4xx, and nothing left behind', () => {
    let before: { rows: number; files: number };
    beforeEach(async () => {
      before = { rows: await countRows(stack.db.url, 'submissions'), files: (await storage.list('submissions/')).length };
    });
    afterEach(async () => {
      expect(await countRows(stack.db.url, 'submissions')).toBe(before.rows);
      expect(await storage.list('submissions/')).toHaveLength(before.files);
    });

    const cases: [string, () => Promise<Response>, number, string, RegExp][] = [
      ['an empty file', () => upload(''), 400, 'empty_file', /empty/],
      ['binary garbage', () => upload(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff, 0xfe])), 400, 'not_text', /not text: line \d+ contains a NUL byte/],
      ['a wrong header', () => upload('ident\nd0000\n'), 400, 'invalid_header', /Line 1: expected the header "id"/],
      ['an unknown id', async () => upload(`id\n${(await pool())[0]}\nnot-an-id\n`), 422, 'invalid_selection', /line 3: id "not-an-id" is not in the pool/],
      ['a duplicate id', async () => { const p = await pool(); return upload(`id\n${p[0]}\n${p[1]}\n${p[0]}\n`); }, 422, 'invalid_selection', /line 4: duplicate id ".*" \(first on line 2\)/],
      ['a selection over budget', async () => upload(`id\n${(await pool()).slice(0, 101).join('\n')}\n`), 422, 'invalid_selection', /101 ids; the budget allows at most 100/],
      ['a label column on a labeled pool', () => upload('id,label\nd0000,3\n'), 400, 'invalid_header', /the pool is labeled/],
      ['invalid UTF-8', () => upload(Buffer.concat([Buffer.from('id\nd0001\n'), Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from('\n')])), 400, 'invalid_encoding', /not valid UTF-8: line 3/],
      ['a very long line', () => upload(`id\n${'9'.repeat(100_000)}\n`), 400, 'line_too_long', /Line 2 is 100000 characters long/],
      ['a file over the size cap', () => upload(`id\n${'d0000\n'.repeat(200_000)}`), 413, 'payload_too_large', /at most 1048576 bytes/],
      ['a file over the server ceiling', () => upload(Buffer.alloc(65 * 1024 * 1024, 'a')), 413, 'payload_too_large', /too large/i],
      ['no file', () => upload(null), 400, 'missing_file', /field "file"/],
      ['the file in another field', () => upload('id\nd0000\n', { field: 'data' }), 400, 'bad_request', /Unexpected file field "data": send the file in the multipart field "file"/],
      ['no token', () => upload('id\nd0000\n', { auth: null }), 401, 'unauthorized', /needs a token/],
      ['a wrong token', () => upload('id\nd0000\n', { auth: 'Bearer sieve_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }), 401, 'unauthorized', /not valid/],
      ['a malformed Authorization header', () => upload('id\nd0000\n', { auth: 'Basic abc' }), 401, 'unauthorized', /Bearer/],
      ['an unknown challenge', () => upload('id\nd0000\n', { slug: 'no-such-challenge' }), 404, 'not_found', /no-such-challenge/],
    ];

    it.each(cases)('%s', async (_name, send, status, code, message) => {
      const res = await send();
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
      expect(body.error.code).toBe(code);
      expect(body.error.message).toMatch(message);
      expect(Array.isArray(body.error.details)).toBe(true);
    });
  });

  it('rejects a selection of a single class, naming it', async () => {
    const res = await fetch(`${stack.url}/api/v1/challenges/digits-selection/pool`, { headers: { authorization: `Bearer ${token}` } });
    const rows = (await res.text()).trim().split('\n').slice(1).map((l) => l.split(','));
    const threes = rows.filter((r) => r[1] === '3').slice(0, 5).map((r) => r[0]);
    const bad = await upload(`id\n${threes.join('\n')}\n`);
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('fewer than 2 classes (only "3")');
  });

  it('keeps a submission private to its owner', async () => {
    const other = (await (await fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bob' }) })).json()) as { token: string };
    const mine = (await (await upload(await readFile('challenges/digits-selection/baselines/balanced.csv'))).json()) as { id: string };
    const res = await fetch(`${stack.url}/api/v1/submissions/${mine.id}`, { headers: { authorization: `Bearer ${other.token}` } });
    expect(res.status).toBe(404);
  });

  it('refuses a duplicate account name and a bad one, with the field named', async () => {
    const post = (body: unknown) => fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ name: 'ADA' })).status).toBe(409);
    const bad = await post({ name: '<script>' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { field: string }[] } }).error.details[0].field).toBe('name');
    expect((await post({})).status).toBe(400);
    const broken = await fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/^The request body is not valid JSON/);
  });
});

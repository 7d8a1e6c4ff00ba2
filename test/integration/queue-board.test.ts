import { request as httpRequest } from 'node:http';
import { readFile } from 'node:fs/promises';
import { evaluationJobId, QUEUES } from '../../src/core/queue/jobs.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../src/core/queue/queue-backend.js';
import { QUEUE_BOARD_CSP, QUEUE_BOARD_PATH } from '../../src/core/queue/queue-board.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

/** What the tests read of bull-board's GET /api/queues. */
interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: { id: string; name: string; data: Record<string, unknown>; attempts: number }[];
  readOnlyMode: boolean;
  allowRetries: boolean;
  isPaused: boolean;
}

interface ErrorBody {
  error: { code: string; message: string; details: unknown[] };
}

/** A new-token check budget low enough for the last test to run it out, high enough for the others. */
const AUTH_CHECKS_PER_MINUTE = 20;

describe.each(['redis', 'postgres'] as const)('the queue board at /admin/queues (queue backend: %s)', (queue) => {
  let stack: Stack;
  let admin: string;
  let participant: string;
  let submissionId: string;

  const board = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${stack.url}${QUEUE_BOARD_PATH}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });
  const queues = async (token: string, query = ''): Promise<BoardQueue[]> => {
    const res = await board(`/api/queues${query}`, token);
    expect(res.status).toBe(200);
    return ((await res.json()) as { queues: BoardQueue[] }).queues;
  };
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as ErrorBody;
    expect(body).toEqual({ error: { code, message: expect.any(String), details: [] } });
    return body;
  };
  const backend = () => stack.api.get<QueueBackend>(QUEUE_BACKEND);

  beforeAll(async () => {
    stack = await startStack({
      storage: 'filesystem',
      queue,
      worker: false,
      env: { RATE_LIMIT_AUTH_PER_MINUTE: String(AUTH_CHECKS_PER_MINUTE) },
      challenges: [{ from: 'digits-selection', slug: 'digits' }],
    });
    admin = (await stack.api.get(AccountsService).create('queue-admin', 'admin')).token;
    participant = await client.register(stack.url, 'queue-watcher');
    // No worker: the job waits in its queue.
    submissionId = await client.submit(stack.url, participant, 'digits', await readFile('challenges/digits-selection/baselines/balanced.csv'));
  }, 90_000);
  afterAll(() => stack?.stop(), 30_000);

  it('gives an admin the page, whose scripts and styles load, under a CSP that allows only them', async () => {
    const res = await board('', admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(QUEUE_BOARD_CSP);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const html = await res.text();
    expect(html).toContain(`<base href="${QUEUE_BOARD_PATH}/" />`);
    expect(html).toContain('<title>Sieve queues</title>');
    // Deep links of the single-page app serve the same page.
    expect((await board(`/queue/${QUEUES.evaluateCpu}`, admin)).status).toBe(200);

    // Everything the page loads from the server is under static/, served without a token (the package's own files).
    const assets = [...html.matchAll(/(?:src|href)="(static\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThanOrEqual(1);
    expect(assets.filter((a) => a.endsWith('.css')).length).toBeGreaterThanOrEqual(1);
    for (const asset of assets) {
      const file = await board(`/${asset}`);
      expect([asset, file.status]).toEqual([asset, 200]);
      await file.arrayBuffer();
    }
    // What else the page links is refused by the CSP (Google Fonts), not fetched by the server.
    const external = [...html.matchAll(/(?:src|href)="(https?:[^"]+)"/g)].map((m) => new URL(m[1]).host);
    expect(external.every((host) => host.startsWith('fonts.'))).toBe(true);
    expect(QUEUE_BOARD_CSP).not.toMatch(/https?:/);
    await expectError(await board('/static/no-such-file.js'), 404, 'not_found');
  });

  it('lists both evaluation queues, read-only, with counts that show the waiting submission’s job and only ids in its data', async () => {
    const listed = await queues(admin);
    expect(listed.map((q) => q.name).sort()).toEqual([QUEUES.evaluateCpu, QUEUES.evaluateGpu]);
    for (const q of listed) {
      expect(q).toMatchObject({ readOnlyMode: true, allowRetries: false, isPaused: false });
      for (const state of ['active', 'waiting', 'completed', 'failed', 'delayed']) expect(q.counts[state]).toEqual(expect.any(Number));
    }
    const cpu = listed.find((q) => q.name === QUEUES.evaluateCpu)!;
    const gpu = listed.find((q) => q.name === QUEUES.evaluateGpu)!;
    expect(cpu.counts.waiting).toBe(1);
    expect(Object.values(gpu.counts).reduce((a, b) => a + b, 0)).toBe(0);

    const [withJobs] = (await queues(admin, `?activeQueue=${QUEUES.evaluateCpu}&status=waiting`)).filter((q) => q.name === QUEUES.evaluateCpu);
    expect(withJobs.jobs).toHaveLength(1);
    const [job] = withJobs.jobs;
    expect(job).toMatchObject({ id: evaluationJobId(submissionId), name: 'evaluate-submission', attempts: 0 });
    // A job carries the submission's id and the request id, nothing of the file, the challenge's data or anyone's token.
    expect(Object.keys(job.data).sort()).toEqual(['requestId', 'submissionId']);
    expect(job.data.submissionId).toBe(submissionId);

    const one = await board(`/api/queues/${QUEUES.evaluateCpu}/${evaluationJobId(submissionId)}`, admin);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { job: { id: string }; status: string })).toMatchObject({ job: { id: evaluationJobId(submissionId) }, status: 'waiting' });
    // What the job's page also reads: its logs, its flow (none: one job) and the datastore's stats.
    for (const path of ['logs', 'flow']) expect([path, (await board(`/api/queues/${QUEUES.evaluateCpu}/${evaluationJobId(submissionId)}/${path}`, admin)).status]).toEqual([path, 200]);
    const stats = await board('/api/redis/stats', admin);
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { backend: string }).backend).toBe(queue);
  });

  it('answers anyone else in the one error shape: 401 without a token or with a bad one, 403 for a participant or an admin’s token without the admin scope', async () => {
    for (const path of ['', '/api/queues', `/api/queues/${QUEUES.evaluateCpu}/${evaluationJobId(submissionId)}`, '/queue/evaluate-cpu']) {
      await expectError(await board(path), 401, 'unauthorized');
      await expectError(await board(path, 'not-a-sieve-token'), 401, 'unauthorized');
      await expectError(await board(path, undefined, { headers: { authorization: `Basic ${Buffer.from('root:root').toString('base64')}` } }), 401, 'unauthorized');
      const refused = await expectError(await board(path, participant), 403, 'insufficient_scope');
      expect(refused.error.message).toMatch(/admin/);
    }
    const res = await fetch(`${stack.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'read only', scopes: ['read'] }),
    });
    expect(res.status).toBe(201);
    const readOnly = ((await res.json()) as { token: string }).token;
    await expectError(await board('/api/queues', readOnly), 403, 'insufficient_scope');
  });

  it('does not let a dot-segment in a static path skip the gate', async () => {
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${stack.url}${path}`, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/static/../api/queues', '/static/%2e%2e/api/queues', '/static/..%2fapi/queues', '/static//../../queues/api/queues']) {
      const res = await raw(`${QUEUE_BOARD_PATH}${path}`);
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.body).not.toContain(QUEUES.evaluateCpu);
    }
  });

  it('refuses every mutation with 405 before bull-board sees it, and the job and the queues are untouched', async () => {
    const jobId = evaluationJobId(submissionId);
    const before = await backend().queue(QUEUES.evaluateCpu).getJob(jobId);
    expect(await before?.getState()).toBe('waiting');
    const mutations: [string, string][] = [
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/retry/failed`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/retry/completed`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/clean/waiting`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/${jobId}/clean`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/${jobId}/retry`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/${jobId}/promote`],
      ['PATCH', `/api/queues/${QUEUES.evaluateCpu}/${jobId}/update-data`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/empty`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/obliterate`],
      ['PUT', `/api/queues/${QUEUES.evaluateCpu}/pause`],
      ['PUT', '/api/queues/pause'],
      ['POST', `/api/queues/${QUEUES.evaluateCpu}/add`],
      ['DELETE', `/api/queues/${QUEUES.evaluateCpu}/${jobId}`],
    ];
    for (const [method, path] of mutations) {
      for (const token of [admin, participant, undefined]) {
        const res = await board(path, token, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', data: { submissionId: 'evil' } }) });
        expect([method, path, res.status]).toEqual([method, path, 405]);
        expect(res.headers.get('allow')).toBe('GET, HEAD');
        await expectError(res, 405, 'method_not_allowed');
      }
    }
    const after = await backend().queue(QUEUES.evaluateCpu).getJob(jobId);
    expect(await after?.getState()).toBe('waiting');
    expect(after?.data).toEqual(before?.data);
    expect(after?.attemptsMade).toBe(0);
    for (const name of Object.values(QUEUES)) expect(await backend().queue(name).isPaused()).toBe(false);
    const listed = await queues(admin);
    expect(listed.find((q) => q.name === QUEUES.evaluateCpu)?.counts.waiting).toBe(1);
    expect(listed.reduce((n, q) => n + Object.values(q.counts).reduce((a, b) => a + b, 0), 0)).toBe(1);
    const [{ status }] = await stack.sql<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [submissionId]);
    expect(status).toBe('queued');
  });

  it('answers an unknown path under the board with 404 in the one error shape', async () => {
    await expectError(await board('/no/such/page', admin), 404, 'not_found');
  });

  // Last: it spends this stack's budget of new-token checks.
  it('spends the API’s per-address budget of new-token checks, so made-up tokens cannot burn scrypt through the board', async () => {
    let refused: Response | undefined;
    for (let i = 0; i <= AUTH_CHECKS_PER_MINUTE && !refused; i++) {
      const res = await board('/api/queues', `sv_made_up_${i}`);
      if (res.status === 429) refused = res;
      else await expectError(res, 401, 'unauthorized');
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused!.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String), details: [expect.objectContaining({ field: 'rateLimit.auth' })] } });
    // An admin's token this process already checked costs no scrypt, so it still gets in.
    expect((await board('/api/queues', admin)).status).toBe(200);
  });
});

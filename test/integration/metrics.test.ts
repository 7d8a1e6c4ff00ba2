import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { evaluationJobId, QUEUES } from '../../src/core/queue/jobs.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../src/core/queue/queue-backend.js';
import { QUEUE_STATES } from '../../src/modules/metrics/metrics.service.js';
import * as client from '../support/client.js';
import { waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/** One sample of a scrape: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, the samples only (HELP and TYPE lines are skipped). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
      return { name: m[1], labels, value: Number(m[3]) };
    });
}

/** The value of the one sample with this name and these labels (others may exist); undefined when absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const SUBMIT_ROUTE = '/api/v1/challenges/:slug/submissions';

describe('/metrics, request ids and readiness (the default queue backend: PostgreSQL)', () => {
  let stack: Stack;
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });

  const scrape = async (): Promise<{ text: string; samples: Sample[] }> => {
    const res = await fetch(`${stack.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, samples: parse(text) };
  };

  /** Submits a file as `token` (who joined `slug`), sending `requestId` as X-Request-Id when given. */
  const submitWithId = async (token: string, slug: string, file: Buffer, requestId?: string) => {
    await client.join(stack.url, token, slug);
    const form = new FormData();
    form.set('file', new Blob([file]), 'selection.csv');
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(requestId ? { 'x-request-id': requestId } : {}) };
    const res = await fetch(`${stack.url}/api/v1/challenges/${slug}/submissions`, { method: 'POST', headers, body: form });
    expect(res.status).toBe(202);
    return { id: ((await res.json()) as { id: string }).id, requestId: res.headers.get('x-request-id') };
  };

  beforeAll(async () => {
    stack = await startStack({
      storage: 'filesystem',
      queue: 'postgres',
      worker: true,
      env: { LOG_LEVEL: 'info' },
      log: sink,
      challenges: [
        { from: 'digits-selection', slug: 'digits' },
        { from: 'digits-selection', slug: 'hush-draft' },
      ],
    });
  }, 90_000);
  afterAll(() => stack?.stop(), 30_000);

  it('changes the named series after a submission is scored, with the request id from the client to the worker’s log line', async () => {
    const token = await client.register(stack.url, 'scraped');
    const file = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const before = (await scrape()).samples;
    const requestId = `metrics-test.${randomUUID()}`;

    const { id, requestId: echoed } = await submitWithId(token, 'digits', file, requestId);
    expect(echoed).toBe(requestId);
    const s = await client.settled(stack.url, token, id);
    expect(s.status).toBe('scored');
    const trainer = s.trainer!.name;
    const { text, samples: after } = await scrape();

    const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(delta('sieve_submissions_total', { challenge: 'digits', status: 'scored' })).toBe(1);
    expect(valueOf(after, 'sieve_submissions_unfinished', { challenge: 'digits', status: 'queued' }) ?? 0).toBe(0);
    const evaluation = { challenge: 'digits', trainer };
    expect(delta('sieve_evaluation_duration_seconds_count', evaluation)).toBe(1);
    expect(valueOf(after, 'sieve_evaluation_duration_seconds_bucket', { ...evaluation, le: '+Inf' })).toBe(valueOf(after, 'sieve_evaluation_duration_seconds_count', evaluation));
    expect(valueOf(after, 'sieve_evaluation_duration_seconds_sum', evaluation)).toBeGreaterThan(0);
    expect(delta('sieve_http_request_duration_seconds_count', { method: 'POST', route: SUBMIT_ROUTE, status: '202' })).toBe(1);
    expect(valueOf(after, 'sieve_database_up')).toBe(1);
    for (const queue of Object.values(QUEUES)) {
      expect(valueOf(after, 'sieve_queue_up', { queue })).toBe(1);
      for (const state of QUEUE_STATES) expect(valueOf(after, 'sieve_queue_jobs', { queue, state })).toEqual(expect.any(Number));
    }
    expect(valueOf(after, 'sieve_process_cpu_user_seconds_total')).toEqual(expect.any(Number));
    // Patterns, never raw URLs: no label names a submission.
    expect(text).not.toContain(id);

    // The request id went into the job, and the worker logged the evaluation with it.
    const job = await stack.api.get<QueueBackend>(QUEUE_BACKEND).queue(QUEUES.evaluateCpu).getJob(evaluationJobId(id));
    expect(job?.data).toEqual({ submissionId: id, requestId });
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'submission accepted', submissionId: id, requestId }));
    const scored = await waitUntil(async () => logLines.find((l) => l.msg === 'submission scored' && l.submissionId === id), 5000, 'the worker’s log line');
    expect(scored).toMatchObject({ requestId, jobId: evaluationJobId(id), challenge: 'digits' });
  }, 120_000);

  it('counts failures by code', async () => {
    const [row] = await stack.sql<{ id: string }>(`SELECT s.id FROM submissions s JOIN challenges c ON c.id = s.challenge_id WHERE c.slug = 'digits' AND s.status = 'scored' LIMIT 1`);
    const before = (await scrape()).samples;
    // A failure the API cannot be made to produce on demand (an evaluation timing out), recorded as a worker would.
    await stack.sql(
      `INSERT INTO submissions (id, challenge_id, challenge_version, account_id, status, queue, phase, file_key, file_bytes, file_sha256, item_count, error_code, error_message, started_at, finished_at)
       SELECT gen_random_uuid(), challenge_id, challenge_version, account_id, 'failed', queue, phase, file_key, file_bytes, file_sha256, item_count, 'timeout', 'took too long', now(), now()
         FROM submissions WHERE id = $1`,
      [row.id],
    );
    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string>) => (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
    expect(delta('sieve_submission_failures_total', { challenge: 'digits', code: 'timeout' })).toBe(1);
    expect(delta('sieve_submissions_total', { challenge: 'digits', status: 'failed' })).toBe(1);
    // A failed evaluation has no trainer: the duration histogram counts scored ones only.
    const evaluations = (samples: Sample[]) => samples.filter((x) => x.name === 'sieve_evaluation_duration_seconds_count' && x.labels.challenge === 'digits').reduce((n, x) => n + x.value, 0);
    expect(evaluations(after)).toBe(evaluations(before));
  }, 60_000);

  it('never names a draft challenge', async () => {
    const token = await client.register(stack.url, 'drafted');
    const { id } = await submitWithId(token, 'hush-draft', await readFile('challenges/digits-selection/baselines/random.csv'));
    expect((await client.settled(stack.url, token, id)).status).toBe('scored');
    expect((await scrape()).text).toContain('challenge="hush-draft"');

    await stack.sql(`UPDATE challenges SET status = 'draft' WHERE slug = 'hush-draft'`);
    const { text, samples } = await scrape();
    expect(text).not.toContain('hush-draft');
    expect(samples.flatMap((s) => Object.values(s.labels)).filter((v) => v.includes('hush'))).toEqual([]);
    expect(valueOf(samples, 'sieve_submissions_total', { challenge: 'digits', status: 'scored' })).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('labels requests by route pattern, and unknown paths as unmatched', async () => {
    const token = await client.register(stack.url, 'prober');
    const missing = randomUUID();
    expect((await fetch(`${stack.url}/api/v1/submissions/${missing}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${stack.url}/api/v1/no-such-thing/${missing}`)).status).toBe(404);
    expect((await fetch(`${stack.url}/no-such-thing/${missing}`)).status).toBe(404);
    const { text, samples } = await scrape();
    expect(text).not.toContain(missing);
    expect(valueOf(samples, 'sieve_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/submissions/:id', status: '404' })).toBeGreaterThanOrEqual(1);
    // Both unknown paths, under the API prefix and outside it, share one label.
    expect(valueOf(samples, 'sieve_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('answers every request with a request id: the client’s when sane, else a fresh one', async () => {
    const id = async (header?: string) => (await fetch(`${stack.url}/healthz`, { headers: header === undefined ? {} : { 'x-request-id': header } })).headers.get('x-request-id');
    expect(await id('probe-1')).toBe('probe-1');
    expect(await id()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await id('no spaces allowed')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await id('x'.repeat(129))).toMatch(/^[0-9a-f-]{36}$/);
    // Refused requests too (here by the account gate, before any handler).
    const refused = await fetch(`${stack.url}/api/v1/accounts/me`, { headers: { 'x-request-id': 'refused-1' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('refused-1');
  });
});

describe('/metrics behind METRICS_TOKEN, and readiness when storage is down (Redis, S3)', () => {
  const secret = `scrape-${randomUUID()}`;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 's3', queue: 'redis', env: { METRICS_TOKEN: secret } });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  const get = (path: string, authorization?: string) => fetch(`${stack.url}${path}`, { headers: authorization ? { authorization } : {} });

  it('refuses a scrape without the token, with a wrong one and with an account’s token', async () => {
    const account = await client.register(stack.url, 'not-a-scraper');
    for (const authorization of [undefined, `Bearer ${secret}x`, `Bearer ${secret.slice(0, -1)}`, `Basic ${secret}`, `Bearer ${account}`]) {
      const res = await get('/metrics', authorization);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized', message: expect.stringContaining('METRICS_TOKEN') } });
    }
  });

  it('serves it with the token, the Redis queue backend included', async () => {
    const res = await get('/metrics', `Bearer ${secret}`);
    expect(res.status).toBe(200);
    const samples = parse(await res.text());
    for (const queue of Object.values(QUEUES)) {
      expect(valueOf(samples, 'sieve_queue_up', { queue })).toBe(1);
      for (const state of QUEUE_STATES) expect(valueOf(samples, 'sieve_queue_jobs', { queue, state })).toBe(0);
    }
    // Many scrapes in a row: never rate limited, and a known-bad token is no failed account-token check.
    for (let i = 0; i < 5; i++) expect((await get('/metrics', `Bearer ${secret}`)).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('reports database, queue backend and storage on /readyz, and answers 503 in the error shape when one is down', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });

    await stack.s3!.stop();
    const started = Date.now();
    const down = await waitUntil(async () => {
      const res = await get('/readyz');
      return res.status === 503 ? res : undefined;
    }, 15_000, '/readyz to report storage down');
    expect(Date.now() - started).toBeLessThan(10_000);
    const body = (await down.json()) as { error: { code: string; details: { field: string; message: string }[] } };
    expect(body.error.code).toBe('not_ready');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        { field: 'database', message: 'ok' },
        { field: 'queue', message: 'ok' },
        { field: 'storage', message: expect.not.stringMatching(/^ok$/) },
      ]),
    );
  }, 30_000);
});

import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import * as client from '../support/client.js';
import { waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local receiver: records every POST; answers each path from a script of statuses (then 200). */
async function receiver(script: Record<string, number[]>): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = script[req.url ?? '']?.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, got, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Webhooks through the real API and worker: signed, retried after a 500, logged, and only to who may know. */
describe('webhooks', () => {
  let stack: Stack;
  let hooks: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    hooks = await receiver({ '/ada': [500] });
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      worker: true,
      challenges: [{ from: 'digits-selection', slug: 'hooked' }],
      // The receiver is on loopback, which a real server refuses (see webhook-http.spec.ts).
      env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_POLL_MS: '100' },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await hooks?.close();
  }, 30_000);

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${stack.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('tells a participant their submission scored, signed, retrying after a 500, and keeps the delivery log', async () => {
    const [ada, bob] = [await client.register(stack.url, 'hook-ada'), await client.register(stack.url, 'hook-bob')];
    for (const token of [ada, bob]) await client.join(stack.url, token, 'hooked');
    const created = await call('POST', '/challenges/hooked/webhooks', ada, { url: `${hooks.url}/ada`, events: ['submission.scored', 'submission.failed'] });
    expect(created.status).toBe(201);
    const { id: hookId, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify((await call('GET', '/challenges/hooked/webhooks', ada)).body)).not.toContain(secret);
    // Bob's hook must hear nothing of Ada's submission.
    expect((await call('POST', '/challenges/hooked/webhooks', bob, { url: `${hooks.url}/bob`, events: ['submission.scored'] })).status).toBe(201);

    const id = await client.submit(stack.url, ada, 'hooked', await readFile('challenges/digits-selection/baselines/balanced.csv'));
    expect((await client.settled(stack.url, ada, id)).status).toBe('scored');
    await waitUntil(async () => hooks.got.filter((r) => r.path === '/ada').length >= 2, 20_000, 'the retried delivery');

    const [first, second] = hooks.got.filter((r) => r.path === '/ada');
    expect(second.body).toBe(first.body);
    expect(second.headers['x-sieve-delivery']).toBe(first.headers['x-sieve-delivery']);
    const payload = JSON.parse(second.body) as { event: string; challenge: string; submission: { id: string; status: string } };
    expect(payload).toMatchObject({ event: 'submission.scored', challenge: 'hooked', submission: { id, status: 'scored' } });
    expect(second.body).not.toMatch(/score"|metrics|macro_f1/);
    const timestamp = second.headers['x-sieve-timestamp'] as string;
    const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${second.body}`).digest('hex')}`;
    expect(second.headers['x-sieve-signature']).toBe(expected);
    expect(second.headers['x-sieve-event']).toBe('submission.scored');

    const log = await waitUntil(async () => {
      const body = (await call('GET', `/webhooks/${hookId}/deliveries`, ada)).body as unknown as { status: string; attempts: number; responseStatus: number }[];
      return body[0]?.status === 'delivered' ? body : undefined;
    }, 10_000, 'the delivery to be logged');
    expect(log).toEqual([expect.objectContaining({ event: 'submission.scored', status: 'delivered', attempts: 2, responseStatus: 200 })]);
    expect(hooks.got.filter((r) => r.path === '/bob')).toEqual([]);
    // Nobody else reads or deletes Ada's hook.
    expect((await call('GET', `/webhooks/${hookId}/deliveries`, bob)).status).toBe(404);
    expect((await call('DELETE', `/webhooks/${hookId}`, bob)).status).toBe(404);
    expect((await call('DELETE', `/webhooks/${hookId}`, ada)).status).toBe(200);
  }, 60_000);

  it('tells the organizers when a phase closes, once', async () => {
    const admin = (await stack.api.get(AccountsService).create('hook-admin', 'admin')).token;
    expect((await call('POST', '/challenges/hooked/webhooks', admin, { url: `${hooks.url}/phases`, events: ['phase.closed'] })).status).toBe(201);
    const closes = new Date(Date.now() + 1500).toISOString();
    expect((await call('PATCH', '/challenges/hooked', admin, { phases: [{ name: 'sprint', opens: '2020-01-01T00:00:00Z', closes }] })).status).toBe(200);
    const got = await waitUntil(async () => hooks.got.find((r) => r.path === '/phases'), 15_000, 'phase.closed');
    expect(JSON.parse(got.body)).toMatchObject({ event: 'phase.closed', challenge: 'hooked', phase: { name: 'sprint' } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(hooks.got.filter((r) => r.path === '/phases')).toHaveLength(1);
  }, 30_000);

  it('refuses a URL it would not call, saying why', async () => {
    const token = await client.register(stack.url, 'hook-eve');
    await client.join(stack.url, token, 'hooked');
    const res = await call('POST', '/challenges/hooked/webhooks', token, { url: 'ftp://example.org/hook', events: ['submission.scored'] });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).toContain('http:// or https://');
  });
});

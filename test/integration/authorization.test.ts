import { readFile } from 'node:fs/promises';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { copyChallenge, packChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { routesOf } from '../support/routes.js';
import { type Stack, startStack } from '../support/stack.js';

const ACTORS = ['anonymous', 'participant', 'otherTeam', 'otherOrganizer', 'organizer', 'admin'] as const;
type Actor = (typeof ACTORS)[number];

/** One set of callers, each standing as its name says towards challenge "alpha". */
interface Cast {
  token: Record<Actor, string | null>;
  id: Record<Actor, string | null>;
  name: Record<Actor, string | null>;
  /** A queued submission of the participant's team. */
  submission: string;
}

interface Call {
  path?: string;
  body?: unknown;
  file?: Buffer;
  /** The multipart field of `file`. */
  field?: string;
  /** An HTML form's fields (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
}

interface Row {
  /** The status for each caller: anonymous, participant, participant of another team, organizer of another challenge, organizer of this challenge, admin. */
  expect: [number, number, number, number, number, number];
  /** Builds one caller's request (and sets up what it needs); default: the route with the shared fixture's ids. */
  call?: (actor: Actor, cast: Cast) => Promise<Call> | Call;
  /** The route changes the caller's own standing: each caller is a fresh account of its kind. */
  fresh?: boolean;
  /** The audit action a successful call must append. */
  audit?: string;
  /** Run after the row (restores shared state). */
  after?: () => Promise<void>;
  /** A stream that stays open (server-sent events): only its status is read. */
  stream?: boolean;
  /** A web page or form: refusals are pages (HTML), a GET that needs an account redirects to sign in (303), a form's success redirects (303). */
  page?: boolean;
}

describe('authorization matrix: every route × every kind of caller', () => {
  let stack: Stack;
  let cast: Cast;
  let rescoreRun: string;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}`;
  const baseline = () => readFile('challenges/fashion-selection/baselines/random.csv');

  const request = async (method: string, path: string, token: string | null, call: Call = {}) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    let body: FormData | string | undefined;
    if (call.file) {
      const form = new FormData();
      form.set(call.field ?? 'file', new Blob([call.file]), call.field === 'bundle' ? 'bundle.tar.gz' : 'file.csv');
      body = form;
    } else if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.form).toString();
    } else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    return fetch(`${stack.url}${path}`, { method, headers, body, redirect: 'manual' });
  };

  const json = async <T>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  const admin = async (): Promise<string> => (await stack.api.get(AccountsService).create(unique('admin'), 'admin')).token;

  /** A participant of alpha in a team of their own, optionally with one queued submission. */
  const participant = async (withSubmission: boolean) => {
    const name = unique('participant');
    const token = await client.register(stack.url, name);
    await client.join(stack.url, token, 'alpha');
    await json(await request('POST', '/api/v1/challenges/alpha/teams', token, { body: { name: unique('team') } }), 201);
    const submission = withSubmission ? await client.submit(stack.url, token, 'alpha', await baseline()) : '';
    const me = await json<{ id: string }>(await request('GET', '/api/v1/accounts/me', token), 200);
    return { name, token, id: me.id, submission };
  };

  /** An organizer-role account collaborating on `slug`. */
  const organizer = async (slug: string, by: string) => {
    const created = await stack.api.get(AccountsService).create(unique('organizer'), 'organizer');
    await json(await request('POST', `/api/v1/challenges/${slug}/collaborators`, by, { body: { name: created.name } }), 201);
    return created;
  };

  const newCast = async (): Promise<Cast> => {
    const adminToken = await admin();
    const [p, q] = [await participant(true), await participant(false)];
    const [o2, o1] = [await organizer('beta', adminToken), await organizer('alpha', adminToken)];
    const adminMe = await json<{ id: string; name: string }>(await request('GET', '/api/v1/accounts/me', adminToken), 200);
    return {
      token: { anonymous: null, participant: p.token, otherTeam: q.token, otherOrganizer: o2.token, organizer: o1.token, admin: adminToken },
      id: { anonymous: null, participant: p.id, otherTeam: q.id, otherOrganizer: o2.id, organizer: o1.id, admin: adminMe.id },
      name: { anonymous: null, participant: p.name, otherTeam: q.name, otherOrganizer: o2.name, organizer: o1.name, admin: adminMe.name },
      submission: p.submission,
    };
  };

  const openAgain = () =>
    stack
      .sql(`UPDATE challenge_versions v SET spec = v.spec - 'phases' FROM challenges c WHERE c.id = v.challenge_id AND c.slug = 'alpha' AND v.version = c.current_version`)
      .then(() => undefined);
  const setStatus = (status: string) => stack.sql(`UPDATE challenges SET status = $1 WHERE slug = 'alpha'`, [status]).then(() => undefined);
  /** One hook of the shared participant's, for the read-only rows (a participant may have 10). */
  let hookOfCast: string | undefined;
  const participantHook = async (c: Cast) =>
    (await json<{ id: string }>(await request('POST', '/api/v1/challenges/alpha/webhooks', c.token.participant, { body: { url: 'https://hooks.example.org/p', events: ['phase.closed'] } }), 201)).id;
  const freshSubmission = async (c: Cast) => client.submit(stack.url, c.token.participant!, 'alpha', await baseline());

  const ROWS: Record<string, Row> = {
    'GET /healthz': { expect: [200, 200, 200, 200, 200, 200] },
    'GET /readyz': { expect: [200, 200, 200, 200, 200, 200] },
    'GET /docs': { expect: [200, 200, 200, 200, 200, 200] },
    'GET /api/v1/openapi.json': { expect: [200, 200, 200, 200, 200, 200] },
    // Public while METRICS_TOKEN is unset (metrics.test.ts covers it set); an account's token is not read.
    'GET /metrics': { expect: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/accounts': { expect: [201, 201, 201, 201, 201, 201], call: () => ({ body: { name: unique('newcomer') } }) },
    'GET /api/v1/accounts/me': { expect: [401, 200, 200, 200, 200, 200] },
    'PUT /api/v1/accounts/:id/role': {
      expect: [401, 403, 403, 403, 403, 200],
      audit: 'account.role',
      call: async () => {
        const target = await json<{ id: string }>(await request('POST', '/api/v1/accounts', null, { body: { name: unique('promoted') } }), 201);
        return { path: `/api/v1/accounts/${target.id}/role`, body: { role: 'organizer' } };
      },
    },
    'GET /api/v1/tokens': { expect: [401, 200, 200, 200, 200, 200] },
    'POST /api/v1/tokens': { expect: [401, 201, 201, 201, 201, 201], call: () => ({ body: { name: 'matrix', scopes: ['read'] } }) },
    'DELETE /api/v1/tokens/:id': {
      // Only the token's own account can revoke it; to anyone else it does not exist.
      expect: [401, 200, 404, 404, 404, 404],
      call: async (_actor, c) => {
        const token = await json<{ id: string }>(await request('POST', '/api/v1/tokens', c.token.participant, { body: { name: 'to revoke', scopes: ['read'] } }), 201);
        return { path: `/api/v1/tokens/${token.id}` };
      },
    },
    'GET /api/v1/challenges': { expect: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/challenges': {
      // Any organizer-role account may create a challenge (it becomes its owner); participants may not.
      expect: [401, 403, 403, 201, 201, 201],
      audit: 'challenge.create',
      call: async () => {
        const slug = unique('uploaded');
        await copyChallenge(stack.challengesDir, 'digits-selection', slug);
        return { file: await packChallenge(stack.challengesDir, slug), field: 'bundle' };
      },
    },
    'POST /api/v1/challenges/:slug/versions': {
      // The same bundle again: checked, and unchanged.
      expect: [401, 403, 403, 403, 201, 201],
      audit: 'challenge.version',
      call: async () => ({ file: await packChallenge(stack.challengesDir, 'alpha'), field: 'bundle' }),
    },
    'GET /api/v1/challenges/:slug': { expect: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/challenges/:slug/join': {
      // Joining again is a 200; an organizer of another challenge may compete here; organizers and admins may not compete in what they run.
      expect: [401, 200, 200, 201, 409, 409],
      fresh: true,
      call: () => ({ body: { acceptRules: true } }),
    },
    'GET /api/v1/challenges/:slug/pool': { expect: [401, 200, 200, 403, 200, 200] },
    'GET /api/v1/challenges/:slug/dev': { expect: [401, 200, 200, 403, 200, 200] },
    'GET /api/v1/challenges/:slug/files/:role': { expect: [401, 200, 200, 403, 200, 200], call: () => ({ path: '/api/v1/challenges/alpha/files/pool' }) },
    'GET /api/v1/challenges/:slug/leaderboard': { expect: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/challenges/:slug/submissions': { expect: [401, 202, 202, 403, 403, 403], call: async () => ({ file: await baseline() }) },
    'GET /api/v1/challenges/:slug/submissions': { expect: [401, 200, 200, 403, 200, 200] },
    'PUT /api/v1/challenges/:slug/final-submissions': { expect: [401, 200, 200, 403, 403, 403], call: () => ({ body: { submissionIds: [] } }) },
    'GET /api/v1/submissions/:id': { expect: [401, 200, 404, 404, 200, 200] },
    'GET /api/v1/submissions/:id/events': { expect: [401, 200, 404, 404, 200, 200], stream: true },
    'POST /api/v1/submissions/:id/cancel': {
      // Organizers disqualify rather than cancel; another team cannot even see it.
      expect: [401, 200, 404, 404, 403, 200],
      call: async (_actor, c) => ({ path: `/api/v1/submissions/${await freshSubmission(c)}/cancel` }),
    },
    'POST /api/v1/submissions/:id/disqualify': {
      expect: [401, 403, 403, 404, 200, 200],
      audit: 'submission.disqualify',
      call: async (_actor, c) => ({ path: `/api/v1/submissions/${await freshSubmission(c)}/disqualify`, body: { reason: 'matrix check' } }),
    },
    'POST /api/v1/challenges/:slug/teams': {
      // Both participants are in a team already: they pass the gate and meet the rule.
      expect: [401, 409, 409, 403, 403, 403],
      call: () => ({ body: { name: unique('another-team') } }),
    },
    'GET /api/v1/challenges/:slug/team': { expect: [401, 200, 200, 403, 403, 403] },
    'POST /api/v1/challenges/:slug/team/invites': { expect: [401, 201, 201, 403, 403, 403] },
    'POST /api/v1/challenges/:slug/team/accept': {
      // An invitation into the participant's team: they are in it already; the other team (no submissions) merges in.
      expect: [401, 409, 200, 403, 403, 403],
      fresh: true,
      call: async (_actor, c) => {
        const invite = await json<{ token: string }>(await request('POST', '/api/v1/challenges/alpha/team/invites', c.token.participant), 201);
        return { body: { token: invite.token } };
      },
    },
    'POST /api/v1/challenges/:slug/team/leave': {
      // The participant's team has submitted: nobody leaves it; the other team has not.
      expect: [401, 409, 200, 403, 403, 403],
      fresh: true,
    },
    'PATCH /api/v1/challenges/:slug': { expect: [401, 403, 403, 403, 200, 200], audit: 'challenge.schedule', call: () => ({ body: { limits: { maxFileBytes: 1048576 } } }) },
    'POST /api/v1/challenges/:slug/open': {
      expect: [401, 403, 403, 403, 200, 200],
      audit: 'challenge.open',
      call: async () => {
        await setStatus('closed');
        return {};
      },
      after: () => setStatus('open'),
    },
    'POST /api/v1/challenges/:slug/close': {
      expect: [401, 403, 403, 403, 200, 200],
      audit: 'challenge.close',
      call: async () => {
        await setStatus('open');
        return {};
      },
      after: () => setStatus('open'),
    },
    // A challenge published from the repository has no stored baseline: organizers pass the gate and are told so.
    'POST /api/v1/challenges/:slug/dry-run': { expect: [401, 403, 403, 403, 422, 422] },
    'GET /api/v1/challenges/:slug/collaborators': { expect: [401, 403, 403, 403, 200, 200] },
    'POST /api/v1/challenges/:slug/collaborators': {
      expect: [401, 403, 403, 403, 201, 201],
      audit: 'challenge.collaborator_add',
      call: async () => ({ body: { name: (await stack.api.get(AccountsService).create(unique('helper'), 'organizer')).name } }),
    },
    'DELETE /api/v1/challenges/:slug/collaborators/:accountId': {
      expect: [401, 403, 403, 403, 200, 200],
      audit: 'challenge.collaborator_remove',
      call: async (_actor, c) => {
        const helper = await organizer('alpha', c.token.admin!);
        return { path: `/api/v1/challenges/alpha/collaborators/${helper.id}` };
      },
    },
    'POST /api/v1/challenges/:slug/disqualifications': {
      expect: [401, 403, 403, 403, 201, 201],
      audit: 'participant.disqualify',
      call: async () => {
        const name = unique('cheater');
        await client.join(stack.url, await client.register(stack.url, name), 'alpha');
        return { body: { participant: name, reason: 'matrix check' } };
      },
    },
    'GET /api/v1/challenges/:slug/submissions/export': { expect: [401, 403, 403, 403, 200, 200], audit: 'challenge.export_submissions' },
    'GET /api/v1/challenges/:slug/audit': { expect: [401, 403, 403, 403, 200, 200] },
    'GET /api/v1/audit': { expect: [401, 403, 403, 403, 403, 200] },
    'POST /api/v1/challenges/:slug/rescores': { expect: [401, 403, 403, 403, 202, 202], audit: 'challenge.rescore', call: () => ({ body: {} }) },
    'GET /api/v1/challenges/:slug/rescores': { expect: [401, 403, 403, 403, 200, 200] },
    'GET /api/v1/challenges/:slug/rescores/:id': { expect: [401, 403, 403, 403, 200, 200], call: () => ({ path: `/api/v1/challenges/alpha/rescores/${rescoreRun}` }) },
    // The web pages: the same rules as the API routes they mirror.
    'GET /': { expect: [200, 200, 200, 200, 200, 200], page: true },
    'GET /login': { expect: [200, 200, 200, 200, 200, 200], page: true },
    'GET /register': { expect: [200, 200, 200, 200, 200, 200], page: true },
    'GET /assets/:name': { expect: [200, 200, 200, 200, 200, 200], page: true, call: () => ({ path: '/assets/sieve.css' }) },
    'POST /login': { expect: [401, 303, 303, 303, 303, 303], page: true, call: (actor, c) => ({ form: { token: c.token[actor] ?? 'sieve_not-a-real-token', next: '/' } }) },
    'POST /register': { expect: [201, 201, 201, 201, 201, 201], page: true, call: () => ({ form: { name: unique('web') } }) },
    'POST /logout': { expect: [401, 303, 303, 303, 303, 303], page: true, call: () => ({ form: {} }) },
    'GET /c/:slug': { expect: [200, 200, 200, 200, 200, 200], page: true },
    'GET /c/:slug/leaderboard': { expect: [200, 200, 200, 200, 200, 200], page: true },
    'POST /c/:slug/join': { expect: [401, 303, 303, 303, 409, 409], page: true, fresh: true, call: () => ({ form: { acceptRules: 'yes' } }) },
    'POST /c/:slug/submit': { expect: [401, 303, 303, 403, 403, 403], page: true, call: async () => ({ file: await baseline() }) },
    'GET /c/:slug/submissions': { expect: [303, 200, 200, 403, 200, 200], page: true },
    'GET /c/:slug/submissions/:id': { expect: [303, 200, 404, 404, 200, 200], page: true },
    'GET /c/:slug/organize': { expect: [303, 403, 403, 403, 200, 200], page: true },
    'POST /c/:slug/organize/rescore': { expect: [401, 403, 403, 403, 303, 303], page: true, audit: 'challenge.rescore', call: () => ({ form: {} }) },
    'POST /c/:slug/organize/phases/:phase/close': {
      expect: [401, 403, 403, 403, 303, 303],
      page: true,
      audit: 'challenge.schedule',
      // alpha has no phases: each caller finds its one phase, "open", open again.
      call: async () => {
        await openAgain();
        return { path: '/c/alpha/organize/phases/open/close', form: {} };
      },
      after: openAgain,
    },
    'GET /api/v1/workers': { expect: [401, 403, 403, 403, 403, 200] },
    'POST /api/v1/challenges/:slug/webhooks': {
      // Whoever takes part in the challenge; an organizer of another one does not.
      expect: [401, 201, 201, 403, 201, 201],
      call: () => ({ body: { url: 'https://hooks.example.org/sieve', events: ['submission.scored'] } }),
    },
    'GET /api/v1/challenges/:slug/webhooks': { expect: [401, 200, 200, 403, 200, 200] },
    'DELETE /api/v1/webhooks/:id': {
      // Only its owner sees it at all.
      expect: [401, 200, 404, 404, 404, 404],
      call: async (_actor, c) => ({ path: `/api/v1/webhooks/${await participantHook(c)}` }),
    },
    'GET /api/v1/webhooks/:id/deliveries': {
      expect: [401, 200, 404, 404, 404, 404],
      call: async (_actor, c) => ({ path: `/api/v1/webhooks/${(hookOfCast ??= await participantHook(c))}/deliveries` }),
    },
  };

  beforeAll(async () => {
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      challenges: [
        { from: 'fashion-selection', slug: 'alpha' },
        { from: 'digits-selection', slug: 'beta' },
      ],
    });
    cast = await newCast();
    rescoreRun = (await json<{ id: string }>(await request('POST', '/api/v1/challenges/alpha/rescores', cast.token.admin, { body: {} }), 202)).id;
  }, 120_000);

  afterAll(() => stack?.stop(), 30_000);

  it('has an entry for every route the application serves, and no entry for a route it does not', () => {
    expect(Object.keys(ROWS).sort()).toEqual(routesOf(stack.api));
  });

  it.each(Object.keys(ROWS))('%s', async (route) => {
    const row = ROWS[route];
    const [method, pattern] = route.split(' ');
    const casts = row.fresh ? Object.fromEntries(await Promise.all(ACTORS.map(async (a) => [a, await newCast()] as const))) : null;
    const got: Record<string, number> = {};
    for (const actor of ACTORS) {
      const c = casts?.[actor] ?? cast;
      const call = (await row.call?.(actor, c)) ?? {};
      const path =
        call.path ??
        pattern
          .replace(':slug', 'alpha')
          .replace(':id', c.submission)
          .replace(':role', 'pool');
      const before = row.audit ? await auditCount(row.audit, c.id[actor]) : 0;
      const res = await request(method, path, c.token[actor], call);
      got[actor] = res.status;
      if (row.stream && res.ok) {
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        await res.body?.cancel();
        continue;
      }
      const text = await res.text();
      if (res.status >= 500) throw new Error(`${route} as ${actor}: ${res.status} ${text}`);
      if (res.status >= 400 && row.page) expect({ route, type: res.headers.get('content-type') }).toEqual({ route, type: expect.stringMatching(/^text\/html/) });
      else if (res.status >= 400) expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      if (res.status === 303 && method === 'GET') expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
      if (row.audit && res.status < 300) expect(await auditCount(row.audit, c.id[actor])).toBe(before + 1);
    }
    await row.after?.();
    expect(got).toEqual(Object.fromEntries(ACTORS.map((a, i) => [a, row.expect[i]])));
  }, 120_000);

  const auditCount = async (action: string, actorId: string | null) =>
    Number((await stack.sql<{ n: string }>(`SELECT count(*) AS n FROM audit_log WHERE action = $1 AND actor_id IS NOT DISTINCT FROM $2`, [action, actorId]))[0].n);

  it('keeps the audit log append-only: the database refuses to change or delete an entry, and no route writes to it', async () => {
    expect(await auditCount('challenge.rescore', cast.id.admin)).toBeGreaterThan(0);
    await expect(stack.sql(`UPDATE audit_log SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(stack.sql(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(stack.sql(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    expect(routesOf(stack.api).filter((r) => r.includes('audit') && !r.startsWith('GET '))).toEqual([]);
  });
});

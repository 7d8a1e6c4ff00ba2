import { readFile } from 'node:fs/promises';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import { copyChallenge, packChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; message: string }[] };
}

/** Tokens, teams and the organizer's path from an uploaded bundle to an open challenge, through the real API and worker. */
describe('accounts, teams and organizers', () => {
  let stack: Stack;
  let admin: string;

  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & ErrorBody };
  };
  const uploadBundle = async (token: string, archive: Buffer, path = '/challenges') => {
    const form = new FormData();
    form.set('bundle', new Blob([archive]), 'bundle.tar.gz');
    const res = await fetch(`${stack.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & ErrorBody };
  };

  beforeAll(async () => {
    stack = await startStack({
      storage: 's3',
      queue: 'redis',
      worker: true,
      challenges: [{ from: 'digits-selection', slug: 'capped', edit: (yaml) => yaml.replace(/^limits: .*$/m, 'limits: { maxFileBytes: 1048576, total: 3 }') }],
      env: { HIDDEN_DATA_BUCKETS: 'sieve-hidden-data' },
    });
    admin = (await stack.api.get(AccountsService).create('root', 'admin')).token;
  }, 120_000);

  afterAll(() => stack?.stop(), 30_000);

  describe('personal tokens', () => {
    it('stores only a salted scrypt hash, shows the token once, and lists tokens without secrets', async () => {
      const token = await client.register(stack.url, 'hasher');
      const rows = await stack.sql<{ lookup: string; secret_hash: string; scopes: string[] }>(`SELECT t.lookup, t.secret_hash, t.scopes FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.name = 'hasher'`);
      expect(rows).toHaveLength(1);
      expect(rows[0].secret_hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      expect(rows[0].scopes).toEqual(['read', 'submit']);
      expect(JSON.stringify(rows)).not.toContain(token.slice(6 + 16));
      const listed = await call('GET', '/tokens', token);
      expect(listed.status).toBe(200);
      expect(JSON.stringify(listed.body)).not.toContain(token);
      expect(JSON.stringify(listed.body)).not.toMatch(/scrypt|secret/);
    });

    it('limits what a token may do to its scopes, and never mints a stronger token', async () => {
      const full = await client.register(stack.url, 'scoped');
      const created = await call('POST', '/tokens', full, { name: 'read only', scopes: ['read'], expiresInDays: 7 });
      expect(created.status).toBe(201);
      const readOnly = created.body.token as string;
      expect(Date.parse(created.body.expiresAt as string) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
      expect((await call('GET', '/accounts/me', readOnly)).body).toMatchObject({ name: 'scoped', token: { name: 'read only', scopes: ['read'] } });
      const join = await call('POST', '/challenges/capped/join', readOnly, { acceptRules: true });
      expect(join.status).toBe(403);
      expect(join.body.error.code).toBe('insufficient_scope');
      expect(join.body.error.message).toContain('"submit"');
      const escalate = await call('POST', '/tokens', readOnly, { name: 'sneaky', scopes: ['read', 'submit'] });
      expect(escalate.status).toBe(422);
      expect(escalate.body.error.code).toBe('scope_not_allowed');
      // A participant's token never carries more than the role allows.
      const organize = await call('POST', '/tokens', full, { name: 'organizer', scopes: ['organize'] });
      expect(organize.status).toBe(422);
    });

    it('refuses an expired token, saying when it expired', async () => {
      const token = await client.register(stack.url, 'expiring');
      const short = await call('POST', '/tokens', token, { name: 'short', scopes: ['read'], expiresInDays: 1 });
      expect((await call('GET', '/accounts/me', short.body.token as string)).status).toBe(200);
      await stack.sql(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [short.body.id]);
      const refused = await call('GET', '/accounts/me', short.body.token as string);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toMatchObject({ code: 'token_expired', message: expect.stringContaining('expired on') });
      expect((await call('GET', '/accounts/me', token)).status).toBe(200);
    });

    it('refuses a revoked token at once (even one this server has just checked), and records when a token was last used', async () => {
      const token = await client.register(stack.url, 'revoker');
      const spare = await call('POST', '/tokens', token, { name: 'spare', scopes: ['read'] });
      const spareToken = spare.body.token as string;
      expect((await call('GET', '/accounts/me', spareToken)).status).toBe(200);
      const used = (await call('GET', '/tokens', token)).body as unknown as { id: string; lastUsedAt: string | null }[];
      expect(used.find((t) => t.id === spare.body.id)?.lastUsedAt).not.toBeNull();
      expect((await call('DELETE', `/tokens/${spare.body.id}`, token)).status).toBe(200);
      const refused = await call('GET', '/accounts/me', spareToken);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('token_revoked');
      expect((await call('DELETE', `/tokens/${spare.body.id}`, token)).status).toBe(409);
      // A read-only token cannot revoke a token that can do more than it.
      const reader = (await call('POST', '/tokens', token, { name: 'reader', scopes: ['read'] })).body.token as string;
      const first = ((await call('GET', '/tokens', token)).body as unknown as { id: string; name: string }[]).find((t) => t.name === 'first token')!;
      expect((await call('DELETE', `/tokens/${first.id}`, reader)).status).toBe(403);
    });

    it('answers a token it cannot verify with the same 401, whatever is wrong with it', async () => {
      const token = await client.register(stack.url, 'prober');
      const wrongSecret = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const unknownLookup = `sieve_${'Z'.repeat(16)}${token.slice(6 + 16)}`;
      for (const bad of [wrongSecret, unknownLookup, 'sieve_short', 'nonsense']) {
        const res = await call('GET', '/accounts/me', bad);
        expect(res.status).toBe(401);
        expect(res.body.error).toMatchObject({ code: 'unauthorized', message: 'The token is not valid' });
      }
    });
  });

  describe('teams', () => {
    const invite = async (token: string) => (await call('POST', '/challenges/capped/team/invites', token)).body.token as string;

    it('share their limits and their board entry; merging must fit the limits; nobody leaves a team that submitted', async () => {
      const [ada, bob, cy] = [await client.register(stack.url, 'team-ada'), await client.register(stack.url, 'team-bob'), await client.register(stack.url, 'team-cy')];
      const balanced = await readFile('challenges/digits-selection/baselines/balanced.csv');
      const random = await readFile('challenges/digits-selection/baselines/random.csv');
      // Ada submits alone, then forms a team: her submission comes along.
      const solo = await client.submit(stack.url, ada, 'capped', random);
      const team = await call('POST', '/challenges/capped/teams', ada, { name: 'Sieve Lovers' });
      expect(team.status).toBe(201);
      expect(team.body).toMatchObject({ name: 'Sieve Lovers', members: [{ name: 'team-ada' }] });
      // Bob has submitted alone too: joining makes two of the team's three.
      await client.submit(stack.url, bob, 'capped', balanced);
      const joined = await call('POST', '/challenges/capped/team/accept', bob, { token: await invite(ada) });
      expect(joined.status).toBe(200);
      expect((joined.body.members as { name: string }[]).map((m) => m.name).sort()).toEqual(['team-ada', 'team-bob']);
      // An invitation is used once.
      const second = await invite(ada);
      await client.join(stack.url, cy, 'capped');
      const cyTeam = await call('POST', '/challenges/capped/teams', cy, { name: 'Cy Alone' });
      expect(cyTeam.status).toBe(201);
      await client.submit(stack.url, cy, 'capped', random);
      await client.submit(stack.url, cy, 'capped', balanced);
      // Cy's team (2) into Ada's (2) would make 4 of 3: refused, and both teams stay as they were.
      const merge = await call('POST', '/challenges/capped/team/accept', cy, { token: second });
      expect(merge.status).toBe(409);
      expect(merge.body.error).toMatchObject({ code: 'merge_over_limits', message: expect.stringContaining('allows 3') });
      expect(((await call('GET', '/challenges/capped/team', cy)).body as unknown as { name: string }).name).toBe('Cy Alone');
      // The team's third submission is its last: Bob's fourth is refused, counted with Ada's.
      const third = await client.submit(stack.url, bob, 'capped', random);
      const fourth = await client.upload(stack.url, ada, 'capped', balanced);
      expect(fourth.status).toBe(429);
      expect(((await fourth.json()) as ErrorBody).error.message).toContain('3 of the 3');
      // Members see each other's submissions; the team is one board entry, under its name.
      expect((await call('GET', `/submissions/${solo}`, bob)).status).toBe(200);
      for (const id of [solo, third]) expect((await client.settled(stack.url, ada, id)).status).toBe('scored');
      const board = await client.leaderboard(stack.url, 'capped');
      const entries = board.entries as unknown as { participant: string; team: boolean }[];
      expect(entries.filter((e) => e.participant === 'Sieve Lovers')).toEqual([expect.objectContaining({ team: true })]);
      expect(entries.map((e) => e.participant)).not.toEqual(expect.arrayContaining(['team-ada']));
      expect(entries.map((e) => e.participant)).not.toEqual(expect.arrayContaining(['team-bob']));
      const leave = await call('POST', '/challenges/capped/team/leave', bob);
      expect(leave.status).toBe(409);
      expect(leave.body.error.code).toBe('team_has_submissions');
    }, 120_000);

    it('lets a member leave a team that has not submitted; the last one out removes it', async () => {
      const [dee, eve] = [await client.register(stack.url, 'team-dee'), await client.register(stack.url, 'team-eve')];
      await client.join(stack.url, dee, 'capped');
      await client.join(stack.url, eve, 'capped');
      expect((await call('POST', '/challenges/capped/teams', dee, { name: 'Short Lived' })).status).toBe(201);
      expect((await call('POST', '/challenges/capped/team/accept', eve, { token: await invite(dee) })).status).toBe(200);
      expect((await call('POST', '/challenges/capped/team/leave', eve)).status).toBe(200);
      expect((await call('GET', '/challenges/capped/team', eve)).status).toBe(404);
      expect((await call('POST', '/challenges/capped/team/leave', dee)).status).toBe(200);
      expect((await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM teams WHERE name = 'Short Lived'`))[0].n).toBe(0);
      // The name is free again.
      expect((await call('POST', '/challenges/capped/teams', eve, { name: 'short lived' })).status).toBe(201);
    });
  });

  describe('an organizer runs a challenge from an uploaded bundle', () => {
    let organizer: string;
    let organizerId: string;
    beforeAll(async () => {
      const created = await stack.api.get(AccountsService).create('orga', 'organizer');
      organizer = created.token;
      organizerId = created.id;
    });

    it('refuses a bundle whose hidden data points at storage it may not read, naming the field', async () => {
      await copyChallenge(stack.challengesDir, 'digits-selection', 'sneaky', (yaml) => yaml.replace('test: test.csv.gz', 'test: s3://sieve-test/submissions/someone-else.csv'));
      const res = await uploadBundle(organizer, await packChallenge(stack.challengesDir, 'sneaky'));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('invalid_bundle');
      expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'data.test' })]));
      expect((await call('GET', '/challenges/sneaky', admin)).status).toBe(404);
    });

    it('uploads a draft nobody else sees, opens it once the dry run scored, and audits every step', async () => {
      await copyChallenge(stack.challengesDir, 'digits-selection', 'uploaded-digits', (yaml) => yaml.replace(/^rules: \|\n( {2}.*\n)+/m, 'rules: Be kind. One account per person.\n').replace(/^license: .*$/m, 'license: CC-BY-4.0'));
      const created = await uploadBundle(organizer, await packChallenge(stack.challengesDir, 'uploaded-digits'));
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ slug: 'uploaded-digits', version: 1, outcome: 'created', status: 'draft', dryRun: { status: 'queued' } });
      const participant = await client.register(stack.url, 'early-bird');
      expect((await call('GET', '/challenges/uploaded-digits', participant)).status).toBe(404);
      expect(((await call('GET', '/challenges', null)).body as unknown as { slug: string }[]).map((c) => c.slug)).not.toContain('uploaded-digits');
      expect((await call('POST', '/challenges/uploaded-digits/join', participant, { acceptRules: true })).status).toBe(404);

      // The dry run scores on the worker; until then the draft cannot open.
      const dryRunId = (created.body.dryRun as { id: string }).id;
      const early = await call('POST', '/challenges/uploaded-digits/open', organizer);
      if (early.status === 409) expect(early.body.error.code).toBe('dry_run_not_scored');
      const dryRun = await client.settled(stack.url, organizer, dryRunId);
      expect(dryRun.status).toBe('scored');
      if (early.status !== 200) expect((await call('POST', '/challenges/uploaded-digits/open', organizer)).status).toBe(200);

      // Open: listed, with its rules; a participant joins (the time and version are recorded) and submits.
      const page = await call('GET', '/challenges/uploaded-digits', participant);
      expect(page.body).toMatchObject({ status: 'open', rules: 'Be kind. One account per person.', license: 'CC-BY-4.0', you: { organizer: null, joinedAt: null } });
      const joined = await call('POST', '/challenges/uploaded-digits/join', participant, { acceptRules: true });
      expect(joined.status).toBe(201);
      expect(joined.body).toMatchObject({ rulesVersion: 1, joinedAt: expect.any(String) });
      expect((await call('POST', '/challenges/uploaded-digits/join', participant, { acceptRules: false })).status).toBe(400);
      const submission = await client.submit(stack.url, participant, 'uploaded-digits', await readFile('challenges/digits-selection/baselines/random.csv'));
      expect((await client.settled(stack.url, participant, submission)).status).toBe('scored');
      // The dry run never shows on the board; the participant's submission does.
      const board = await client.leaderboard(stack.url, 'uploaded-digits');
      expect(board.entries.map((e) => e.submissionId)).toEqual([submission]);

      // The organizer closes every phase: submissions are refused with the dates.
      const edited = await call('PATCH', '/challenges/uploaded-digits', organizer, { phases: [{ name: 'main', opens: '2020-01-01T00:00:00Z', closes: '2020-02-01T00:00:00Z' }] });
      expect(edited.status).toBe(200);
      const late = await client.upload(stack.url, participant, 'uploaded-digits', await readFile('challenges/digits-selection/baselines/balanced.csv'));
      expect(late.status).toBe(409);
      const invalid = await call('PATCH', '/challenges/uploaded-digits', organizer, { phases: [{ name: 'Main Phase', opens: 'yesterday' }] });
      expect(invalid.status).toBe(422);
      expect(invalid.body.error.details.map((d) => d.field)).toEqual(expect.arrayContaining(['phases.0.name']));

      // Disqualified: off the board, with the reason shown to its author.
      const dq = await call('POST', `/submissions/${submission}/disqualify`, organizer, { reason: 'used the test labels' });
      expect(dq.status).toBe(200);
      expect(dq.body).toMatchObject({ disqualified: { reason: 'used the test labels' } });
      expect((await client.leaderboard(stack.url, 'uploaded-digits')).entries).toEqual([]);
      expect((await call('GET', `/submissions/${submission}`, participant)).body).toMatchObject({ disqualified: { reason: 'used the test labels' } });

      // Every step is in the audit log, with who, what, before and after; the export is CSV or JSON.
      const audit = (await call('GET', '/challenges/uploaded-digits/audit', organizer)).body as unknown as { action: string; actorId: string; before: unknown; after: unknown; reason: string | null }[];
      expect(audit.map((e) => e.action)).toEqual(['challenge.create', 'challenge.open', 'challenge.schedule', 'submission.disqualify']);
      expect(audit.every((e) => e.actorId === organizerId)).toBe(true);
      expect(audit[1]).toMatchObject({ before: { status: 'draft' }, after: { status: 'open' } });
      expect(audit[2]).toMatchObject({ before: { phases: null }, after: { phases: [expect.objectContaining({ name: 'main' })] } });
      expect(audit[3].reason).toBe('used the test labels');
      const csv = await fetch(`${stack.url}/api/v1/challenges/uploaded-digits/audit?format=csv`, { headers: { authorization: `Bearer ${organizer}` } });
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const lines = (await csv.text()).trim().split('\n');
      expect(lines[0]).toBe('id,at,actorId,actorName,action,challengeId,targetType,targetId,before,after,reason');
      expect(lines).toHaveLength(5);

      // The export lists both submissions, the dry run flagged, and no file or label.
      const exported = (await call('GET', '/challenges/uploaded-digits/submissions/export', organizer)).body as unknown as { id: string; dryRun: boolean; disqualifiedReason: string | null }[];
      expect(exported.map((r) => [r.id, r.dryRun, r.disqualifiedReason])).toEqual([
        [dryRunId, true, null],
        [submission, false, 'used the test labels'],
      ]);
      expect(JSON.stringify(exported)).not.toMatch(/file_key|fileKey|submissions\//);
    }, 180_000);

    it('lets the owner add a collaborator, who may then run the challenge; a participant account cannot be one', async () => {
      const helper = await stack.api.get(AccountsService).create('orga-helper', 'organizer');
      const participant = await client.register(stack.url, 'not-an-organizer');
      const refused = await call('POST', '/challenges/uploaded-digits/collaborators', organizer, { name: 'not-an-organizer' });
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toContain('organizer role');
      expect((await call('GET', '/challenges/uploaded-digits/audit', helper.token)).status).toBe(403);
      expect((await call('POST', '/challenges/uploaded-digits/collaborators', organizer, { name: 'orga-helper' })).status).toBe(201);
      expect((await call('GET', '/challenges/uploaded-digits/audit', helper.token)).status).toBe(200);
      expect((await call('POST', '/challenges/uploaded-digits/join', helper.token, { acceptRules: true })).status).toBe(409);
      // An admin makes the participant an organizer; the audit log has the change.
      const me = (await call('GET', '/accounts/me', participant)).body as unknown as { id: string };
      expect((await call('PUT', `/accounts/${me.id}/role`, admin, { role: 'organizer' })).status).toBe(200);
      const all = (await call('GET', '/audit', admin)).body as unknown as { action: string; targetId: string; after: unknown }[];
      expect(all.find((e) => e.action === 'account.role' && e.targetId === me.id)?.after).toEqual({ role: 'organizer' });
    });

    it('leaves nothing queued or running: every dry run and submission finished', async () => {
      await waitUntil(async () => (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE status IN ('queued', 'running')`))[0].n === 0, 60_000, 'every submission to finish');
    }, 70_000);
  });
});

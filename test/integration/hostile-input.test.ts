import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import { createStorage } from '../../src/core/storage/create-storage.js';
import type { StoragePort } from '../../src/core/storage/storage.port.js';
import { AccountsService } from '../../src/modules/accounts/accounts.service.js';
import * as client from '../support/client.js';
import { routesOf } from '../support/routes.js';
import { waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Hostile input through the real API (PostgreSQL, Redis, filesystem storage): SQL and
 * formula injection, path traversal, control characters, odd Unicode and JSON type
 * confusion in every text field of every JSON route and in every path parameter; hostile
 * multipart file names; formula cells in the CSV exports. Each answer is a 4xx with the
 * one error shape, or a 2xx where the value is legitimately accepted, and then it is stored
 * and served back exactly as sent. Never a 5xx, never a hang, nothing stored by a refusal,
 * and the server healthy afterwards.
 *
 * The transport cases (rate limits, streamed, slow and over-ceiling uploads, every shape of
 * malformed multipart, temp files) are test/integration/abuse.test.ts; here only enough of
 * them to show that the routes attacked below refuse a wrong content type, an oversized body
 * and a malformed upload without storing anything.
 */

const SLUG = 'alpha';
const API = '/api/v1';
const MiB = 1024 * 1024;
/** Longer than any request here may take: a "pg_sleep(5)" that ran would exceed it. */
const SLOW_MS = 4000;

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  text: string;
  contentType: string;
  ms: number;
}
interface Call {
  method: string;
  path: string;
  token?: string | null;
  /** Serialized as JSON with Content-Type: application/json. */
  body?: unknown;
}

// ---------------------------------------------------------------------------------------
// The hostile values
// ---------------------------------------------------------------------------------------

const HOSTILE: [label: string, value: unknown][] = [
  ['sql: quote OR', `' OR '1'='1`],
  ['sql: drop table', `'; DROP TABLE submissions; --`],
  ['sql: pg_sleep', `"; SELECT pg_sleep(5); --`],
  ['sql: within the name alphabet', 'Robert -- DROP TABLE teams'],
  ['formula: =HYPERLINK', '=HYPERLINK("http://x","y")'],
  ['formula: +cmd', `+cmd|' /C calc'!A0`],
  ['formula: @SUM', '@SUM(1+1)'],
  ['formula: -2+3', '-2+3'],
  ['path: ../../etc/passwd', '../../etc/passwd'],
  ['path: ..%2F..%2Fetc%2Fpasswd', '..%2F..%2Fetc%2Fpasswd'],
  ['path: %2e%2e/', '%2e%2e/'],
  ['path: /etc/passwd', '/etc/passwd'],
  ['path: C:\\Windows\\win.ini', 'C:\\Windows\\win.ini'],
  ['control: NUL', 'nul\u0000byte'],
  ['control: ESC, BEL, backspace', 'bell\u0007esc\u001b[31mred\u0008'],
  ['control: CRLF', 'line one\r\nline two'],
  ['long: 10,000 characters', 'x'.repeat(10_000)],
  ['unicode: RTL override', 'invoice\u202Etxt.exe'],
  ['unicode: zero-width joiner and non-joiner', 'zero\u200Dwidth\u200Cjoin'],
  ['unicode: emoji', 'launch 🚀 family 👩‍👩‍👧'],
  ['unicode: letters of other scripts', 'Ünïcödé مرحبا 名前'],
  ['unicode: lone surrogate', 'half\uD800pair'],
  ['type: array', ['a', 'b']],
  ['type: object', { nested: 'value' }],
  ['type: number', 42],
  ['type: boolean', true],
  ['type: null', null],
  ['type: object with a __proto__ key', JSON.parse('{"__proto__": {"role": "admin"}}') as unknown],
  ['type: object with a constructor key', { constructor: { prototype: { role: 'admin' } } }],
];

/** What the server must do with a value: accept it (2xx, stored verbatim), refuse it (4xx), or either. */
type Verdict = 'accept' | 'refuse' | 'either';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const never = (): Verdict => 'refuse';
/** A value as JSON with every character outside printable ASCII escaped, so a failure shows what differs. */
const shown = (v: unknown) => JSON.stringify(v)?.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** The account and team name rule: letters, digits, spaces, ".", "_" and "-", starting with a letter or digit, 2 to 64 characters. */
const accountName = (v: unknown): Verdict => (typeof v === 'string' && v.length >= 2 && v.length <= 64 && /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u.test(v) ? 'accept' : 'refuse');
const tokenName = (v: unknown): Verdict => (typeof v === 'string' && v.length <= 64 && /^[\p{L}\p{N} ._:@-]+$/u.test(v) && v === v.trim() ? 'accept' : 'refuse');
/**
 * Free text (a reason, a title): any printable text of the right length is accepted. Text
 * with control or format characters may be refused; if it is accepted it must come back
 * exactly (a NUL or a lone surrogate cannot be stored as sent, so those must be refused).
 */
const freeText =
  (min: number, max: number) =>
  (v: unknown): Verdict => {
    if (typeof v !== 'string' || v.trim().length < min || v.trim().length > max) return 'refuse';
    return hasControl(v) || LONE_SURROGATE.test(v) || /\p{Cf}/u.test(v) ? 'either' : 'accept';
  };

// ---------------------------------------------------------------------------------------

describe('hostile input: injection, traversal and type confusion in every field, nothing stored, never a 5xx', () => {
  let stack: Stack;
  let storage: StoragePort;
  let challengeId: string;
  let testIds: string[];
  /**
   * The hidden test ids found in a text, as whole ids only: "d0003" is a test id, but a
   * random UUID echoed in an error ("…4d00031f…") only contains the same characters.
   */
  const hiddenIdsIn = (text: string): string[] => testIds.filter((id) => new RegExp(`(?<![0-9A-Za-z])${id}(?![0-9A-Za-z])`).test(text));
  let baseline: Buffer;

  /** The callers: an admin, an organizer of alpha, a participant of alpha in a team, an account whose role is the target, a solo author, a spare organizer. */
  const who = { admin: '', organizer: '', organizerId: '', participant: '', participantTokenId: '', targetId: '', author: '', helperName: '' };
  let submissionOfParticipant = '';
  let rescoreRun = '';
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}`;

  /** One HTTP request on a connection of its own, the path sent byte for byte (no URL normalization). */
  const http = (method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<Answer> => {
    const { hostname, port } = new URL(stack.url);
    const started = Date.now();
    return new Promise((done, fail) => {
      const req = httpRequest(
        { host: hostname, port, method, path, agent: false, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? ''), ms: Date.now() - started }));
        },
      );
      req.on('error', fail);
      req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path.slice(0, 200)} did not answer in 15 s`)));
      req.end(body);
    });
  };

  const call = ({ method, path, token, body }: Call): Promise<Answer> => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body === undefined) return http(method, path, headers);
    return http(method, path, { ...headers, 'content-type': 'application/json' }, JSON.stringify(body));
  };

  const json = <T = Json>(answer: Answer, status: number): T => {
    if (answer.status !== status) throw new Error(`expected ${status}, got ${answer.status}: ${answer.text.slice(0, 500)}`);
    return JSON.parse(answer.text) as T;
  };

  /** What is wrong with a refusal: not a 4xx, or not the one error shape; null when it is right. */
  /**
   * What is wrong with a refusal: not a 4xx, or not the error shape. A web page's refusal
   * is an HTML page, except for a path the router cannot decode (a malformed percent
   * escape), refused in the error shape before any page runs.
   */
  const refusalProblem = (answer: Answer, page = false): string | null => {
    if (answer.status < 400 || answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 300)}`;
    if (page && /^text\/html/.test(answer.contentType)) return null;
    try {
      const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
      if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || !Array.isArray(body.error.details)) return `status ${answer.status} without the error shape: ${answer.text.slice(0, 300)}`;
    } catch {
      return `status ${answer.status} with a body that is not JSON (${answer.contentType}): ${answer.text.slice(0, 300)}`;
    }
    return null;
  };
  const expectRefusal = (answer: Answer) => expect(refusalProblem(answer)).toBeNull();

  // ----- row counts ----------------------------------------------------------------------

  const TABLES = ['accounts', 'api_tokens', 'teams', 'team_invites', 'challenge_participants', 'challenge_organizers', 'challenges', 'challenge_versions', 'submissions', 'disqualifications', 'audit_log', 'rescore_runs', 'rescores'] as const;
  type Table = (typeof TABLES)[number];
  type Counts = Record<Table, number>;
  const counts = async (): Promise<Counts> => {
    const rows = await stack.sql<Counts>(`SELECT ${TABLES.map((t) => `(SELECT count(*) FROM ${t})::int AS ${t}`).join(', ')}`);
    return rows[0];
  };
  const plus = (before: Counts, delta: Partial<Counts> = {}): Counts => Object.fromEntries(TABLES.map((t) => [t, before[t] + (delta[t] ?? 0)])) as Counts;

  // ----- storage -------------------------------------------------------------------------

  /** Every file under the stack's home folder (storage, upload temp), relative paths. */
  const filesUnder = async (root: string): Promise<string[]> => {
    const out: string[] = [];
    const walk = async (d: string, rel: string) => {
      for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
        if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
        else out.push(`${rel}${e.name}`);
      }
    };
    await walk(root, '');
    return out;
  };
  const uploadTemps = () => readdir(stack.config.uploadTmpDir).catch(() => [] as string[]);

  // ----- supplies of fresh callers and submissions, made when a case needs one ----------

  /** A resource made on first use and made again after a case spent it. */
  const supply = <T>(make: () => Promise<T>) => {
    let next: Promise<T> | undefined;
    return { get: () => (next ??= make()), spent: () => void (next = undefined) };
  };
  const registered = async (prefix: string, joined: boolean) => {
    const name = unique(prefix);
    const token = await client.register(stack.url, name);
    if (joined) await client.join(stack.url, token, SLUG);
    return { name, token };
  };
  /** A participant of alpha competing alone (no team). */
  const teamless = supply(() => registered('teamless', true));
  /** A participant of alpha competing alone, to be disqualified. */
  const suspect = supply(() => registered('suspect', true));
  /** An account that has not joined alpha. */
  const outsider = supply(() => registered('outsider', false));
  /** A queued submission by a participant competing alone, to be disqualified. */
  const victim = supply(() => client.submit(stack.url, who.author, SLUG, baseline));

  const describeAlpha = async () => json<{ phases: { title: string }[]; limits: { maxFileBytes: number } }>(await call({ method: 'GET', path: `${API}/challenges/${SLUG}`, token: who.organizer }), 200);
  const setSchedule = async (body: unknown) => json(await call({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body }), 200);

  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', challenges: [{ from: 'digits-selection', slug: SLUG }] });
    storage = createStorage(stack.config.storage);
    baseline = await readFile(`challenges/digits-selection/baselines/random.csv`);
    testIds = (parseCsv(gunzipSync(await readFile(`challenges/digits-selection/test.csv.gz`)), { columns: true }) as { id: string }[]).map((r) => r.id);
    challengeId = (await stack.sql<{ id: string }>(`SELECT id FROM challenges WHERE slug = $1`, [SLUG]))[0].id;

    const accounts = stack.api.get(AccountsService);
    who.admin = (await accounts.create('root-admin', 'admin')).token;
    const organizer = await accounts.create('alpha-organizer', 'organizer');
    [who.organizer, who.organizerId] = [organizer.token, organizer.id];
    json(await call({ method: 'POST', path: `${API}/challenges/${SLUG}/collaborators`, token: who.admin, body: { name: organizer.name } }), 201);
    who.helperName = (await accounts.create('spare-organizer', 'organizer')).name;

    who.participant = await client.register(stack.url, 'alpha-participant');
    await client.join(stack.url, who.participant, SLUG);
    json(await call({ method: 'POST', path: `${API}/challenges/${SLUG}/teams`, token: who.participant, body: { name: 'the regulars' } }), 201);
    submissionOfParticipant = await client.submit(stack.url, who.participant, SLUG, baseline);
    who.participantTokenId = json<{ token: { id: string } }>(await call({ method: 'GET', path: `${API}/accounts/me`, token: who.participant }), 200).token.id;

    who.targetId = json<{ id: string }>(await call({ method: 'POST', path: `${API}/accounts`, body: { name: 'role-target' } }), 201).id;
    who.author = await client.register(stack.url, 'solo-author');
    await client.join(stack.url, who.author, SLUG);
    rescoreRun = json<{ id: string }>(await call({ method: 'POST', path: `${API}/challenges/${SLUG}/rescores`, token: who.admin, body: {} }), 202).id;
  }, 120_000);

  afterAll(async () => {
    await storage?.close();
    await stack?.stop();
  }, 30_000);

  // =======================================================================================
  // 1–2. Every text field of every JSON route × every hostile value
  // =======================================================================================

  interface Field {
    /** Route and field, as a failure names it. */
    name: string;
    verdict: (v: unknown) => Verdict;
    /** Builds the request carrying the value (and whatever it needs first). */
    request: (v: unknown) => Promise<Call> | Call;
    /** The rows an accepted value adds. */
    stores?: Partial<Counts>;
    /** Where an accepted value is served back and stored: each must equal what was sent. */
    readBack?: (answer: Json, v: unknown) => Promise<unknown[]>;
    /** After an accepted value: the caller or submission it used is spent, or the state it changed is put back. */
    accepted?: () => Promise<void> | void;
  }

  const one = async <T>(sql: string, params: unknown[]): Promise<T> => (await stack.sql<{ v: T }>(sql, params))[0]?.v;
  const disqualify = (reason: unknown) => async (): Promise<Call> => ({ method: 'POST', path: `${API}/submissions/${await victim.get()}/disqualify`, token: who.organizer, body: { reason } });
  const phaseWith = (phase: Json) => ({ phases: [{ name: 'main', opens: '2020-01-01T00:00:00Z', ...phase }] });

  const FIELDS: Field[] = [
    {
      name: 'POST /accounts · name',
      verdict: accountName,
      request: (v) => ({ method: 'POST', path: `${API}/accounts`, body: { name: v } }),
      stores: { accounts: 1, api_tokens: 1 },
      readBack: async (a) => [
        a.name,
        json<{ name: string }>(await call({ method: 'GET', path: `${API}/accounts/me`, token: a.token as string }), 200).name,
        await one('SELECT name AS v FROM accounts WHERE id = $1', [a.id]),
      ],
    },
    {
      name: 'POST /tokens · name',
      verdict: tokenName,
      request: (v) => ({ method: 'POST', path: `${API}/tokens`, token: who.participant, body: { name: v, scopes: ['read'] } }),
      stores: { api_tokens: 1 },
      readBack: async (a) => [
        a.name,
        json<{ id: string; name: string }[]>(await call({ method: 'GET', path: `${API}/tokens`, token: who.participant }), 200).find((t) => t.id === a.id)?.name,
        await one('SELECT name AS v FROM api_tokens WHERE id = $1', [a.id]),
      ],
    },
    { name: 'POST /tokens · scopes[0]', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/tokens`, token: who.participant, body: { name: 'scoped', scopes: [v] } }) },
    { name: 'POST /tokens · scopes', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/tokens`, token: who.participant, body: { name: 'scoped', scopes: v } }) },
    {
      name: 'POST /tokens · expiresInDays',
      verdict: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3650 ? 'accept' : 'refuse'),
      request: (v) => ({ method: 'POST', path: `${API}/tokens`, token: who.participant, body: { name: 'expiring', scopes: ['read'], expiresInDays: v } }),
      stores: { api_tokens: 1 },
    },
    { name: 'PUT /accounts/:id/role · role', verdict: never, request: (v) => ({ method: 'PUT', path: `${API}/accounts/${who.targetId}/role`, token: who.admin, body: { role: v } }) },
    {
      name: 'POST /challenges/:slug/join · acceptRules',
      verdict: (v) => (v === true ? 'accept' : 'refuse'),
      request: async (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/join`, token: (await outsider.get()).token, body: { acceptRules: v } }),
      stores: { challenge_participants: 1 },
      accepted: outsider.spent,
    },
    {
      name: 'POST /challenges/:slug/teams · name',
      verdict: accountName,
      request: async (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/teams`, token: (await teamless.get()).token, body: { name: v } }),
      stores: { teams: 1 },
      readBack: async (a) => [
        a.name,
        json<{ name: string }>(await call({ method: 'GET', path: `${API}/challenges/${SLUG}/team`, token: (await teamless.get()).token }), 200).name,
        await one('SELECT name AS v FROM teams WHERE id = $1', [a.id]),
      ],
      accepted: teamless.spent,
    },
    { name: 'POST /challenges/:slug/team/accept · token', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/team/accept`, token: who.participant, body: { token: v } }) },
    {
      name: 'POST /submissions/:id/disqualify · reason',
      verdict: freeText(3, 1000),
      request: (v) => disqualify(v)(),
      stores: { audit_log: 1 },
      readBack: async (a) => [
        (a.disqualified as { reason: string }).reason,
        json<{ disqualified: { reason: string } }>(await call({ method: 'GET', path: `${API}/submissions/${a.id}`, token: who.author }), 200).disqualified.reason,
        await one('SELECT disqualified_reason AS v FROM submissions WHERE id = $1', [a.id]),
        await one(`SELECT reason AS v FROM audit_log WHERE action = 'submission.disqualify' AND target_id = $1`, [a.id]),
      ],
      accepted: victim.spent,
    },
    {
      name: 'POST /challenges/:slug/disqualifications · reason',
      verdict: freeText(3, 1000),
      request: async (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/disqualifications`, token: who.organizer, body: { participant: (await suspect.get()).name, reason: v } }),
      stores: { disqualifications: 1, audit_log: 1 },
      readBack: async (a) => {
        const id = (a.participant as { id: string }).id;
        return [a.reason, await one('SELECT reason AS v FROM disqualifications WHERE competitor_id = $1', [id]), await one(`SELECT reason AS v FROM audit_log WHERE action = 'participant.disqualify' AND target_id = $1`, [id])];
      },
      accepted: suspect.spent,
    },
    {
      name: 'POST /challenges/:slug/disqualifications · participant',
      verdict: never,
      request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/disqualifications`, token: who.organizer, body: { participant: v, reason: 'hostile input check' } }),
    },
    {
      name: 'POST /challenges/:slug/disqualifications · team',
      verdict: never,
      request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/disqualifications`, token: who.organizer, body: { team: v, reason: 'hostile input check' } }),
    },
    { name: 'POST /challenges/:slug/collaborators · name', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/collaborators`, token: who.admin, body: { name: v } }) },
    {
      // `phases: null` is the documented way to remove the phases.
      name: 'PATCH /challenges/:slug · phases',
      verdict: (v) => (v === null ? 'accept' : 'refuse'),
      request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: { phases: v } }),
      stores: { audit_log: 1 },
    },
    { name: 'PATCH /challenges/:slug · phases[0]', verdict: never, request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: { phases: [v] } }) },
    { name: 'PATCH /challenges/:slug · phases[0].name', verdict: never, request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: phaseWith({ name: v }) }) },
    {
      name: 'PATCH /challenges/:slug · phases[0].title',
      verdict: freeText(1, 100),
      request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: phaseWith({ title: v }) }),
      stores: { audit_log: 1 },
      readBack: async (a) => [
        (a.phases as { title: string }[])[0].title,
        (await describeAlpha()).phases[0].title,
        await one(`SELECT spec->'phases'->0->>'title' AS v FROM challenge_versions WHERE challenge_id = $1 ORDER BY version DESC LIMIT 1`, [challengeId]),
      ],
      accepted: async () => void (await setSchedule({ phases: null })),
    },
    { name: 'PATCH /challenges/:slug · phases[0].opens', verdict: never, request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: phaseWith({ opens: v }) }) },
    { name: 'PATCH /challenges/:slug · limits', verdict: never, request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: { limits: v } }) },
    {
      name: 'PATCH /challenges/:slug · limits.maxFileBytes',
      verdict: (v) => (Number.isInteger(v) && (v as number) > 0 ? 'accept' : 'refuse'),
      request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: { limits: { maxFileBytes: v } } }),
      stores: { audit_log: 1 },
      readBack: async () => [(await describeAlpha()).limits.maxFileBytes],
      accepted: async () => void (await setSchedule({ limits: { maxFileBytes: MiB } })),
    },
    {
      name: 'PATCH /challenges/:slug · a limits key',
      verdict: never,
      request: (v) => ({ method: 'PATCH', path: `${API}/challenges/${SLUG}`, token: who.organizer, body: { limits: { [typeof v === 'string' ? v : JSON.stringify(v)]: 1 } } }),
    },
    { name: 'POST /challenges/:slug/rescores · version', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/rescores`, token: who.organizer, body: { version: v } }) },
    { name: 'POST /challenges/:slug/rescores · submissionIds[0]', verdict: never, request: (v) => ({ method: 'POST', path: `${API}/challenges/${SLUG}/rescores`, token: who.organizer, body: { submissionIds: [v] } }) },
    { name: 'PUT /challenges/:slug/final-submissions · submissionIds', verdict: never, request: (v) => ({ method: 'PUT', path: `${API}/challenges/${SLUG}/final-submissions`, token: who.participant, body: { submissionIds: v } }) },
    { name: 'PUT /challenges/:slug/final-submissions · submissionIds[0]', verdict: never, request: (v) => ({ method: 'PUT', path: `${API}/challenges/${SLUG}/final-submissions`, token: who.participant, body: { submissionIds: [v] } }) },
  ];

  describe('every text field of every JSON route × every hostile value', () => {
    const CASES = FIELDS.flatMap((f) => HOSTILE.map(([label, value]) => [f.name, label, f, value] as const));

    it.each(CASES)('%s ← %s', async (_name, _label, field, value) => {
      const verdict = field.verdict(value);
      const req = await field.request(value);
      const before = await counts();
      const answer = await call(req);
      expect(answer.ms).toBeLessThan(SLOW_MS);
      if (answer.status >= 200 && answer.status < 300) {
        if (verdict === 'refuse') throw new Error(`accepted (${answer.status}) a value it must refuse: ${answer.text.slice(0, 300)}`);
        expect(await counts()).toEqual(plus(before, field.stores));
        const served = (await field.readBack?.(JSON.parse(answer.text) as Json, value)) ?? [];
        await field.accepted?.();
        // Stored verbatim and served back as sent: never trimmed, stripped, replaced or interpreted.
        for (const got of served) expect(shown(got)).toBe(shown(value));
      } else {
        expectRefusal(answer);
        if (verdict === 'accept') throw new Error(`refused (${answer.status}) a value it must accept: ${answer.text.slice(0, 300)}`);
        expect(await counts()).toEqual(before);
      }
    });

    it('leaves the challenge as it was: no phases, the usual cap, the participant\'s one submission untouched', async () => {
      const alpha = await describeAlpha();
      expect(alpha.limits.maxFileBytes).toBe(MiB);
      expect(alpha.phases.map((p) => p.title)).toEqual(['Open']);
      const mine = json<{ id: string; status: string; disqualified: unknown }>(await call({ method: 'GET', path: `${API}/submissions/${submissionOfParticipant}`, token: who.participant }), 200);
      expect(mine).toMatchObject({ status: 'queued', disqualified: null });
      const roles = await stack.sql<{ role: string; n: number }>(`SELECT role, count(*)::int AS n FROM accounts GROUP BY role ORDER BY role`);
      // Nobody became an admin or an organizer through a field: only the admin and the two organizers the test made.
      expect(roles.filter((r) => r.role !== 'participant')).toEqual([
        { role: 'admin', n: 1 },
        { role: 'organizer', n: 2 },
      ]);
    });
  });

  // =======================================================================================
  // Whole bodies of the wrong shape, wrong content types, oversized bodies (every JSON route)
  // =======================================================================================

  /** Every JSON route with a body it would accept (or refuse only for the caller's standing). */
  const JSON_ROUTES: { route: string; method: string; path: () => string; token: () => Promise<string | null> | string | null; body: () => Promise<Json> | Json }[] = [
    { route: 'POST /accounts', method: 'POST', path: () => `${API}/accounts`, token: () => null, body: () => ({ name: unique('shape') }) },
    { route: 'POST /tokens', method: 'POST', path: () => `${API}/tokens`, token: () => who.participant, body: () => ({ name: 'shape', scopes: ['read'] }) },
    { route: 'PUT /accounts/:id/role', method: 'PUT', path: () => `${API}/accounts/${who.targetId}/role`, token: () => who.admin, body: () => ({ role: 'admin' }) },
    { route: 'POST /challenges/:slug/join', method: 'POST', path: () => `${API}/challenges/${SLUG}/join`, token: async () => (await outsider.get()).token, body: () => ({ acceptRules: true }) },
    { route: 'POST /challenges/:slug/teams', method: 'POST', path: () => `${API}/challenges/${SLUG}/teams`, token: async () => (await teamless.get()).token, body: () => ({ name: unique('shape-team') }) },
    { route: 'POST /challenges/:slug/team/accept', method: 'POST', path: () => `${API}/challenges/${SLUG}/team/accept`, token: () => who.participant, body: () => ({ token: `team_${'A'.repeat(43)}` }) },
    { route: 'PUT /challenges/:slug/final-submissions', method: 'PUT', path: () => `${API}/challenges/${SLUG}/final-submissions`, token: () => who.participant, body: () => ({ submissionIds: [submissionOfParticipant] }) },
    { route: 'POST /submissions/:id/disqualify', method: 'POST', path: () => `${API}/submissions/${submissionOfParticipant}/disqualify`, token: () => who.organizer, body: () => ({ reason: 'shape check' }) },
    { route: 'POST /challenges/:slug/disqualifications', method: 'POST', path: () => `${API}/challenges/${SLUG}/disqualifications`, token: () => who.organizer, body: async () => ({ participant: (await suspect.get()).name, reason: 'shape check' }) },
    { route: 'POST /challenges/:slug/collaborators', method: 'POST', path: () => `${API}/challenges/${SLUG}/collaborators`, token: () => who.admin, body: () => ({ name: who.helperName }) },
    { route: 'PATCH /challenges/:slug', method: 'PATCH', path: () => `${API}/challenges/${SLUG}`, token: () => who.organizer, body: () => ({ limits: { maxFileBytes: MiB } }) },
    { route: 'POST /challenges/:slug/rescores', method: 'POST', path: () => `${API}/challenges/${SLUG}/rescores`, token: () => who.organizer, body: () => ({}) },
  ];

  /** Whole bodies, from the route's valid one, that no route may act on. */
  const BODIES: [label: string, make: (valid: Json) => string][] = [
    ['a top-level array', (b) => JSON.stringify([b])],
    ['a top-level string', (b) => JSON.stringify(JSON.stringify(b))],
    ['a top-level number', () => '42'],
    ['a top-level null', () => 'null'],
    ['broken JSON', (b) => JSON.stringify(b).slice(0, -1)],
    ['a __proto__ key beside the valid fields', (b) => `{"__proto__":{"role":"admin","isAdmin":true},${JSON.stringify(b).slice(1)}`.replace(',}', '}')],
    ['a constructor key beside the valid fields', (b) => `{"constructor":{"prototype":{"role":"admin"}},${JSON.stringify(b).slice(1)}`.replace(',}', '}')],
    ['an unknown field beside the valid fields', (b) => JSON.stringify({ ...b, role: 'admin', isAdmin: true })],
    ['arrays nested 5,000 deep', () => `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ];

  describe('whole bodies of the wrong shape, wrong content types and oversized bodies, on every JSON route', () => {
    type Case = [route: string, label: string, r: (typeof JSON_ROUTES)[number], type: string, make: (valid: Json) => string, status: number];
    const CASES = JSON_ROUTES.flatMap((r): Case[] => [
      ...BODIES.map(([label, make]): Case => [r.route, label, r, 'application/json', make, 400]),
      [r.route, 'valid JSON sent as text/plain', r, 'text/plain', (b) => JSON.stringify(b), 415],
      [r.route, 'valid JSON sent as a form', r, 'application/x-www-form-urlencoded', (b) => JSON.stringify(b), 415],
      [r.route, 'a 100 kB JSON body', r, 'application/json', (b) => JSON.stringify({ ...b, padding: 'p'.repeat(100_000) }), 413],
    ]);

    it.each(CASES)('%s ← %s', async (_route, _label, route, type, make, status) => {
      const token = await route.token();
      const payload = make(await route.body());
      const before = await counts();
      const answer = await http(route.method, route.path(), { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) }, payload);
      expectRefusal(answer);
      expect(answer.status).toBe(status);
      expect(await counts()).toEqual(before);
    });
  });

  // =======================================================================================
  // 3. Path parameters: traversal and injection in every :slug, :id, :role, :accountId
  // =======================================================================================

  /** Path-segment attacks, as sent on the wire (already percent-encoded where they need it); `valid` is the parameter's real value. */
  const PATH_ATTACKS: [label: string, segment: (valid: string) => string][] = [
    ['../../etc/passwd, encoded', () => '..%2F..%2Fetc%2Fpasswd'],
    ['../../etc/passwd, double-encoded', () => '..%252F..%252Fetc%252Fpasswd'],
    ['%2e%2e', () => '%2e%2e'],
    ['%2e%2e%2f', () => '%2e%2e%2f'],
    ['a bare ..', () => '..'],
    ['the real value, then ../..', (v) => `${v}%2F..%2F..%2Ftest`],
    ['/etc/passwd, encoded', () => '%2Fetc%2Fpasswd'],
    ['C:\\Windows\\win.ini, encoded', () => 'C%3A%5CWindows%5Cwin.ini'],
    [`' OR '1'='1`, () => encodeURIComponent(`' OR '1'='1`)],
    [`'; DROP TABLE submissions; --`, () => encodeURIComponent(`'; DROP TABLE submissions; --`)],
    [`"; SELECT pg_sleep(5); --`, () => encodeURIComponent(`"; SELECT pg_sleep(5); --`)],
    ['=HYPERLINK(…)', () => encodeURIComponent('=HYPERLINK("http://x","y")')],
    ['a NUL byte', () => '%00'],
    ['the real value, then a NUL byte', (v) => `${v}%00`],
    ['an escape sequence', () => '%1B%5B31m'],
    ['a malformed percent escape', () => '%E0%A4%A'],
    ['invalid UTF-8', () => '%C3%28'],
    ['an encoded lone surrogate', () => '%ED%A0%80'],
    ['an RTL override', () => '%E2%80%AEtxt.exe'],
    ['an emoji', () => '%F0%9F%9A%80'],
    ['10,000 characters', () => 'a'.repeat(10_000)],
    ['__proto__', () => '__proto__'],
    ['constructor', () => 'constructor'],
    ['36 dashes (UUID-shaped)', () => '-'.repeat(36)],
    ['36 hex digits without dashes', () => 'a'.repeat(36)],
    ['a UUID with letters beyond f', () => 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'],
    ['the nil UUID', () => '00000000-0000-0000-0000-000000000000'],
    ['-1', () => '-1'],
    ['1e309', () => '1e309'],
  ];

  /** Routes a participant calls; everything else is attacked as an admin, who passes every other gate. */
  const AS_PARTICIPANT = /\/(join|submit|teams|team|team\/\w+|final-submissions|pool|dev|files\/:role|cancel)$|^GET \/c\/:slug\/submissions|^(GET|POST) \/api\/v1\/challenges\/:slug\/submissions$|^GET \/api\/v1\/submissions\/:id$/;

  const validParam = (route: string, param: string): string => {
    if (param === 'slug') return SLUG;
    if (param === 'role') return 'pool';
    if (param === 'name') return 'sieve.css';
    if (param === 'phase') return 'open';
    if (param === 'accountId') return who.organizerId;
    if (route.includes('/tokens/')) return who.participantTokenId;
    if (route.includes('/accounts/')) return who.targetId;
    if (route.includes('/rescores/')) return rescoreRun;
    return submissionOfParticipant;
  };

  /** A request the route would take, but for the attacked parameter. */
  const validBody = (route: string): { headers: Record<string, string>; body?: Buffer | string } => {
    const [method, pattern] = route.split(' ');
    if (method === 'POST' && /\/submissions$|\/versions$|\/submit$/.test(pattern)) {
      const { body, type } = multipart([{ name: pattern.endsWith('versions') ? 'bundle' : 'file', filename: 'selection.csv', data: baseline }]);
      return { headers: { 'content-type': type }, body };
    }
    const bodies: Record<string, Json> = {
      'PUT /api/v1/accounts/:id/role': { role: 'participant' },
      'POST /api/v1/challenges/:slug/join': { acceptRules: true },
      'PUT /api/v1/challenges/:slug/final-submissions': { submissionIds: [] },
      'POST /api/v1/submissions/:id/disqualify': { reason: 'path check' },
      'POST /api/v1/challenges/:slug/teams': { name: 'path check' },
      'POST /api/v1/challenges/:slug/team/accept': { token: `team_${'A'.repeat(43)}` },
      'PATCH /api/v1/challenges/:slug': { limits: { maxFileBytes: MiB } },
      'POST /api/v1/challenges/:slug/collaborators': { name: who.helperName },
      'POST /api/v1/challenges/:slug/disqualifications': { participant: 'solo-author', reason: 'path check' },
      'POST /api/v1/challenges/:slug/rescores': {},
    };
    const body = bodies[route];
    return body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { headers: {} };
  };

  describe('path parameters', () => {
    it('attacks every route that has a path parameter', () => {
      const withParams = routesOf(stack.api).filter((r) => r.includes(':'));
      expect(withParams.length).toBeGreaterThanOrEqual(30);
      expect(withParams).toEqual(expect.arrayContaining(['GET /api/v1/challenges/:slug/files/:role', 'GET /api/v1/submissions/:id', 'GET /api/v1/challenges/:slug/rescores/:id', 'DELETE /api/v1/challenges/:slug/collaborators/:accountId', 'PUT /api/v1/accounts/:id/role']));
    });

    // Built when the stack is up: the route table comes from the running application.
    it('answers every traversal and injection string in every path parameter with a 4xx in the error shape, within the time limit, storing nothing', async () => {
      const problems: string[] = [];
      const before = await counts();
      const filesBefore = (await storage.list('')).sort();
      const api = new Set(routesOf(stack.api, { pages: false }));
      for (const route of routesOf(stack.api).filter((r) => r.includes(':'))) {
        const [method, pattern] = route.split(' ');
        const token = AS_PARTICIPANT.test(route) ? who.participant : who.admin;
        for (const param of pattern.match(/:\w+/g)!.map((p) => p.slice(1))) {
          for (const [label, segment] of PATH_ATTACKS) {
            const path = pattern.replace(/:(\w+)/g, (_m, p: string) => (p === param ? segment(validParam(route, p)) : encodeURIComponent(validParam(route, p))));
            const { headers, body } = validBody(route);
            const answer = await http(method, path, { authorization: `Bearer ${token}`, ...headers }, body);
            const problem = refusalProblem(answer, !api.has(route));
            if (problem) problems.push(`${route} · :${param} ← ${label}: ${problem}`);
            if (answer.ms >= SLOW_MS) problems.push(`${route} · :${param} ← ${label}: took ${answer.ms} ms`);
            if (hiddenIdsIn(answer.text).length > 0) problems.push(`${route} · :${param} ← ${label}: served hidden test ids`);
          }
        }
      }
      expect(problems).toEqual([]);
      expect(await counts()).toEqual(before);
      expect((await storage.list('')).sort()).toEqual(filesBefore);
    }, 120_000);

    const ROLE_ATTACKS = ['test', 'TEST', 'test.csv.gz', '..%2Ftest', '..%2Ftest.csv.gz', '%2e%2e%2ftest.csv.gz', 'pool%2F..%2Ftest', 'pool%2F..%2F..%2Falpha%2Ftest.csv.gz', '..%2F..%2F..%2Fchallenges%2Fdigits-selection%2Ftest.csv.gz', 'test%00', 'test%00.csv', 'baseline', '__proto__', 'hasOwnProperty'];

    it.each(ROLE_ATTACKS)('never serves the hidden test set: GET /challenges/:slug/files/%s', async (role) => {
      for (const token of [who.participant, who.organizer, who.admin]) {
        const answer = await http('GET', `${API}/challenges/${SLUG}/files/${role}`, { authorization: `Bearer ${token}` });
        expect(answer.status).toBe(404);
        expectRefusal(answer);
        expect(hiddenIdsIn(answer.text)).toEqual([]);
      }
    });

    it('serves the pool (the check above can see ids: the pool\'s are there, the test set\'s are not)', async () => {
      const answer = await http('GET', `${API}/challenges/${SLUG}/files/pool`, { authorization: `Bearer ${who.participant}` });
      expect(answer.status).toBe(200);
      expect(answer.text).toMatch(/^id,label,/);
      expect(answer.text).toContain('\nd0000,');
      expect(testIds.filter((id) => answer.text.includes(`\n${id},`))).toEqual([]);
    });
  });

  // =======================================================================================
  // 4. Hostile file names in a multipart upload
  // =======================================================================================

  const BOUNDARY = 'sieve-hostile-boundary';
  function multipart(parts: { name: string; filename?: string; disposition?: string; data: Buffer | string }[]): { body: Buffer; type: string } {
    const chunks = parts.flatMap((p) => [
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${p.disposition ?? `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`}\r\nContent-Type: text/csv\r\n\r\n`, 'utf8'),
      Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data),
      Buffer.from('\r\n'),
    ]);
    return { body: Buffer.concat([...chunks, Buffer.from(`--${BOUNDARY}--\r\n`)]), type: `multipart/form-data; boundary=${BOUNDARY}` };
  }

  describe('file names of an upload', () => {
    const mark = `pwned-${randomBytes(4).toString('hex')}`;
    /** The client's file name is never used (the key is the submission id): the upload is accepted whatever it says; a NUL may break the part header. */
    const NAMES: [label: string, filename: string, verdict: 'accept' | 'either', disposition?: string][] = [
      ['a relative traversal to /tmp', `../../../../../../../../tmp/${mark}.csv`, 'accept'],
      ['a traversal into the storage folder', `../storage/submissions/${mark}.csv`, 'accept'],
      ['an absolute path', '/etc/passwd', 'accept'],
      ['an absolute path of our own', `/tmp/${mark}-abs.csv`, 'accept'],
      ['a Windows traversal', `..\\..\\..\\${mark}.csv`, 'accept'],
      ['a percent-encoded traversal', `%2e%2e%2f%2e%2e%2f${mark}.csv`, 'accept'],
      ['5,000 characters', `${'n'.repeat(4996)}.csv`, 'accept'],
      ['a NUL byte', `${mark}\u0000.csv`, 'either'],
      ['a NUL byte then a traversal', `selection.csv\u0000../../../../tmp/${mark}-nul.csv`, 'either'],
      ['an RTL override', `${mark}\u202Evsc.exe`, 'accept'],
      ['a traversal in filename* (RFC 5987)', '', 'accept', `form-data; name="file"; filename*=UTF-8''..%2F..%2F..%2F..%2Ftmp%2F${mark}-star.csv`],
      ['SQL injection', `'; DROP TABLE submissions; --.csv`, 'accept'],
    ];
    const targets = () => [
      `/tmp/${mark}.csv`,
      `/tmp/${mark}-abs.csv`,
      `/tmp/${mark}-nul.csv`,
      `/tmp/${mark}-star.csv`,
      resolve(stack.config.uploadTmpDir, `../storage/submissions/${mark}.csv`),
      resolve(stack.config.uploadTmpDir, `../../../${mark}.csv`),
      resolve(`../${mark}.csv`),
    ];
    const fingerprint = async (path: string) => {
      const s = await stat(path).catch(() => null);
      return s ? `${s.size}:${s.mtimeMs}` : null;
    };

    // Every row as long as the test's parameter list (a shorter row would make jest pass a `done` callback).
    it.each(NAMES.map(([label, filename, verdict, disposition]) => [label, filename, verdict, disposition ?? null] as const))('%s: the name never reaches a storage key or the disk', async (_label, filename, verdict, disposition) => {
      const passwd = await fingerprint('/etc/passwd');
      const before = await counts();
      const keysBefore = await storage.list('submissions/');
      const { body, type } = multipart([{ name: 'file', filename, disposition: disposition ?? undefined, data: baseline }]);
      const answer = await http('POST', `${API}/challenges/${SLUG}/submissions`, { authorization: `Bearer ${who.author}`, 'content-type': type }, body);
      const keysAfter = await storage.list('submissions/');
      if (answer.status === 202) {
        const { id } = JSON.parse(answer.text) as { id: string };
        const key = await one<string>('SELECT file_key AS v FROM submissions WHERE id = $1', [id]);
        expect(key).toBe(`submissions/${challengeId}/${id}.csv`);
        expect(keysAfter.filter((k) => !keysBefore.includes(k))).toEqual([key]);
        expect(await counts()).toEqual(plus(before, { submissions: 1 }));
      } else {
        expectRefusal(answer);
        expect(verdict).toBe('either');
        expect(keysAfter).toEqual(keysBefore);
        expect(await counts()).toEqual(before);
      }
      for (const path of targets()) expect({ path, exists: await fingerprint(path) }).toEqual({ path, exists: null });
      expect(await fingerprint('/etc/passwd')).toBe(passwd);
      expect((await filesUnder(stack.storageDir)).filter((f) => f.includes(mark) || f.includes('passwd') || f.includes('..'))).toEqual([]);
      expect((await stack.sql(`SELECT count(*)::int AS n FROM submissions WHERE file_key !~ '^submissions/[0-9a-f-]{36}/[0-9a-f-]{36}\\.(csv|csv\\.gz|zip)$'`))[0]).toEqual({ n: 0 });
      await waitUntil(async () => (await uploadTemps()).length === 0, 5000, 'the upload temp folder to be empty');
    }, 20_000);
  });

  // =======================================================================================
  // 6. Malformed uploads and a wrong content type on the upload route (see abuse.test.ts for the rest)
  // =======================================================================================

  describe('malformed uploads (the rest of the transport cases: abuse.test.ts)', () => {
    const UPLOADS: [label: string, type: string, body: () => Buffer | string, status: number][] = [
      ['a multipart body cut short', `multipart/form-data; boundary=${BOUNDARY}`, () => multipart([{ name: 'file', filename: 'a.csv', data: baseline }]).body.subarray(0, 120), 400],
      ['a multipart body with another boundary', `multipart/form-data; boundary=${BOUNDARY}-other`, () => multipart([{ name: 'file', filename: 'a.csv', data: baseline }]).body, 400],
      ['multipart without a boundary', 'multipart/form-data', () => multipart([{ name: 'file', filename: 'a.csv', data: baseline }]).body, 400],
      ['the file in a text field (no filename)', `multipart/form-data; boundary=${BOUNDARY}`, () => multipart([{ name: 'file', data: baseline }]).body, 400],
      ['a hostile field name', `multipart/form-data; boundary=${BOUNDARY}`, () => multipart([{ name: '../../__proto__', filename: 'a.csv', data: baseline }]).body, 400],
      ['JSON to the upload route', 'application/json', () => JSON.stringify({ file: baseline.toString() }), 415],
      ['the CSV bare', 'text/csv', () => baseline, 415],
    ];

    it.each(UPLOADS)('%s: refused, nothing stored', async (_label, type, body, status) => {
      const before = await counts();
      const keysBefore = await storage.list('submissions/');
      const answer = await http('POST', `${API}/challenges/${SLUG}/submissions`, { authorization: `Bearer ${who.author}`, 'content-type': type }, body());
      expectRefusal(answer);
      expect(answer.status).toBe(status);
      expect(await counts()).toEqual(before);
      expect(await storage.list('submissions/')).toEqual(keysBefore);
      await waitUntil(async () => (await uploadTemps()).length === 0, 5000, 'the upload temp folder to be empty');
    });

    it('refuses an upload over the challenge\'s cap with 413, nothing stored', async () => {
      const before = await counts();
      const { body, type } = multipart([{ name: 'file', filename: 'big.csv', data: `id\n${'d0000\n'.repeat(Math.ceil((2 * MiB) / 6))}` }]);
      const answer = await http('POST', `${API}/challenges/${SLUG}/submissions`, { authorization: `Bearer ${who.author}`, 'content-type': type }, body);
      expect(answer.status).toBe(413);
      expectRefusal(answer);
      expect(await counts()).toEqual(before);
    });
  });

  // =======================================================================================
  // 5. Formula injection in the CSV exports
  // =======================================================================================

  describe('formula injection in the exports', () => {
    const FORMULAS = ['=HYPERLINK("http://x","y")', `+cmd|' /C calc'!A0`, '@SUM(1+1)', '-2+3', '=1+1\n=2+2'];
    const exported = async (path: string, format: 'csv' | 'json') => {
      const answer = await http('GET', `${path}?format=${format}`, { authorization: `Bearer ${who.organizer}` });
      expect(answer.status).toBe(200);
      return answer;
    };
    const csvRows = (text: string) => parseCsv(text, { columns: true }) as Record<string, string>[];
    /** A cell a spreadsheet would run: it starts with = + @ tab CR, or with - and is not a number. */
    const live = (cell: string) => /^[=+@\t\r]/.test(cell) || (/^-/.test(cell) && !/^-\d+(\.\d+)?(e[+-]?\d+)?$/i.test(cell));

    it('refuses names that start like a formula, so none reaches an export', async () => {
      for (const f of FORMULAS) {
        expectRefusal(await call({ method: 'POST', path: `${API}/accounts`, body: { name: f } }));
        expectRefusal(await call({ method: 'POST', path: `${API}/challenges/${SLUG}/teams`, token: (await teamless.get()).token, body: { name: f } }));
      }
    });

    it('neutralizes a formula reason in the CSV exports (a leading apostrophe) and keeps it unchanged in JSON', async () => {
      const disqualified: [id: string, reason: string][] = [];
      for (const reason of FORMULAS) {
        const id = await client.submit(stack.url, who.author, SLUG, baseline);
        json(await call({ method: 'POST', path: `${API}/submissions/${id}/disqualify`, token: who.organizer, body: { reason } }), 200);
        disqualified.push([id, reason]);
      }
      const competitor = await registered('formula-suspect', true);
      json(await call({ method: 'POST', path: `${API}/challenges/${SLUG}/disqualifications`, token: who.organizer, body: { participant: competitor.name, reason: '=HYPERLINK("http://evil","click")' } }), 201);

      const exportPath = `${API}/challenges/${SLUG}/submissions/export`;
      const csv = await exported(exportPath, 'csv');
      expect(csv.contentType).toContain('text/csv');
      const rows = csvRows(csv.text);
      for (const [id, reason] of disqualified) expect(rows.find((r) => r.id === id)?.disqualifiedReason).toBe(`'${reason}`);
      expect(rows.flatMap((r) => Object.values(r)).filter(live)).toEqual([]);
      const asJson = JSON.parse((await exported(exportPath, 'json')).text) as { id: string; disqualifiedReason: string | null }[];
      for (const [id, reason] of disqualified) expect(asJson.find((r) => r.id === id)?.disqualifiedReason).toBe(reason);

      const auditPath = `${API}/challenges/${SLUG}/audit`;
      const audit = csvRows((await exported(auditPath, 'csv')).text);
      for (const [id, reason] of disqualified) expect(audit.find((r) => r.action === 'submission.disqualify' && r.targetId === id)?.reason).toBe(`'${reason}`);
      expect(audit.find((r) => r.action === 'participant.disqualify' && r.after.includes(competitor.name))?.reason).toBe(`'=HYPERLINK("http://evil","click")`);
      expect(audit.flatMap((r) => Object.values(r)).filter(live)).toEqual([]);
      const auditJson = JSON.parse((await exported(auditPath, 'json')).text) as { action: string; targetId: string; reason: string | null }[];
      for (const [id, reason] of disqualified) expect(auditJson.find((r) => r.action === 'submission.disqualify' && r.targetId === id)?.reason).toBe(reason);
    });

    it.each(['xlsx', 'csv%00', '../csv', 'csv&format=json', '__proto__'])('refuses ?format=%s with 400', async (format) => {
      const answer = await http('GET', `${API}/challenges/${SLUG}/submissions/export?format=${format}`, { authorization: `Bearer ${who.organizer}` });
      expect(answer.status).toBe(400);
      expectRefusal(answer);
    });
  });

  // =======================================================================================
  // 7. Healthy afterwards
  // =======================================================================================

  it('is healthy afterwards, and an ordinary participant can still join and submit', async () => {
    expect((await http('GET', '/healthz')).status).toBe(200);
    const ready = await http('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok', queue: 'ok' } });
    const token = await client.register(stack.url, 'ordinary-afterwards');
    await client.join(stack.url, token, SLUG);
    const id = await client.submit(stack.url, token, SLUG, baseline);
    expect(json<{ status: string }>(await call({ method: 'GET', path: `${API}/submissions/${id}`, token }), 200).status).toBe('queued');
    expect(await uploadTemps()).toEqual([]);
  });
});

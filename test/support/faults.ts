import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyChallenge } from './bundles.js';
import * as client from './client.js';
import { cleanEnv, freePort, type Proc, run, startProcess } from './processes.js';
import { queryOnce, waitUntil } from './services.js';

/** Submissions in flight in each fault case: ten participants, ten each. */
export const PARTICIPANTS = 10;
export const PER_PARTICIPANT = 10;

/**
 * The API (and the workers the case starts) on a challenge whose model trains for about
 * a second per submission, so that a fault lands while evaluations run. Each participant
 * may make PER_PARTICIPANT submissions in the phase: what they may still make after the
 * fault shows whether our failures were charged to them.
 */
export interface FaultStack {
  url: string;
  slug: string;
  api: Proc;
  sql<T>(text: string): Promise<T[]>;
  /** Starts a process of the built code and waits for its ready line. */
  start(args: string[], ready: RegExp): Promise<Proc>;
  stop(): Promise<void>;
}

export async function startFaultStack(slug: string, services: { databaseUrl: string; redisUrl: string; queuePrefix: string }, extraEnv: Record<string, string> = {}): Promise<FaultStack> {
  const home = await mkdtemp(join(tmpdir(), 'sieve-faults-'));
  const procs: Proc[] = [];
  await copyChallenge(join(home, 'challenges'), 'digits-selection', slug, (y) =>
    y
      .replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { hidden: 64, epochs: 300, batchSize: 8 }\n  seeds: [0, 1, 2]\n')
      .replace(/^limits: .*$/m, `limits: { maxFileBytes: 1048576, total: ${PER_PARTICIPANT} }`),
  );
  const port = await freePort();
  const env = cleanEnv({
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    QUEUE_PREFIX: services.queuePrefix,
    SIEVE_HOME: home,
    CHALLENGES_DIR: join(home, 'challenges'),
    PORT: String(port),
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_GRACE_MS: '1000',
    JOB_BACKOFF_MS: '200',
    ...extraEnv,
  });
  const start = async (args: string[], ready: RegExp) => {
    const p = startProcess(args, env);
    procs.push(p);
    await p.waitFor(ready, 30_000);
    return p;
  };
  const migrated = await run(['bin/sieve.js', 'migrate'], env);
  if (migrated.code !== 0) throw new Error(`migrate failed:\n${migrated.stderr}`);
  const published = await run(['bin/sieve.js', 'challenges', 'publish'], env);
  if (published.code !== 0) throw new Error(`publish failed:\n${published.stderr}`);
  const api = await start(['dist/src/main.js'], /API listening/);
  return {
    url: `http://127.0.0.1:${port}`,
    slug,
    api,
    sql: <T>(text: string) => queryOnce<T>(services.databaseUrl, text),
    start,
    async stop() {
      for (const p of procs) await p.stop('SIGKILL');
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Registers the participants and makes every submission; returns the participants' tokens. */
export async function submitAll(stack: FaultStack): Promise<string[]> {
  const file = await readFile('challenges/digits-selection/baselines/random.csv');
  const tokens = await Promise.all(Array.from({ length: PARTICIPANTS }, (_, i) => client.register(stack.url, `p${i}`)));
  for (const t of tokens) await client.join(stack.url, t, stack.slug);
  for (let i = 0; i < PARTICIPANTS * PER_PARTICIPANT; i++) await client.submit(stack.url, tokens[i % PARTICIPANTS], stack.slug, file);
  return tokens;
}

const count = async (stack: FaultStack, where: string) => (await stack.sql<{ n: number }>(`SELECT count(*)::int AS n FROM submissions WHERE ${where}`))[0].n;

/** Waits until at least `scored` submissions are scored and one is being evaluated: the moment to strike. */
export async function waitForEvaluations(stack: FaultStack, scored: number): Promise<void> {
  await waitUntil(async () => (await count(stack, "status = 'scored'")) >= scored, 180_000, `${scored} scores`);
  await waitUntil(async () => (await count(stack, "status = 'running'")) > 0, 30_000, 'an evaluation running');
}

/** Waits until nothing is queued or running any more. */
export async function waitForAllFinished(stack: FaultStack): Promise<void> {
  await waitUntil(async () => (await count(stack, "status IN ('queued', 'running')")) === 0, 240_000, 'every submission scored or failed');
}

/** Waits until /readyz says `dependency` (database, queue) does not answer: the processes have met the outage. */
export async function waitForNotReady(stack: FaultStack, dependency: 'database' | 'queue'): Promise<void> {
  await waitUntil(
    async () => {
      // The API must keep answering (503, quickly) through the outage.
      const res = await fetch(`${stack.url}/readyz`).catch((err: unknown) => {
        throw new Error(`the API did not answer (${String(err)}); its output:\n${stack.api.output().slice(-4000)}`);
      });
      if (res.status !== 503) return false;
      const body = (await res.json()) as { error?: { details?: { field: string; message: string }[] } };
      return body.error?.details?.some((d) => d.field === dependency && d.message !== 'ok');
    },
    30_000,
    `readiness to report the ${dependency} down`,
  );
}

/**
 * The API says it is ready again, and a new participant's submission goes all the way
 * through: the processes recovered by themselves. Returns that submission as its author sees it.
 */
export async function submitAfterRecovery(stack: FaultStack): Promise<client.SubmissionBody> {
  await waitUntil(async () => (await fetch(`${stack.url}/readyz`).catch(() => null))?.status === 200, 30_000, 'readiness to turn green');
  const token = await client.register(stack.url, 'late');
  const id = await client.submit(stack.url, token, stack.slug, await readFile('challenges/digits-selection/baselines/random.csv'));
  return client.settled(stack.url, token, id, 60_000);
}

export interface Outcome {
  id: string;
  status: string;
  error: string | null;
  attempts: number;
  scores: number;
}

/**
 * Every submission, as its participant sees it (their list of submissions), with the
 * number of score rows behind it.
 */
export async function outcome(stack: FaultStack, tokens: string[]): Promise<Map<string, Outcome[]>> {
  const scores = new Map((await stack.sql<{ id: string; n: number }>('SELECT s.id, count(sc.id)::int AS n FROM submissions s LEFT JOIN scores sc ON sc.submission_id = s.id GROUP BY s.id')).map((r) => [r.id, r.n]));
  const byToken = new Map<string, Outcome[]>();
  for (const token of tokens) {
    const res = await fetch(`${stack.url}/api/v1/challenges/${stack.slug}/submissions`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`listing submissions: ${res.status} ${await res.text()}`);
    const mine = (await res.json()) as { id: string; status: string; attempts: number; error: { code: string } | null }[];
    byToken.set(
      token,
      mine.map((s) => ({ id: s.id, status: s.status, error: s.error?.code ?? null, attempts: s.attempts, scores: scores.get(s.id) ?? 0 })),
    );
  }
  return byToken;
}

/**
 * What a participant may still submit in the phase: uploads until one is refused, and
 * the refusal. Each participant used their whole allowance before the fault, so every
 * upload accepted here is a slot our failures gave back.
 */
export async function submissionsLeft(stack: FaultStack, token: string): Promise<{ accepted: number; refusal: { code: string; message: string } | null }> {
  const file = await readFile('challenges/digits-selection/baselines/random.csv');
  for (let accepted = 0; accepted <= PER_PARTICIPANT; accepted++) {
    const res = await client.upload(stack.url, token, stack.slug, file);
    if (res.status === 429) {
      const { code, message } = ((await res.json()) as { error: { code: string; message: string } }).error;
      return { accepted, refusal: { code, message } };
    }
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${await res.text()}`);
  }
  return { accepted: PER_PARTICIPANT + 1, refusal: null };
}

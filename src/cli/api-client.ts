import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { serverSentEvents } from './sse.js';

/** The exit code when the server cannot be reached (or the connection broke). */
export const EXIT_UNREACHABLE = 2;
/** Tries of one upload when the connection fails (1 s, then 2 s apart), under one Idempotency-Key. */
const SUBMIT_ATTEMPTS = 3;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** An error's details as indented lines, for the terminal. */
export function formatDetails(details: readonly { line?: number; file?: string; message: string }[] = []): string {
  return details
    .map((d) => {
      const file = d.file && !d.message.startsWith(d.file) ? `${d.file}: ` : '';
      return `\n  ${file}${d.line ? `line ${d.line}: ` : ''}${d.message}`;
    })
    .join('');
}

/**
 * Every metric of a score but the spreads, each with its spread (± std over seeds) when it
 * has one; rounded to `digits` decimals, or exact when none are given. The ranking one is starred.
 */
export function formatMetrics(metrics: Record<string, number>, ranking: string | null, digits?: number): string {
  const show = (v: number) => (digits === undefined ? String(v) : v.toFixed(digits));
  return Object.entries(metrics)
    .filter(([name]) => !name.endsWith('_std'))
    .map(([name, value]) => {
      const std = metrics[`${name}_std`];
      return `\n${name === ranking ? '* ' : '  '}${name} = ${show(value)}${std === undefined ? '' : ` ± ${show(std)}`}`;
    })
    .join('');
}

export interface SubmissionView {
  id: string;
  status: 'queued' | 'running' | 'scored' | 'failed';
  score: number | null;
  metric: string | null;
  metrics: Record<string, number> | null;
  error: { code: string; message: string; details: { line?: number; file?: string; message: string }[] } | null;
}

/** A `progress` event of GET /submissions/:id/events. */
export interface ProgressView {
  stage: 'validating' | 'training' | 'evaluating';
  step?: number;
  steps?: number;
  seed?: number;
  percent: number;
}

export interface LeaderboardView {
  challenge: string;
  version: number;
  metric: string;
  direction: 'maximize' | 'minimize';
  entries: {
    rank: number;
    participant: string;
    score: number;
    spread: number | null;
    tasks?: Record<string, number | null>;
    submissionId: string;
    submittedAt: string;
  }[];
}

export const TOKEN_SCOPES = ['read', 'submit', 'organize', 'admin'] as const;

// The server's answers are checked like any input: a changed or foreign server gets a clear
// message instead of "undefined" in the output. Unknown fields are allowed (the API grows).
const nullableDate = z.string().nullable().optional();

const MeSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  token: z.object({ id: z.string(), name: z.string().nullable().optional(), scopes: z.array(z.string()), expiresAt: nullableDate }).optional(),
});
export type MeView = z.infer<typeof MeSchema>;

const TokenSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  scopes: z.array(z.string()),
  createdAt: nullableDate,
  expiresAt: nullableDate,
  lastUsedAt: nullableDate,
  revokedAt: nullableDate,
});
export type TokenView = z.infer<typeof TokenSchema>;

const CreatedTokenSchema = z.object({ id: z.string(), name: z.string().nullable(), scopes: z.array(z.string()), expiresAt: nullableDate, token: z.string().min(1) });
export type CreatedTokenView = z.infer<typeof CreatedTokenSchema>;

const ChallengeListItemSchema = z.looseObject({ slug: z.string(), title: z.string(), protocol: z.string(), status: z.string(), version: z.number() });
export type ChallengeListItem = z.infer<typeof ChallengeListItemSchema>;

const ChallengeSchema = z.looseObject({
  slug: z.string(),
  title: z.string(),
  rules: z.string().nullable().optional(),
  license: z.unknown().optional(),
});
export type ChallengeView = z.infer<typeof ChallengeSchema>;

/** A small client of the HTTP API for the CLI. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  /**
   * Calls the API with the token. Unreachable: exit code 2; an error answer: its message
   * and details, exit code 4 for a token problem (with how to give one) and 1 otherwise.
   */
  private async send(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('Authorization', `Bearer ${this.token}`);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/api/v1${path}`, { ...init, headers });
    } catch (e) {
      throw new CliError(`cannot reach ${this.baseUrl} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); is the server running? (--url or SIEVE_URL)`, EXIT_UNREACHABLE);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message: string; details?: { line?: number; message: string }[] } } | null;
      // A 401 is a missing, invalid, expired or revoked token: say how to give one.
      const hint = res.status === 401 ? '\n  (log in with "sieve login", or pass --token or set SIEVE_TOKEN)' : '';
      throw new CliError(`${res.status}: ${body?.error?.message ?? res.statusText}${formatDetails(body?.error?.details)}${hint}`, res.status === 401 || res.status === 403 ? 4 : 1);
    }
    return res;
  }

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.send(path, init)).json().catch(() => null)) as T;
  }

  /** Parses an answer with `schema`; a mismatch says which route answered what. */
  private async requestParsed<S extends z.ZodType>(schema: S, path: string, init: RequestInit = {}): Promise<z.infer<S>> {
    const body = await this.request<unknown>(path, init);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
      throw new CliError(`unexpected answer from ${this.baseUrl} to ${init.method ?? 'GET'} /api/v1${path} (${where}); is this a Sieve server of the same version?`);
    }
    return parsed.data;
  }

  /** Who the token belongs to; a 401 (exit code 4) when it is invalid, expired or revoked. */
  me(): Promise<MeView> {
    return this.requestParsed(MeSchema, '/accounts/me');
  }

  challenge(slug: string): Promise<ChallengeView> {
    return this.requestParsed(ChallengeSchema, `/challenges/${encodeURIComponent(slug)}`);
  }

  /** The challenges (drafts are not listed). */
  challenges(): Promise<ChallengeListItem[]> {
    return this.requestParsed(z.array(ChallengeListItemSchema), '/challenges');
  }

  /** The challenge page as JSON, with everything the server says about it. */
  challengeDetails(slug: string): Promise<Record<string, unknown>> {
    return this.request(`/challenges/${encodeURIComponent(slug)}`);
  }

  /**
   * A public data file (the pool, the dev split…) streamed to `out`, calling `onBytes` as
   * it arrives. Written to a temp name first and renamed, so `out` is never half a file.
   * `out` may be a function of the file's extension (`.csv`, or `.sbt` for a binary table).
   */
  async download(slug: string, role: string, out: string | ((extension: string) => string), onBytes: (total: number) => void): Promise<{ bytes: number; out: string }> {
    const path = role === 'pool' || role === 'dev' ? role : `files/${encodeURIComponent(role)}`;
    const res = await this.send(`/challenges/${encodeURIComponent(slug)}/${path}`);
    if (!res.body) throw new CliError(`${res.status}: the server sent no file`);
    if (typeof out !== 'string') out = out(res.headers.get('content-type')?.startsWith('application/vnd.sieve.table') ? '.sbt' : '.csv');
    const partial = `${out}.part`;
    let total = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        total += chunk.length;
        onBytes(total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, createWriteStream(partial));
      await rename(partial, out);
    } catch (e) {
      await rm(partial, { force: true });
      throw new CliError(`download of ${slug}/${role} failed: ${(e as Error).message}`);
    }
    return { bytes: total, out };
  }

  async join(slug: string): Promise<void> {
    await this.request(`/challenges/${encodeURIComponent(slug)}/join`, json('POST', { acceptRules: true }));
  }

  tokens(): Promise<TokenView[]> {
    return this.requestParsed(z.array(TokenSchema), '/tokens');
  }

  createToken(body: { name: string; scopes: string[]; expiresInDays?: number }): Promise<CreatedTokenView> {
    return this.requestParsed(CreatedTokenSchema, '/tokens', json('POST', body));
  }

  async revokeToken(id: string): Promise<void> {
    await this.request(`/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  async submit(slug: string, file: string): Promise<{ id: string; status: string }> {
    const bytes = await readFile(file).catch((e: Error) => {
      throw new CliError(`cannot read ${file}: ${e.message}`);
    });
    const form = new FormData();
    form.set('file', new Blob([bytes], { type: contentType(file) }), basename(file));
    // One key for this upload and its retries: a retry after a lost answer gets the first answer, not a second submission.
    const init = { method: 'POST', body: form, headers: { 'Idempotency-Key': randomUUID() } };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.request(`/challenges/${encodeURIComponent(slug)}/submissions`, init);
      } catch (e) {
        if (!(e instanceof CliError && e.exitCode === EXIT_UNREACHABLE) || attempt === SUBMIT_ATTEMPTS) throw e;
        await sleep(1000 * 2 ** (attempt - 1));
      }
    }
  }

  submission(id: string): Promise<SubmissionView> {
    return this.request(`/submissions/${encodeURIComponent(id)}`);
  }

  leaderboard(slug: string): Promise<LeaderboardView> {
    return this.request(`/challenges/${encodeURIComponent(slug)}/leaderboard`);
  }

  /** The board as the server writes it in CSV (formula-looking cells neutralized). */
  async leaderboardCsv(slug: string): Promise<string> {
    return (await this.send(`/challenges/${encodeURIComponent(slug)}/leaderboard?format=csv`)).text();
  }


  /**
   * Follows a submission live (GET /submissions/:id/events) until it is scored or failed;
   * where the stream is not available or ends early, polls instead.
   */
  async follow(id: string, on: { status: (s: SubmissionView) => void; progress: (p: ProgressView) => void }, timeoutMs = 30 * 60_000): Promise<SubmissionView> {
    const res = await this.send(`/submissions/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(timeoutMs) }).catch(() => null);
    if (res?.ok && res.body) {
      try {
        for await (const e of serverSentEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
          if (e.event === 'progress') on.progress(JSON.parse(e.data) as ProgressView);
          if (e.event !== 'status') continue;
          const s = JSON.parse(e.data) as SubmissionView;
          on.status(s);
          if (s.status === 'scored' || s.status === 'failed') return s;
        }
      } catch {
        // The stream broke: polling tells the rest.
      }
    }
    return this.waitFor(id, on.status, timeoutMs);
  }

  async waitFor(id: string, onStatus: (s: SubmissionView) => void, timeoutMs = 30 * 60_000): Promise<SubmissionView> {
    const deadline = Date.now() + timeoutMs;
    let delay = 200;
    for (;;) {
      const s = await this.submission(id);
      onStatus(s);
      if (s.status === 'scored' || s.status === 'failed') return s;
      if (Date.now() > deadline) throw new CliError(`gave up waiting for ${id} (still ${s.status})`, 5);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.5, 2000);
    }
  }
}

function json(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function contentType(file: string): string {
  if (file.endsWith('.zip')) return 'application/zip';
  if (file.endsWith('.gz')) return 'application/gzip';
  return 'text/csv';
}

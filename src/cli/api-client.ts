import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

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

/** A small client of the HTTP API for the CLI. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('Authorization', `Bearer ${this.token}`);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl.replace(/\/$/, '')}/api/v1${path}`, { ...init, headers });
    } catch (e) {
      throw new CliError(`cannot reach ${this.baseUrl} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); is the server running? (--url or SIEVE_URL)`, 2);
    }
    const body = (await res.json().catch(() => null)) as { error?: { message: string; details?: { line?: number; message: string }[] } } | null;
    if (!res.ok) {
      throw new CliError(`${res.status}: ${body?.error?.message ?? res.statusText}${formatDetails(body?.error?.details)}`, res.status === 401 || res.status === 403 ? 4 : 1);
    }
    return body as T;
  }

  async submit(slug: string, file: string): Promise<{ id: string; status: string }> {
    const bytes = await readFile(file).catch((e: Error) => {
      throw new CliError(`cannot read ${file}: ${e.message}`);
    });
    const form = new FormData();
    form.set('file', new Blob([bytes], { type: contentType(file) }), basename(file));
    return this.request(`/challenges/${encodeURIComponent(slug)}/submissions`, { method: 'POST', body: form });
  }

  submission(id: string): Promise<SubmissionView> {
    return this.request(`/submissions/${encodeURIComponent(id)}`);
  }

  leaderboard(slug: string): Promise<LeaderboardView> {
    return this.request(`/challenges/${encodeURIComponent(slug)}/leaderboard`);
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

function contentType(file: string): string {
  if (file.endsWith('.zip')) return 'application/zip';
  if (file.endsWith('.gz')) return 'application/gzip';
  return 'text/csv';
}

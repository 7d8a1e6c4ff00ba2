import { waitUntil } from './services.js';

/** What the tests read of a submission (GET /api/v1/submissions/:id). */
export interface SubmissionBody {
  id: string;
  status: string;
  score: number | null;
  metric: string | null;
  metrics: Record<string, number> | null;
  details: { curve: { fixes: number; fraction: number; accuracy: number }[] } | null;
  trainer: { name: string; version: string } | null;
  attempts: number;
  error: { code: string; message: string } | null;
}

export interface Board {
  metric: string;
  direction: string;
  entries: { rank: number; participant: string; score: number; spread: number | null; tasks?: Record<string, number | null>; submissionId: string }[];
}

/** Registers a participant; returns its token. */
export async function register(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  if (res.status !== 201) throw new Error(`registering ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Joins a challenge, accepting its rules (again is fine: 200). */
export async function join(url: string, token: string, slug: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/challenges/${slug}/join`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ acceptRules: true }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`joining ${slug}: ${res.status} ${await res.text()}`);
}

/** A public data file of a challenge (the pool, dev…), downloaded as a participant who joined it. */
export async function download(url: string, token: string, slug: string, role: string): Promise<Response> {
  await join(url, token, slug);
  return fetch(`${url}/api/v1/challenges/${slug}/${role === 'pool' || role === 'dev' ? role : `files/${role}`}`, { headers: { authorization: `Bearer ${token}` } });
}

/** Joins the challenge (as a participant must) and uploads a submission file; returns the raw response. */
export async function upload(url: string, token: string, slug: string, body: Buffer | string): Promise<Response> {
  await join(url, token, slug);
  const form = new FormData();
  form.set('file', new Blob([body]), 'submission.csv');
  return fetch(`${url}/api/v1/challenges/${slug}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

/** Uploads a submission that must be accepted; returns its id. */
export async function submit(url: string, token: string, slug: string, body: Buffer | string): Promise<string> {
  const res = await upload(url, token, slug, body);
  if (res.status !== 202) throw new Error(`submission to ${slug} refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Polls a submission until it is scored or failed. */
export function settled(url: string, token: string, id: string, timeoutMs = 60_000): Promise<SubmissionBody> {
  return waitUntil(
    async () => {
      const s = (await (await fetch(`${url}/api/v1/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as SubmissionBody;
      return s.status === 'scored' || s.status === 'failed' ? s : undefined;
    },
    timeoutMs,
    `submission ${id} to finish`,
  );
}

export async function leaderboard(url: string, slug: string): Promise<Board> {
  return (await (await fetch(`${url}/api/v1/challenges/${slug}/leaderboard`)).json()) as Board;
}

import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createStorage } from '../../src/core/storage/create-storage.js';
import type { StoragePort } from '../../src/core/storage/storage.port.js';
import { countRows, TEST_REDIS_URL, waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Abuse limits, as a client meets them: request rate limits (per token, per address),
 * body size and content-type checks, uploads streamed to a temp file that never
 * outlives its request, and slow clients cut off. Against the real PostgreSQL, Redis
 * (the rate-limit store when REDIS_URL is set) and an S3-compatible server.
 */

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; message: string }[] };
}

interface RawResponse {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte written to the connection closing. */
  elapsedMs: number;
}

const MiB = 1024 * 1024;
const SLUG = 'digits-selection';
const UPLOAD_PATH = `/api/v1/challenges/${SLUG}/submissions`;
const BOUNDARY = 'sieve-test-boundary';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let nextAddress = 1;
/** A client address of its own (believed from X-Forwarded-For only where TRUST_PROXY says so). */
const freshAddress = () => `10.77.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

/** The head of a multipart body up to (and including) the start of the file's bytes. */
function fileHead(field = 'file', filename = 'selection.csv'): string {
  return `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`;
}
const TAIL = `\r\n--${BOUNDARY}--\r\n`;

/**
 * One HTTP/1.1 request written by hand on a socket, so a test controls every byte and
 * its timing: bodies with or without Content-Length, malformed bodies, trickled bodies.
 * Resolves when the server closes the connection (Connection: close).
 */
function rawRequest(url: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: (write: (chunk: string | Buffer) => boolean) => Promise<void> | void }): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const received: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    let open = true;
    const done = () => {
      open = false;
      const text = Buffer.concat(received).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: status ? Number(status[1]) : null, headers, body: rest.join('\r\n\r\n'), elapsedMs: Date.now() - started });
    };
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('error', () => undefined); // the server may close while we still write: that is the point of some tests
    socket.on('close', done);
    socket.on('connect', () => {
      const headers = { host: `${hostname}:${port}`, connection: 'close', ...opts.headers };
      socket.write(`${opts.method ?? 'POST'} ${opts.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      void Promise.resolve(opts.body?.((chunk) => open && !socket.destroyed && socket.write(chunk))).catch(() => undefined);
    });
  });
}

const errorOf = (raw: RawResponse) => JSON.parse(raw.body) as ErrorBody;

/** What the one submission row recorded of its file. */
async function submissionFile(databaseUrl: string): Promise<{ file_bytes: number; file_sha256: string }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ file_bytes: number; file_sha256: string }>('SELECT file_bytes, file_sha256 FROM submissions');
    expect(rows).toHaveLength(1);
    return rows[0];
  } finally {
    await c.end();
  }
}

/** The temp folder uploads stream into: empty (or never made) once every request is over. */
async function tempFiles(stack: Stack): Promise<string[]> {
  return readdir(stack.config.uploadTmpDir).catch(() => []);
}

async function expectRateLimited(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe('rate_limited');
  expect(body.error.message).toMatch(/Too many requests: at most \d+ .* a minute/);
  expect(body.error.details).toEqual([expect.objectContaining({ field, message: expect.stringMatching(/next allowed in \d+ s/) })]);
}

describe('abuse limits with Redis (rate limits shared through Redis)', () => {
  let stack: Stack;
  let storage: StoragePort;

  beforeAll(async () => {
    stack = await startStack({
      storage: 's3',
      queue: 'redis',
      env: {
        RATE_LIMIT_PER_MINUTE: '5',
        RATE_LIMIT_IP_PER_MINUTE: '3',
        RATE_LIMIT_UPLOADS_PER_MINUTE: '3',
        RATE_LIMIT_AUTH_PER_MINUTE: '4',
        // The test client stands behind a "proxy" on loopback, so each test can be its own address.
        TRUST_PROXY: 'loopback',
        MAX_UPLOAD_BYTES: String(2 * MiB),
        REQUEST_TIMEOUT_MS: '1500',
      },
    });
    storage = createStorage(stack.config.storage);
  }, 60_000);

  afterAll(async () => {
    await storage?.close();
    await stack?.stop();
  }, 30_000);

  const from = (address: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': address, ...headers });
  const register = async (name: string, address = freshAddress()): Promise<string> => {
    const res = await fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: from(address, { 'content-type': 'application/json' }), body: JSON.stringify({ name }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  };
  /** A request with a token (any route that needs one would do). */
  const me = (token: string) => fetch(`${stack.url}/api/v1/accounts/me`, { headers: from(freshAddress(), { authorization: `Bearer ${token}` }) });
  const joined = new Set<string>();
  /** Joins the challenge first (one request of the token's budget), as a participant must. */
  const upload = async (token: string, body: Buffer | string) => {
    if (!joined.has(token)) {
      const res = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/join`, {
        method: 'POST',
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
        body: JSON.stringify({ acceptRules: true }),
      });
      expect(res.status).toBe(201);
      joined.add(token);
    }
    const form = new FormData();
    form.set('file', new Blob([body]), 'selection.csv');
    return fetch(`${stack.url}${UPLOAD_PATH}`, { method: 'POST', headers: from(freshAddress(), { authorization: `Bearer ${token}` }), body: form });
  };
  const nothingStored = async () => {
    expect(await countRows(stack.db.url, 'submissions')).toBe(0);
    expect(await storage.list('submissions/')).toEqual([]);
    // A refused upload's temp file is gone before the answer; a dropped connection's soon after.
    await waitUntil(async () => (await tempFiles(stack)).length === 0, 5000, 'the upload temp folder to be empty');
  };

  describe('request rate limits', () => {
    it('limits each token, whatever address it comes from, and tells when to retry', async () => {
      const token = await register('ada');
      for (let i = 0; i < 5; i++) expect((await me(token)).status).toBe(200);
      await expectRateLimited(await me(token), 'rateLimit.token');
      // Another participant is not held back by ada's traffic.
      expect((await me(await register('grace'))).status).toBe(200);
    });

    it('limits requests without a token per client address; health probes are never limited', async () => {
      const address = freshAddress();
      const list = () => fetch(`${stack.url}/api/v1/challenges`, { headers: from(address) });
      for (let i = 0; i < 3; i++) expect((await list()).status).toBe(200);
      await expectRateLimited(await list(), 'rateLimit.ip');
      expect((await fetch(`${stack.url}/api/v1/challenges`, { headers: from(freshAddress()) })).status).toBe(200);
      for (let i = 0; i < 10; i++) {
        expect((await fetch(`${stack.url}/healthz`, { headers: from(address) })).status).toBe(200);
        expect((await fetch(`${stack.url}/readyz`, { headers: from(address) })).status).toBe(200);
      }
    });

    it('limits uploads more tightly than other requests', async () => {
      const token = await register('linus');
      for (let i = 0; i < 3; i++) expect((await upload(token, '')).status).toBe(400); // refused files still count (the join before is not an upload)
      await expectRateLimited(await upload(token, ''), 'rateLimit.uploads');
      await nothingStored();
    });

    it('limits how many unknown tokens one address may have checked, so made-up tokens cannot be tried at will', async () => {
      const address = freshAddress();
      const valid = await register('known');
      expect((await me(valid)).status).toBe(200); // checked once (from elsewhere): known from now on
      const made = () => `sieve_${randomBytes(12).toString('base64url')}${randomBytes(32).toString('base64url')}`;
      const attempt = (token: string) => fetch(`${stack.url}/api/v1/accounts/me`, { headers: from(address, { authorization: `Bearer ${token}` }) });
      for (let i = 0; i < 4; i++) expect((await attempt(made())).status).toBe(401);
      await expectRateLimited(await attempt(made()), 'rateLimit.auth');
      // A token this server already knows skips the check, from the same address.
      expect((await attempt(valid)).status).toBe(200);
    });

    it('counts tokens pasted into the sign-in form against the same budget of checks', async () => {
      const address = freshAddress();
      const made = () => `sieve_${randomBytes(12).toString('base64url')}${randomBytes(32).toString('base64url')}`;
      // Three of the address's four checks spent through the API...
      for (let i = 0; i < 3; i++) expect((await fetch(`${stack.url}/api/v1/accounts/me`, { headers: from(address, { authorization: `Bearer ${made()}` }) })).status).toBe(401);
      const signIn = () =>
        fetch(`${stack.url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: from(address, { 'content-type': 'application/x-www-form-urlencoded' }),
          body: new URLSearchParams({ token: made() }).toString(),
        });
      // ...the fourth through the form; the fifth is refused before its scrypt.
      expect((await signIn()).status).toBe(401);
      const refused = await signIn();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await refused.text()).toContain('new tokens checked a minute');
    });

    it('keeps only a hash of the token in Redis, under the test run\'s prefix', async () => {
      const token = await register('margaret');
      expect((await me(token)).status).toBe(200);
      const redis = new Redis(TEST_REDIS_URL);
      try {
        const keys = await redis.keys(`${stack.config.queuePrefix}:ratelimit:*`);
        expect(keys.some((k) => k.includes(':token:'))).toBe(true);
        expect(keys.some((k) => k.includes(':ip:'))).toBe(true);
        expect(keys.join('\n')).not.toContain(token);
        expect(keys.join('\n')).not.toContain(token.slice('sieve_'.length, 'sieve_'.length + 16));
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('bodies: size and content type', () => {
    it('refuses a JSON body over 64 kB with 413, on an open route and on a signed-in one', async () => {
      const big = JSON.stringify({ name: 'x'.repeat(100_000) });
      const res = await fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: from(freshAddress(), { 'content-type': 'application/json' }), body: big });
      expect(res.status).toBe(413);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toEqual({ code: 'payload_too_large', message: 'The request body is larger than 65536 bytes, the most a JSON body may be', details: [] });
      const token = await register('barbara');
      const picks = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/final-submissions`, {
        method: 'PUT',
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': 'application/json' }),
        body: JSON.stringify({ submissionIds: Array<string>(5000).fill('00000000-0000-0000-0000-000000000000') }),
      });
      expect(picks.status).toBe(413);
    });

    it.each<[string, string, Record<string, string>, string, RegExp]>([
      ['text to a JSON route', '/api/v1/accounts', { 'content-type': 'text/plain' }, 'name=ada', /takes JSON: send the body with Content-Type: application\/json \(got text\/plain\)/],
      ['a form to a JSON route', '/api/v1/accounts', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=ada', /application\/json/],
      ['a body with no type to a JSON route', '/api/v1/accounts', {}, '{"name":"ada"}', /application\/json \(got no Content-Type\)/],
      ['JSON to the upload route', UPLOAD_PATH, { 'content-type': 'application/json' }, '{"file":"id\\nd0000"}', /takes a file upload: send multipart\/form-data with the file in the field "file" \(got application\/json\)/],
      ['a bare CSV to the upload route', UPLOAD_PATH, { 'content-type': 'text/csv' }, 'id\nd0000\n', /multipart\/form-data.*\(got text\/csv\)/],
    ])('answers %s with 415 saying what to send', async (_name, path, headers, payload, message) => {
      const token = await register(`media-${nextAddress}`);
      const res = await rawRequest(stack.url, {
        path,
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-length': String(Buffer.byteLength(payload)), ...headers }),
        body: (write) => void write(payload),
      });
      expect(res.status).toBe(415);
      expect(errorOf(res).error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(message), details: [expect.objectContaining({ field: 'content-type' })] });
    });
  });

  describe('uploads', () => {
    afterEach(async () => {
      // Whatever happened to the upload, no temp file outlives its request.
      await waitUntil(async () => (await tempFiles(stack)).length === 0, 5000, 'the upload temp folder to be empty');
    });

    it('refuses an upload over the server ceiling with 413 before reading it when its length is announced', async () => {
      const token = await register('ken');
      const res = await upload(token, Buffer.alloc(4 * MiB, 'a'));
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'payload_too_large', message: expect.stringMatching(/too large: \d+ bytes, and this server accepts files of at most 2097152 bytes/) });
      await nothingStored();
    });

    it('cuts off a streamed upload (no Content-Length) at the ceiling with 413, and stores nothing', async () => {
      const token = await register('dennis');
      const res = await rawRequest(stack.url, {
        path: UPLOAD_PATH,
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' }),
        body: async (write) => {
          const chunk = (data: string | Buffer) => write(`${Buffer.byteLength(data).toString(16)}\r\n`) && write(data) && write('\r\n');
          chunk(fileHead());
          for (let sent = 0; sent < 3 * MiB; sent += 64 * 1024) {
            chunk(Buffer.alloc(64 * 1024, 'a'));
            await sleep(1);
          }
          chunk(TAIL);
          write('0\r\n\r\n');
        },
      });
      expect(res.status).toBe(413);
      expect(errorOf(res).error).toMatchObject({ code: 'payload_too_large', message: 'The file is too large: this server accepts files of at most 2097152 bytes' });
      await nothingStored();
    });

    it('refuses a file under the ceiling but over the challenge\'s cap with 413, and stores nothing', async () => {
      const token = await register('barbara-l');
      const res = await upload(token, `id\n${'d0000\n'.repeat(300_000)}`);
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.message).toMatch(/The file is 1800003 bytes; this challenge accepts at most 1048576 bytes/);
      await nothingStored();
    });

    it.each<[string, () => string, RegExp]>([
      ['a body cut short', () => `${fileHead()}id\nd0000\n`, /multipart body could not be read \(Unexpected end of form\)/],
      ['two files', () => `${fileHead()}id\nd0000\n\r\n${fileHead()}id\nd0001\n${TAIL}`, /Send one file, in the multipart field "file"/],
      ['too many fields', () => `${Array.from({ length: 9 }, (_, i) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('')}--${BOUNDARY}--\r\n`, /more than 8 fields/],
    ])('answers a malformed multipart body (%s) with 400', async (_name, body, message) => {
      const token = await register(`multipart-${nextAddress}`);
      const payload = Buffer.from(body());
      const res = await rawRequest(stack.url, {
        path: UPLOAD_PATH,
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(payload.length) }),
        body: (write) => void write(payload),
      });
      expect(res.status).toBe(400);
      expect(errorOf(res).error).toMatchObject({ code: 'invalid_multipart', message: expect.stringMatching(message) });
      await nothingStored();
    });

    it('answers multipart/form-data without a boundary with 400', async () => {
      const token = await register('boundless');
      const res = await fetch(`${stack.url}${UPLOAD_PATH}`, { method: 'POST', headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data' }), body: 'id\nd0000\n' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_multipart');
    });

    it('cuts off a client that trickles its upload, and removes what it had sent', async () => {
      const token = await register('slowpoke');
      let sentBytes = 0;
      const res = await rawRequest(stack.url, {
        path: UPLOAD_PATH,
        headers: from(freshAddress(), { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(1024 * 1024) }),
        body: async (write) => {
          write(fileHead());
          write('id\n');
          // One byte every 100 ms, for far longer than REQUEST_TIMEOUT_MS (1.5 s).
          for (let i = 0; i < 150 && write('d'); i++) {
            sentBytes++;
            await sleep(100);
          }
        },
      });
      expect(res.status).toBe(408);
      expect(res.elapsedMs).toBeGreaterThanOrEqual(1400);
      expect(res.elapsedMs).toBeLessThan(6000);
      expect(sentBytes).toBeLessThan(150);
      await nothingStored();
    });

    it('removes the temp file of a client that goes away mid-upload', async () => {
      const token = await register('quitter');
      const { hostname, port } = new URL(stack.url);
      const socket = connect(Number(port), hostname);
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\nhost: ${hostname}\r\nx-forwarded-for: ${freshAddress()}\r\nauthorization: Bearer ${token}\r\ncontent-type: multipart/form-data; boundary=${BOUNDARY}\r\ncontent-length: ${MiB}\r\n\r\n`);
      socket.write(fileHead());
      socket.write(Buffer.alloc(256 * 1024, 'a'));
      // The file is on its way to the temp folder...
      await waitUntil(async () => (await tempFiles(stack)).length === 1, 5000, 'the upload to reach the temp folder');
      socket.destroy();
      // ...and gone once the client is (afterEach waits for the folder to be empty).
      await waitUntil(async () => (await tempFiles(stack)).length === 0, 5000, 'the temp file to be removed');
      await nothingStored();
    });

    it('accepts a valid upload, stores it from the temp file with its size and hash, and keeps no temp file', async () => {
      const token = await register('ada-lovelace');
      const file = await readFile(`challenges/${SLUG}/baselines/random.csv`);
      const res = await upload(token, file);
      expect(res.status).toBe(202);
      const keys = await storage.list('submissions/');
      expect(keys).toHaveLength(1);
      expect((await storage.get(keys[0])).equals(file)).toBe(true);
      expect(await submissionFile(stack.db.url)).toEqual({ file_bytes: file.length, file_sha256: createHash('sha256').update(file).digest('hex') });
      expect(await tempFiles(stack)).toEqual([]);
    });
  });

  it('is still healthy after all of it', async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
  });
});

describe('abuse limits without Redis (rate limits in process memory)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      storage: 'filesystem',
      queue: 'postgres',
      // TRUST_PROXY stays off: X-Forwarded-For is the client's word and counts for nothing.
      env: { RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_IP_PER_MINUTE: '3', RATE_LIMIT_UPLOADS_PER_MINUTE: '2' },
    });
  }, 60_000);

  afterAll(() => stack?.stop(), 30_000);

  it('limits a token and an address, and a forged X-Forwarded-For does not help', async () => {
    const res = await fetch(`${stack.url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.1' }, body: JSON.stringify({ name: 'ada' }) });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    const me = () => fetch(`${stack.url}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 4; i++) expect((await me()).status).toBe(200);
    await expectRateLimited(await me(), 'rateLimit.token');

    const list = (forged: string) => fetch(`${stack.url}/api/v1/challenges`, { headers: { 'x-forwarded-for': forged } });
    expect((await list('203.0.113.2')).status).toBe(200);
    expect((await list('203.0.113.3')).status).toBe(200);
    await expectRateLimited(await list('203.0.113.4'), 'rateLimit.ip');
  });

  it('is still healthy, and has no temp file left', async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect(await tempFiles(stack)).toEqual([]);
  });
});

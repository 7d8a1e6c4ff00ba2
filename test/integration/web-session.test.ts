import { readFile } from 'node:fs/promises';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

const SLUG = 'digits-session';

/**
 * The web pages' session: a token of its own in an HttpOnly cookie, which signs pages and
 * the API's GET routes (downloads, the live status stream), never a request that changes
 * something from another site, and which signing out revokes.
 */
describe('web sessions', () => {
  let stack: Stack;
  let token: string;
  let cookie: string;

  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', challenges: [{ from: 'digits-selection', slug: SLUG }] });
    token = await client.register(stack.url, 'grace');
    await client.join(stack.url, token, SLUG);
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const origin = () => ({ origin: stack.url, 'sec-fetch-site': 'same-origin' });

  it('signing in sets an HttpOnly session cookie holding a new 7-day token, not the one pasted', async () => {
    const res = await post('/login', { token, next: `/c/${SLUG}` }, origin());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/c/${SLUG}`);
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(/^sieve_session=sieve_[\w-]+;/);
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).toMatch(/Max-Age=604800/);
    cookie = /^(sieve_session=[^;]+)/.exec(set)![1];
    expect(cookie).not.toContain(token);
    const [session] = await stack.sql<{ name: string; days: number }>(
      `SELECT t.name, round(extract(epoch FROM t.expires_at - t.created_at) / 86400)::int AS days FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.name = 'grace' ORDER BY t.created_at DESC LIMIT 1`,
    );
    expect(session).toEqual({ name: 'web session', days: 7 });
  });

  it('the cookie signs pages and the API GET routes the pages link to', async () => {
    const page = await fetch(`${stack.url}/c/${SLUG}`, { headers: { cookie } });
    expect(await page.text()).toContain('Signed in as <strong>grace</strong>');
    const pool = await fetch(`${stack.url}/api/v1/challenges/${SLUG}/pool`, { headers: { cookie } });
    expect(pool.status).toBe(200);
    expect(await pool.text()).toMatch(/^id,label/);
  });

  it('refuses a cookie-signed request that changes something unless it comes from this site', async () => {
    const file = await readFile('challenges/digits-selection/baselines/random.csv');
    const upload = (headers: Record<string, string>) => {
      const form = new FormData();
      form.set('file', new Blob([file]), 'random.csv');
      return fetch(`${stack.url}/api/v1/challenges/${SLUG}/submissions`, { method: 'POST', headers: { cookie, ...headers }, body: form });
    };
    const attempts: Record<string, string>[] = [{}, { origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: stack.url }];
    for (const headers of attempts) {
      const res = await upload(headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_origin');
    }
    const webForm = await post(`/c/${SLUG}/join`, { acceptRules: 'yes' }, { cookie, origin: 'https://evil.example' });
    expect(webForm.status).toBe(403);
    expect(await stack.sql('SELECT id FROM submissions')).toEqual([]);
    // From this site's own page, it goes through.
    expect((await upload(origin())).status).toBe(202);
  });

  it('makes one submission of a submit form sent twice (a double click), with the key the page put in it', async () => {
    const page = await (await fetch(`${stack.url}/c/${SLUG}`, { headers: { cookie } })).text();
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page)![1];
    const file = await readFile('challenges/digits-selection/baselines/balanced.csv');
    const send = () => {
      const form = new FormData();
      form.set('idempotencyKey', key);
      form.set('file', new Blob([file]), 'balanced.csv');
      return fetch(`${stack.url}/c/${SLUG}/submit`, { method: 'POST', redirect: 'manual', headers: { cookie, ...origin() }, body: form });
    };
    const before = (await stack.sql('SELECT id FROM submissions')).length;
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([303, 303]);
    expect(a.headers.get('location')).toMatch(new RegExp(`^/c/${SLUG}/submissions/[0-9a-f-]{36}$`));
    expect(b.headers.get('location')).toBe(a.headers.get('location'));
    expect((await stack.sql('SELECT id FROM submissions')).length).toBe(before + 1);
    // The next time the page is shown, its form has a new key.
    const again = await (await fetch(`${stack.url}/c/${SLUG}`, { headers: { cookie } })).text();
    expect(/name="idempotencyKey" value="([^"]+)"/.exec(again)![1]).not.toBe(key);
  });

  it('an expired session leaves public pages readable, anonymously', async () => {
    const [expired] = await stack.sql<{ id: string }>(`SELECT id FROM api_tokens WHERE name = 'web session' LIMIT 1`);
    const other = await post('/login', { token }, origin());
    const second = /^(sieve_session=[^;]+)/.exec(other.headers.get('set-cookie')!)![1];
    await stack.sql(`UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    const page = await fetch(`${stack.url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign in');
    const mine = await fetch(`${stack.url}/c/${SLUG}/submissions`, { headers: { cookie }, redirect: 'manual' });
    expect(mine.status).toBe(303);
    cookie = second;
  });

  it('signing out revokes the session token and clears the cookie', async () => {
    const res = await post('/logout', {}, { cookie, ...origin() });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/sieve_session=;/);
    const after = await fetch(`${stack.url}/api/v1/accounts/me`, { headers: { cookie } });
    expect(after.status).toBe(401);
    // The token pasted to sign in still works.
    expect((await fetch(`${stack.url}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('only sends a sign-in back to a path of this site', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await post('/login', { token, next }, origin());
      expect({ next, location: res.headers.get('location') }).toEqual({ next, location: '/' });
    }
  });
});

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from '../support/client.js';
import { cleanEnv, run } from '../support/processes.js';
import { type Stack, startStack } from '../support/stack.js';

/** The real `sieve` binary against a real server: logging in, joining, and managing tokens. */
describe('sieve login, join and tokens', () => {
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const sieve = (...args: string[]) => run(['bin/sieve.js', ...args], env);

  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis' });
    home = await mkdtemp(join(tmpdir(), 'sieve-cli-home-'));
    env = cleanEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(home, { recursive: true, force: true });
  }, 30_000);

  it('refuses a token the server refuses, and saves nothing', async () => {
    const refused = await sieve('login', '--url', stack.url, '--token', `sieve_${'A'.repeat(59)}`);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/refused this token.*nothing was saved/);
    await expect(stat(join(home, '.config', 'sieve', 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('logs in, keeping the token in a file only its owner can read, then joins and manages tokens with it', async () => {
    const token = await client.register(stack.url, 'cli-person');
    const login = await sieve('login', '--url', stack.url, '--token', token);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('cli-person');
    expect(login.stdout).not.toContain(token);
    const file = join(home, '.config', 'sieve', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.config', 'sieve'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: stack.url, token });

    // The saved server and token serve every command.
    const notAccepted = await sieve('join', 'digits-selection');
    expect(notAccepted.code).toBe(1);
    expect(notAccepted.stderr).toContain('--accept-rules');
    const joined = await sieve('join', 'digits-selection', '--accept-rules');
    expect(joined.code).toBe(0);
    expect(joined.stdout).toContain('Joined digits-selection');

    // The challenge list, one challenge's page, and its pool downloaded.
    const list = await sieve('challenges');
    expect(list.stdout).toMatch(/^digits-selection +open +selection +1 +Select 100 training images/m);
    const page = await sieve('challenge', 'digits-selection');
    expect(page.stdout).toMatch(/^protocol: selection; model: logreg; metric: macro_f1 \(higher is better\)$/m);
    expect(page.stdout).toMatch(/^you: joined /m);
    const out = join(home, 'pool.csv');
    const download = await sieve('pool', 'download', 'digits-selection', '--out', out);
    expect(download.code).toBe(0);
    expect(download.stdout).toMatch(/^wrote .*pool\.csv \(\d+(\.\d)? kB\)$/m);
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(1298);
    const notJoined = await sieve('pool', 'download', 'fashion-selection', '--out', join(home, 'other.csv'));
    expect(notJoined.code).toBe(4);
    expect(notJoined.stderr).toContain('403');
    await expect(stat(join(home, 'other.csv'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(home, 'other.csv.part'))).rejects.toThrow(/ENOENT/);

    const created = await sieve('tokens', 'create', '--name', 'notebook', '--scopes', 'read', '--expires-in-days', '30', '--json');
    expect(created.code).toBe(0);
    const minted = JSON.parse(created.stdout) as { id: string; token: string; scopes: string[] };
    expect(minted.scopes).toEqual(['read']);
    const listed = await sieve('tokens', 'list', '--json');
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((t) => t.name).sort()).toEqual(['first token', 'notebook']);
    expect(listed.stdout).not.toContain(minted.token);
    expect((await sieve('tokens', 'revoke', minted.id)).code).toBe(0);
    const revoked = await fetch(`${stack.url}/api/v1/accounts/me`, { headers: { authorization: `Bearer ${minted.token}` } });
    expect(revoked.status).toBe(401);

    // Logged out: the token is gone from the file, and commands that need one say so.
    expect((await sieve('logout')).code).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: stack.url });
    expect((await sieve('tokens', 'list')).code).toBe(4);
  }, 60_000);
});

import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './api-client.js';
import { type CliConfig, configLocation, DEFAULT_URL, forgetToken, readCliConfig, resolveConnection, writeCliConfig } from './cli-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-config-spec-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('configLocation', () => {
  it.each([
    [{ SIEVE_CONFIG: '/etc/sieve.json', XDG_CONFIG_HOME: '/x' }, '/etc/sieve.json', false],
    [{ SIEVE_CONFIG: '  ', XDG_CONFIG_HOME: '/xdg' }, '/xdg/sieve/config.json', true],
    [{ XDG_CONFIG_HOME: '/xdg' }, '/xdg/sieve/config.json', true],
    // the XDG spec ignores a relative XDG_CONFIG_HOME
    [{ XDG_CONFIG_HOME: 'relative/xdg' }, '/home/ada/.config/sieve/config.json', true],
    [{}, '/home/ada/.config/sieve/config.json', true],
  ])('%j -> %s', (env, path, ownFolder) => {
    expect(configLocation(env, '/home/ada')).toEqual({ path, ownFolder });
  });

  it('resolves a relative SIEVE_CONFIG against the working directory', () => {
    expect(configLocation({ SIEVE_CONFIG: 'sieve.json' }, '/home/ada').path).toBe(join(process.cwd(), 'sieve.json'));
  });
});

describe('writeCliConfig', () => {
  it('creates the folder 0700 and the file 0600, and reads back what it wrote', async () => {
    const location = configLocation({ XDG_CONFIG_HOME: dir }, '/nowhere');
    await writeCliConfig(location, { url: 'https://sieve.example.org', token: 'sieve_secret' });
    expect(await modeOf(join(dir, 'sieve'))).toBe(0o700);
    expect(await modeOf(location.path)).toBe(0o600);
    expect(await readCliConfig(location.path)).toEqual({ url: 'https://sieve.example.org', token: 'sieve_secret' });
  });

  it('is atomic: it replaces the file by rename and leaves no temporary file', async () => {
    const location = configLocation({ XDG_CONFIG_HOME: dir }, '/nowhere');
    await writeCliConfig(location, { url: 'http://a' });
    const before = (await stat(location.path)).ino;
    await writeCliConfig(location, { url: 'http://b' });
    expect((await stat(location.path)).ino).not.toBe(before); // a new file took the old one's name
    expect(await readdir(join(dir, 'sieve'))).toEqual(['config.json']);
  });

  it("fixes an existing file's and its own folder's modes", async () => {
    const location = configLocation({ XDG_CONFIG_HOME: dir }, '/nowhere');
    await mkdir(join(dir, 'sieve'), { mode: 0o755 });
    await chmod(join(dir, 'sieve'), 0o755);
    await writeFile(location.path, '{"url":"http://old"}', { mode: 0o644 });
    await chmod(location.path, 0o644);
    await writeCliConfig(location, { url: 'http://new', token: 't' });
    expect(await modeOf(location.path)).toBe(0o600);
    expect(await modeOf(join(dir, 'sieve'))).toBe(0o700);
  });

  it('leaves the modes of a folder named by SIEVE_CONFIG alone (it may be shared)', async () => {
    await chmod(dir, 0o755);
    const location = configLocation({ SIEVE_CONFIG: join(dir, 'sieve.json') });
    await writeCliConfig(location, { token: 't' });
    expect(await modeOf(dir)).toBe(0o755);
    expect(await modeOf(location.path)).toBe(0o600);
  });

  it('keeps keys it does not know, and follows a link to the file', async () => {
    const real = join(dir, 'dotfiles', 'sieve.json');
    await mkdir(join(dir, 'dotfiles'));
    await writeFile(real, JSON.stringify({ url: 'http://a', theme: 'dark' }));
    await symlink(real, join(dir, 'link.json'));
    const location = configLocation({ SIEVE_CONFIG: join(dir, 'link.json') });
    await writeCliConfig(location, { ...(await readCliConfig(location.path)), token: 't' });
    expect(JSON.parse(await readFile(real, 'utf8'))).toEqual({ url: 'http://a', theme: 'dark', token: 't' });
    expect(await modeOf(real)).toBe(0o600);
  });
});

describe('readCliConfig', () => {
  it('reads a missing file as no settings', async () => {
    expect(await readCliConfig(join(dir, 'none.json'))).toEqual({});
  });

  it.each([
    ['{not json', 'is not valid JSON'],
    ['{"token": 42}', 'token:'],
    ['[]', 'is not valid'],
  ])('refuses %s, naming the file', async (text, message) => {
    const path = join(dir, 'bad.json');
    await writeFile(path, text);
    const e: unknown = await readCliConfig(path).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).message).toContain(path);
    expect((e as CliError).message).toContain(message);
  });
});

describe('forgetToken', () => {
  it('removes the token and keeps the URL', async () => {
    const location = configLocation({ SIEVE_CONFIG: join(dir, 'c.json') });
    await writeCliConfig(location, { url: 'http://a', token: 't' });
    expect(await forgetToken(location)).toBe(true);
    expect(await readCliConfig(location.path)).toEqual({ url: 'http://a' });
    expect(await forgetToken(location)).toBe(false);
    expect(await modeOf(location.path)).toBe(0o600);
  });
});

describe('resolveConnection: flags, then env, then the config file', () => {
  const file: CliConfig = { url: 'http://file', token: 'file-token' };
  it.each<[string, { url?: string; token?: string }, NodeJS.ProcessEnv, CliConfig, string, string | undefined, string, string | undefined]>([
    ['flags win', { url: 'http://flag', token: 'flag-token' }, { SIEVE_URL: 'http://env', SIEVE_TOKEN: 'env-token' }, file, 'http://flag', 'flag-token', 'flag', 'flag'],
    ['env over file', {}, { SIEVE_URL: 'http://env', SIEVE_TOKEN: 'env-token' }, file, 'http://env', 'env-token', 'env', 'env'],
    ['file when nothing else', {}, {}, file, 'http://file', 'file-token', 'config', 'config'],
    ['mixed', { token: 'flag-token' }, { SIEVE_URL: 'http://env' }, file, 'http://env', 'flag-token', 'env', 'flag'],
    ['empty env values do not count', {}, { SIEVE_URL: '', SIEVE_TOKEN: ' ' }, file, 'http://file', 'file-token', 'config', 'config'],
    ['the default URL, no token', {}, {}, {}, DEFAULT_URL, undefined, 'default', undefined],
  ])('%s', async (_name, flags, env, config, url, token, urlFrom, tokenFrom) => {
    const connection = await resolveConnection(flags, env, () => Promise.resolve(config));
    expect(connection).toEqual({ url, token, from: { url: urlFrom, token: tokenFrom } });
  });

  it('does not read the config file when flags and env give both', async () => {
    const connection = await resolveConnection({ url: 'http://flag' }, { SIEVE_TOKEN: 't' }, () => Promise.reject(new Error('read')));
    expect(connection.token).toBe('t');
  });

  it('reads the file SIEVE_CONFIG names', async () => {
    const path = join(dir, 'c.json');
    await writeFile(path, JSON.stringify({ url: 'http://saved', token: 'saved' }));
    expect(await resolveConnection({}, { SIEVE_CONFIG: path })).toMatchObject({ url: 'http://saved', token: 'saved' });
  });
});

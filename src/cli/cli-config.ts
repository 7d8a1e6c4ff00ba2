import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, realpath, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CliError } from './api-client.js';

/**
 * The CLI's own settings file: the server URL and the token `sieve login` saved. It holds
 * a credential, so it is written atomically (a reader never sees half a file, a crash
 * never leaves one) and readable by its owner only (0600, in a 0700 folder).
 */

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** Unknown keys are kept, so that a newer CLI's settings survive an older one's login. */
const CliConfigSchema = z.looseObject({
  url: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
});
export type CliConfig = z.infer<typeof CliConfigSchema>;

export interface ConfigLocation {
  path: string;
  /**
   * True when the folder is Sieve's own (…/sieve), so it may be made 0700 even if it
   * exists. A folder named by SIEVE_CONFIG may be shared (/tmp): it is never chmod-ed.
   */
  ownFolder: boolean;
}

/** `$SIEVE_CONFIG`, else `$XDG_CONFIG_HOME/sieve/config.json`, else `~/.config/sieve/config.json`. */
export function configLocation(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): ConfigLocation {
  const explicit = env.SIEVE_CONFIG?.trim();
  if (explicit) return { path: resolve(explicit), ownFolder: false };
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and is ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(home, '.config');
  return { path: join(base, 'sieve', 'config.json'), ownFolder: true };
}

/** The saved settings; none when the file does not exist. A damaged file is an error naming it. */
export async function readCliConfig(path: string): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the config file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`the config file ${path} is not valid JSON (${(e as Error).message}); fix it, or delete it and run "sieve login" again`);
  }
  const parsed = CliConfigSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new CliError(`the config file ${path} is not valid (${where}); fix it, or delete it and run "sieve login" again`);
  }
  return parsed.data;
}

/**
 * Replaces the settings file atomically: a temporary file (0600, created exclusively) in
 * the same folder, flushed to disk, then renamed over the old one, which also brings an
 * existing file that was readable by others back to 0600. A link to the file (dotfile
 * managers) is followed: its target is replaced.
 */
export async function writeCliConfig(location: ConfigLocation, config: CliConfig): Promise<void> {
  const folder = dirname(location.path);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  if (location.ownFolder) await chmod(folder, 0o700);
  const target = await realpath(location.path).catch(() => location.path);
  const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    try {
      await fh.writeFile(`${JSON.stringify(CliConfigSchema.parse(config), null, 2)}\n`);
      await fh.chmod(0o600); // the mode given to open is masked by the umask; this is not
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Removes the saved token (the URL stays). Returns whether there was one. */
export async function forgetToken(location: ConfigLocation): Promise<boolean> {
  const config = await readCliConfig(location.path);
  if (config.token === undefined) return false;
  const rest = { ...config };
  delete rest.token;
  await writeCliConfig(location, rest);
  return true;
}

export type Source = 'flag' | 'env' | 'config' | 'default';

export interface Connection {
  url: string;
  token?: string;
  /** Where each came from, for messages ("the token from SIEVE_TOKEN was refused"). */
  from: { url: Source; token?: Exclude<Source, 'default'> };
}

/**
 * Every API command's server and token: command-line flags, then the environment
 * (SIEVE_URL, SIEVE_TOKEN), then the config file, then the local default URL. The file
 * is only read when a flag or the environment leaves something open.
 */
export async function resolveConnection(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
  readFile: () => Promise<CliConfig> = () => readCliConfig(configLocation(env).path),
): Promise<Connection> {
  const envUrl = env.SIEVE_URL?.trim() || undefined;
  const envToken = env.SIEVE_TOKEN?.trim() || undefined;
  const needFile = (flags.url ?? envUrl) === undefined || (flags.token ?? envToken) === undefined;
  const file = needFile ? await readFile() : {};
  const url = pick<Source>([flags.url, 'flag'], [envUrl, 'env'], [file.url, 'config']) ?? { value: DEFAULT_URL, from: 'default' };
  const token = pick<Exclude<Source, 'default'>>([flags.token, 'flag'], [envToken, 'env'], [file.token, 'config']);
  return { url: url.value, token: token?.value, from: { url: url.from, token: token?.from } };
}

function pick<S>(...candidates: [string | undefined, S][]): { value: string; from: S } | undefined {
  for (const [value, from] of candidates) if (value !== undefined && value !== '') return { value, from };
  return undefined;
}

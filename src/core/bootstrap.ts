import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';

export interface Database {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under SIEVE_HOME. */
export async function resolveDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => undefined };
  const embedded = await startEmbeddedPostgres(config.home, config.embeddedPgPort, logger);
  return { url: embedded.url, embedded: true, stop: embedded.stop };
}

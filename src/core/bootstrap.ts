import type { Logger } from 'pino';
import { type Config, ConfigError } from './config/config.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { StartupError } from './errors/startup-error.js';

export { StartupError };

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

/** Runs a process's main function; a configuration error prints its list of keys, anything else its stack. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError || error instanceof StartupError ? error.message : ((error as Error).stack ?? String(error))}\n`);
    process.exit(1);
  });
}

/**
 * On SIGTERM or SIGINT, runs the steps in order (a failing step is logged, the rest still
 * run), then exits 0. Steps that are still running `deadlineMs` plus a margin later are
 * abandoned: the process logs it and exits 1 (each step has its own, shorter deadline).
 */
export function onShutdown(logger: Logger, steps: [string, () => Promise<void>][], deadlineMs: number): void {
  const shutdown = (signal: string) => {
    logger.info({ signal, deadlineMs }, 'stopping');
    setTimeout(() => {
      logger.error({ deadlineMs }, 'still stopping past the deadline; exiting');
      process.exit(1);
    }, deadlineMs + 5_000).unref();
    void steps
      .reduce<Promise<void>>(
        (previous, [what, step]) => previous.then(() => step().catch((err: unknown) => logger.warn({ err }, `while stopping: ${what} failed`))),
        Promise.resolve(),
      )
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

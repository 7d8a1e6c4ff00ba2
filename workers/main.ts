import 'reflect-metadata';
import { resolveDatabase } from '../src/core/bootstrap.js';
import { ConfigError, loadConfig } from '../src/core/config/config.js';
import { createLogger } from '../src/core/logger/logger.js';
import { startWorker } from './worker.js';

/** `npm run start:worker [-- --queues evaluate-cpu,evaluate-gpu]`. */
async function main(): Promise<void> {
  const i = process.argv.indexOf('--queues');
  if (i > 0 && process.argv[i + 1]) process.env.WORKER_QUEUES = process.argv[i + 1];
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'sieve-worker');
  const db = await resolveDatabase(config, logger);
  const worker = await startWorker(config, db.url, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping worker');
    worker
      .stop()
      .then(() => db.stop())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

import 'reflect-metadata';
import { onShutdown, resolveDatabase, runMain } from '../src/core/bootstrap.js';
import { loadConfig } from '../src/core/config/config.js';
import { createLogger } from '../src/core/logger/logger.js';
import { startWorker } from './worker.js';

/** `npm run start:worker [-- --queues evaluate-cpu,evaluate-gpu]`. */
runMain(async () => {
  const i = process.argv.indexOf('--queues');
  if (i > 0 && process.argv[i + 1]) process.env.WORKER_QUEUES = process.argv[i + 1];
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'sieve-worker');
  const db = await resolveDatabase(config, logger);
  const worker = await startWorker(config, db.url, logger);
  onShutdown(
    logger,
    [
      ['worker', () => worker.stop()],
      ['database', () => db.stop()],
    ],
    config.shutdownTimeoutMs,
  );
});

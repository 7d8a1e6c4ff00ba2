import 'reflect-metadata';
import { createApi } from './api.js';
import { resolveDatabase } from './core/bootstrap.js';
import { ConfigError, loadConfig } from './core/config/config.js';
import { openDataSource, migrate } from './core/database/data-source.js';
import { createLogger } from './core/logger/logger.js';

/** `npm run start:api`: the HTTP API alone. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'sieve-api');
  const db = await resolveDatabase(config, logger);
  if (db.embedded) {
    const ds = await openDataSource(db.url);
    await migrate(ds);
    await ds.destroy();
  }
  const app = await createApi(config, db.url, logger);
  await app.listen(config.port, config.host);
  logger.info({ url: await app.getUrl() }, 'API listening');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'stopping API');
    app
      .close()
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

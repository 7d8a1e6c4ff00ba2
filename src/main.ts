import 'reflect-metadata';
import { closeApi, createApi } from './api.js';
import { onShutdown, resolveDatabase, runMain } from './core/bootstrap.js';
import { loadConfig } from './core/config/config.js';
import { migrate, openDataSource } from './core/database/data-source.js';
import { createLogger } from './core/logger/logger.js';

/** `npm run start:api`: the HTTP API alone. */
runMain(async () => {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'sieve-api');
  const db = await resolveDatabase(config, logger);
  if (db.embedded) {
    const ds = await openDataSource(db.url);
    await migrate(ds).finally(() => ds.destroy());
  }
  const app = await createApi(config, db.url, logger);
  await app.listen(config.port, config.host);
  logger.info({ url: await app.getUrl() }, 'API listening');
  onShutdown(
    logger,
    [
      ['api', () => closeApi(app, config.shutdownTimeoutMs, logger)],
      ['database', () => db.stop()],
    ],
    config.shutdownTimeoutMs,
  );
});

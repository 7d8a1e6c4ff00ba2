import type { Logger } from 'pino';
import type { Config } from '../core/config/config.js';
import { S3Storage } from '../core/storage/s3-storage.adapter.js';
import { AppError } from '../core/errors/app-error.js';
import { BundleError, findBundles, loadBundle } from '../modules/challenges/challenge-bundle.loader.js';
import type { ChallengesService, PublishResult } from '../modules/challenges/challenges.service.js';

export interface PublishReport {
  published: PublishResult[];
  errors: string[];
}

/** Loads and publishes every bundle under the challenges folder; one bad bundle does not stop the others. */
export async function publishAll(config: Config, challenges: ChallengesService, logger: Logger, only?: string[]): Promise<PublishReport> {
  const report: PublishReport = { published: [], errors: [] };
  let dirs = await findBundles(config.challengesDir);
  if (only?.length) dirs = dirs.filter((d) => only.some((slug) => d.endsWith(`/${slug}`)));
  const readUri = config.storage.kind === 's3' ? (uri: string) => S3Storage.readUri(config.storage as Extract<Config['storage'], { kind: 's3' }>, uri) : undefined;
  for (const dir of dirs) {
    try {
      const bundle = await loadBundle(dir, readUri);
      const result = await challenges.publish(bundle);
      report.published.push(result);
      logger.info(result, 'challenge published');
    } catch (e) {
      if (e instanceof BundleError || e instanceof AppError) report.errors.push(e.message);
      else throw e;
    }
  }
  return report;
}

import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Config } from '../core/config/config.js';
import { S3Storage } from '../core/storage/s3-storage.adapter.js';
import { AppError } from '../core/errors/app-error.js';
import { BundleError, findBundles, loadBundle } from '../modules/challenges/challenge-bundle.loader.js';
import { ChallengesService, type PublishResult } from '../modules/challenges/challenges.service.js';
import type { RescoreProgress } from '../modules/rescoring/rescores.repository.js';
import { RescoringService } from '../modules/rescoring/rescoring.service.js';
import { AuditService } from '../modules/audit/audit.service.js';

export interface PublishReport {
  published: PublishResult[];
  /** Rescore runs started because a new version added rounds. */
  rescores: (RescoreProgress & { slug: string })[];
  errors: string[];
}

/**
 * Loads and publishes every bundle under the challenges folder; one bad bundle does not
 * stop the others. A new version that adds rounds starts rescoring the final submissions.
 */
export async function publishAll(config: Config, app: INestApplicationContext, logger: Logger, only?: string[]): Promise<PublishReport> {
  const challenges = app.get(ChallengesService);
  const rescoring = app.get(RescoringService);
  const audit = app.get(AuditService);
  const report: PublishReport = { published: [], rescores: [], errors: [] };
  let dirs = await findBundles(config.challengesDir);
  if (only?.length) dirs = dirs.filter((d) => only.some((slug) => d.endsWith(`/${slug}`)));
  const readUri = config.storage.kind === 's3' ? (uri: string) => S3Storage.readUri(config.storage as Extract<Config['storage'], { kind: 's3' }>, uri) : undefined;
  for (const dir of dirs) {
    try {
      const bundle = await loadBundle(dir, readUri);
      const result = await challenges.publish(bundle);
      report.published.push(result);
      logger.info(result, 'challenge published');
      if (result.outcome !== 'unchanged') {
        const { challenge } = await challenges.get(result.slug);
        await audit.record({ system: 'challenges:publish' }, { action: 'challenge.publish', challengeId: challenge.id, target: { type: 'challenge', id: result.slug }, after: { version: result.version, outcome: result.outcome, from: dir } });
      }
      const rescore = await rescoring.afterPublish(result);
      if (rescore) report.rescores.push({ slug: result.slug, ...rescore });
    } catch (e) {
      if (e instanceof BundleError || e instanceof AppError) report.errors.push(e.message);
      else throw e;
    }
  }
  return report;
}

import { DataSource, type DataSourceOptions } from 'typeorm';
import { Account } from '../../modules/accounts/account.entity.js';
import { ApiToken } from '../../modules/accounts/api-token.entity.js';
import { AuditEntry } from '../../modules/audit/audit-entry.entity.js';
import { ChallengeOrganizer } from '../../modules/challenges/challenge-organizer.entity.js';
import { ChallengeParticipant, Disqualification } from '../../modules/challenges/challenge-participant.entity.js';
import { ChallengeVersion } from '../../modules/challenges/challenge-version.entity.js';
import { Challenge } from '../../modules/challenges/challenge.entity.js';
import { LeaderboardGeneration } from '../../modules/leaderboards/leaderboard-generation.entity.js';
import { Rescore, RescoreRun } from '../../modules/rescoring/rescore.entity.js';
import { Score } from '../../modules/submissions/score.entity.js';
import { ScorePredictions } from '../../modules/submissions/score-predictions.entity.js';
import { Submission } from '../../modules/submissions/submission.entity.js';
import { Team, TeamInvite } from '../../modules/teams/team.entity.js';
import { PhaseClosing, Webhook, WebhookDelivery } from '../../modules/webhooks/webhook.entity.js';
import { WorkerHeartbeat } from '../../modules/workers/worker-heartbeat.entity.js';
import { MIGRATIONS } from './migrations/index.js';

export const ENTITIES = [
  Account,
  ApiToken,
  Challenge,
  ChallengeVersion,
  ChallengeOrganizer,
  ChallengeParticipant,
  Disqualification,
  Team,
  TeamInvite,
  Submission,
  Score,
  ScorePredictions,
  LeaderboardGeneration,
  RescoreRun,
  Rescore,
  WorkerHeartbeat,
  AuditEntry,
  Webhook,
  WebhookDelivery,
  PhaseClosing,
];

export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'sieve_migrations',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    extra: { max: 10, connectionTimeoutMillis: 5000 },
  };
}

export async function openDataSource(url: string): Promise<DataSource> {
  return new DataSource(dataSourceOptions(url)).initialize();
}

/** Applies every pending migration; returns their names. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** SQL that would bring the database in line with the entities: empty when migrations are complete. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

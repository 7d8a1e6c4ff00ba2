import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The board's read path: an index on the rows a board ranks (the scored, competing
 * submissions of one phase) and each challenge's board generation, which the API's board
 * cache keys on.
 *
 * The first two statements are generated from the entities; the functions and triggers
 * below are written by hand (TypeORM does not model them). They bump the generation in
 * the same transaction as any change a board is computed from, whichever code (or SQL
 * by hand) makes it. Submissions that are not and were not scored never touch it, so
 * uploads and the queued → running moves take no lock on it.
 */
export class LeaderboardIndexesAndGenerations1795758642950 implements MigrationInterface {
  name = 'LeaderboardIndexesAndGenerations1795758642950';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"leaderboard_generations\" (\"challenge_id\" uuid NOT NULL, \"generation\" bigint NOT NULL DEFAULT '0', \"changed_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_cad51ffefc98f0e9108b2f219a7\" PRIMARY KEY (\"challenge_id\"))");
    await queryRunner.query("CREATE INDEX \"submissions_board_idx\" ON \"submissions\"  (\"challenge_id\", \"phase\") WHERE \"status\" = 'scored' AND NOT \"dry_run\" AND \"disqualified_at\" IS NULL");
    for (const statement of GENERATION_TRIGGERS) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, trigger] of TRIGGERS) await queryRunner.query(`DROP TRIGGER IF EXISTS "${trigger}" ON "${table}"`);
    for (const fn of FUNCTIONS) await queryRunner.query(`DROP FUNCTION IF EXISTS ${fn}`);
    await queryRunner.query("DROP INDEX \"public\".\"submissions_board_idx\"");
    await queryRunner.query("DROP TABLE \"leaderboard_generations\"");
  }
}

const FUNCTIONS = [
  'leaderboard_row_changed()',
  'leaderboard_challenge_changed()',
  'leaderboard_predictions_changed()',
  'leaderboard_account_renamed()',
  'leaderboard_bump(uuid)',
];

const TRIGGERS: [table: string, trigger: string][] = [
  ['scores', 'leaderboard_scores_changed'],
  ['score_predictions', 'leaderboard_score_predictions_changed'],
  ['submissions', 'leaderboard_submissions_inserted'],
  ['submissions', 'leaderboard_submissions_updated'],
  ['submissions', 'leaderboard_submissions_deleted'],
  ['disqualifications', 'leaderboard_disqualifications_changed'],
  ['teams', 'leaderboard_teams_changed'],
  ['challenge_versions', 'leaderboard_challenge_versions_changed'],
  ['challenges', 'leaderboard_challenges_changed'],
  ['accounts', 'leaderboard_accounts_renamed'],
];

const GENERATION_TRIGGERS = [
  `CREATE FUNCTION leaderboard_bump(challenge uuid) RETURNS void LANGUAGE sql AS $$
     INSERT INTO leaderboard_generations AS g (challenge_id, generation) VALUES (challenge, 1)
     ON CONFLICT (challenge_id) DO UPDATE SET generation = g.generation + 1, changed_at = now()
   $$`,
  // A row of a table with a challenge_id column: its challenge before and after.
  `CREATE FUNCTION leaderboard_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP <> 'INSERT' THEN PERFORM leaderboard_bump(OLD.challenge_id); END IF;
     IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.challenge_id IS DISTINCT FROM OLD.challenge_id) THEN PERFORM leaderboard_bump(NEW.challenge_id); END IF;
     RETURN NULL;
   END $$`,
  `CREATE FUNCTION leaderboard_challenge_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM leaderboard_bump(OLD.id);
     RETURN NULL;
   END $$`,
  // A score's predictions (its tie groups and the Ladder): the score's challenge (gone with a deleted score, which bumped it already).
  `CREATE FUNCTION leaderboard_predictions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM leaderboard_bump(s.challenge_id) FROM scores s WHERE s.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.score_id ELSE NEW.score_id END;
     RETURN NULL;
   END $$`,
  // A name shown on boards: every challenge the account has submitted to (rare; in challenge order, so two renames never deadlock).
  `CREATE FUNCTION leaderboard_account_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM leaderboard_bump(c.challenge_id) FROM (SELECT DISTINCT challenge_id FROM submissions WHERE account_id = NEW.id ORDER BY challenge_id) c;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER leaderboard_scores_changed AFTER INSERT OR UPDATE OR DELETE ON scores FOR EACH ROW EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_score_predictions_changed AFTER INSERT OR UPDATE OR DELETE ON score_predictions FOR EACH ROW EXECUTE FUNCTION leaderboard_predictions_changed()`,
  // Only rows that are or were scored: a board never reads the others.
  `CREATE TRIGGER leaderboard_submissions_inserted AFTER INSERT ON submissions FOR EACH ROW WHEN (NEW.status = 'scored') EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_submissions_updated AFTER UPDATE ON submissions FOR EACH ROW WHEN (OLD.status = 'scored' OR NEW.status = 'scored') EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_submissions_deleted AFTER DELETE ON submissions FOR EACH ROW WHEN (OLD.status = 'scored') EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_disqualifications_changed AFTER INSERT OR UPDATE OR DELETE ON disqualifications FOR EACH ROW EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_teams_changed AFTER INSERT OR UPDATE OR DELETE ON teams FOR EACH ROW EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_challenge_versions_changed AFTER INSERT OR UPDATE OR DELETE ON challenge_versions FOR EACH ROW EXECUTE FUNCTION leaderboard_row_changed()`,
  `CREATE TRIGGER leaderboard_challenges_changed AFTER UPDATE OR DELETE ON challenges FOR EACH ROW EXECUTE FUNCTION leaderboard_challenge_changed()`,
  `CREATE TRIGGER leaderboard_accounts_renamed AFTER UPDATE OF name ON accounts FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION leaderboard_account_renamed()`,
];

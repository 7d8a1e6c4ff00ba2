import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ResampledScores1795730852667 implements MigrationInterface {
  name = 'ResampledScores1795730852667';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD \"resampled_all\" bytea");
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD \"resampled_public\" bytea");
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD \"resampled_private\" bytea");
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD \"resample_seed\" integer");
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD \"resample_count\" integer");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP COLUMN \"resample_count\"");
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP COLUMN \"resample_seed\"");
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP COLUMN \"resampled_private\"");
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP COLUMN \"resampled_public\"");
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP COLUMN \"resampled_all\"");
  }
}

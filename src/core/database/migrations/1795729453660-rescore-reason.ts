import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RescoreReason1795729453660 implements MigrationInterface {
  name = 'RescoreReason1795729453660';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rescore_runs\" ADD \"reason\" character varying(16) NOT NULL DEFAULT 'requested'");
    await queryRunner.query("ALTER TABLE \"rescore_runs\" ALTER COLUMN \"requested_by\" DROP NOT NULL");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rescore_runs\" ALTER COLUMN \"requested_by\" SET NOT NULL");
    await queryRunner.query("ALTER TABLE \"rescore_runs\" DROP COLUMN \"reason\"");
  }
}

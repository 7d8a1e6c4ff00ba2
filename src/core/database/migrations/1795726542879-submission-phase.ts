import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SubmissionPhase1795726542879 implements MigrationInterface {
  name = 'SubmissionPhase1795726542879';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"phase\" character varying(32) NOT NULL DEFAULT 'open'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"phase\"");
  }
}

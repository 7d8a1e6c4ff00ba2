import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EvaluationLeases1795758439029 implements MigrationInterface {
  name = 'EvaluationLeases1795758439029';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"lease_owner\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"lease_expires_at\" TIMESTAMP WITH TIME ZONE");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"lease_expires_at\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"lease_owner\"");
  }
}

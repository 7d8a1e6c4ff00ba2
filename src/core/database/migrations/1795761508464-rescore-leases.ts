import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RescoreLeases1795761508464 implements MigrationInterface {
  name = 'RescoreLeases1795761508464';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rescores\" ADD \"lease_owner\" character varying(64)");
    await queryRunner.query("ALTER TABLE \"rescores\" ADD \"lease_expires_at\" TIMESTAMP WITH TIME ZONE");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"rescores\" DROP COLUMN \"lease_expires_at\"");
    await queryRunner.query("ALTER TABLE \"rescores\" DROP COLUMN \"lease_owner\"");
  }
}

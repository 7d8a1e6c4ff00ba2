import type { MigrationInterface, QueryRunner } from 'typeorm';

export class FinalSubmissions1795727831737 implements MigrationInterface {
  name = 'FinalSubmissions1795727831737';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"final\" boolean NOT NULL DEFAULT false");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"final\"");
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ScoreDetails1795713284737 implements MigrationInterface {
  name = 'ScoreDetails1795713284737';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"scores\" ADD \"details\" jsonb");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"scores\" DROP COLUMN \"details\"");
  }
}

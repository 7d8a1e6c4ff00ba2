import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WorkerActivity1795725741274 implements MigrationInterface {
  name = 'WorkerActivity1795725741274';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"worker_heartbeats\" ADD \"activity\" jsonb NOT NULL DEFAULT '{}'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"worker_heartbeats\" DROP COLUMN \"activity\"");
  }
}

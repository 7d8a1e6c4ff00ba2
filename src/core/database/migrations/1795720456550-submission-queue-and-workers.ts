import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SubmissionQueueAndWorkers1795720456550 implements MigrationInterface {
  name = 'SubmissionQueueAndWorkers1795720456550';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"worker_heartbeats\" (\"id\" uuid NOT NULL, \"queues\" jsonb NOT NULL, \"device\" jsonb NOT NULL, \"pid\" integer NOT NULL, \"started_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"last_seen_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_b78cac2cb4a34485da0553fd5c9\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"queue\" character varying(32) NOT NULL DEFAULT 'evaluate-cpu'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"queue\"");
    await queryRunner.query("DROP TABLE \"worker_heartbeats\"");
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Rescores1795728696326 implements MigrationInterface {
  name = 'Rescores1795728696326';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"rescore_runs\" (\"id\" uuid NOT NULL, \"challenge_id\" uuid NOT NULL, \"version\" integer NOT NULL, \"requested_by\" uuid NOT NULL, \"total\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_c806a0522e9d26ef0fde6144b7c\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"rescores\" (\"id\" uuid NOT NULL, \"run_id\" uuid NOT NULL, \"submission_id\" uuid NOT NULL, \"challenge_id\" uuid NOT NULL, \"version\" integer NOT NULL, \"queue\" character varying(32) NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'queued', \"attempts\" integer NOT NULL DEFAULT '0', \"error_code\" character varying(32), \"error_message\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_4d5d26de89af7ef8c40ac7eb42a\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"rescores_status_updated_idx\" ON \"rescores\"  (\"status\", \"updated_at\") ");
    await queryRunner.query("CREATE INDEX \"rescores_run_status_idx\" ON \"rescores\"  (\"run_id\", \"status\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"rescores_submission_version_key\" ON \"rescores\"  (\"submission_id\", \"version\") ");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"rescores_submission_version_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"rescores_run_status_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"rescores_status_updated_idx\"");
    await queryRunner.query("DROP TABLE \"rescores\"");
    await queryRunner.query("DROP TABLE \"rescore_runs\"");
  }
}

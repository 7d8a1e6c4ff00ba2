import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyKeys1795749783398 implements MigrationInterface {
  name = 'IdempotencyKeys1795749783398';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"idempotency_key\" character varying(255)");
    await queryRunner.query("CREATE UNIQUE INDEX \"submissions_idempotency_key_idx\" ON \"submissions\"  (\"account_id\", \"idempotency_key\") WHERE \"idempotency_key\" IS NOT NULL");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"submissions_idempotency_key_idx\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"idempotency_key\"");
  }
}

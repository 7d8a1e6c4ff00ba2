import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1795742498467 implements MigrationInterface {
  name = 'Webhooks1795742498467';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"webhooks\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"account_id\" uuid NOT NULL, \"challenge_id\" uuid NOT NULL, \"url\" character varying(2048) NOT NULL, \"secret\" character varying(64) NOT NULL, \"events\" character varying(32) array NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_9e8795cfc899ab7bdaa831e8527\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"webhooks_challenge_idx\" ON \"webhooks\"  (\"challenge_id\") ");
    await queryRunner.query("CREATE TABLE \"webhook_deliveries\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"webhook_id\" uuid NOT NULL, \"event\" character varying(32) NOT NULL, \"payload\" jsonb NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'pending', \"attempts\" integer NOT NULL DEFAULT '0', \"next_attempt_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"response_status\" integer, \"last_error\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"delivered_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_535dd409947fb6d8fc6dfc0112a\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"webhook_deliveries_hook_idx\" ON \"webhook_deliveries\"  (\"webhook_id\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"webhook_deliveries_due_idx\" ON \"webhook_deliveries\"  (\"status\", \"next_attempt_at\") ");
    await queryRunner.query("CREATE TABLE \"phase_closings\" (\"challenge_id\" uuid NOT NULL, \"phase\" character varying(32) NOT NULL, \"closed_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"PK_5b54623dda473a556ce27c0585d\" PRIMARY KEY (\"challenge_id\", \"phase\"))");
    await queryRunner.query("ALTER TABLE \"webhooks\" ADD CONSTRAINT \"FK_295b5a3ff343825baa12cfdcba0\" FOREIGN KEY (\"account_id\") REFERENCES \"accounts\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"webhooks\" ADD CONSTRAINT \"FK_70e9c9094bbe96e13d2599a54ec\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"webhook_deliveries\" ADD CONSTRAINT \"FK_a0286aeb96db651efd1ae2966f2\" FOREIGN KEY (\"webhook_id\") REFERENCES \"webhooks\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"webhook_deliveries\" DROP CONSTRAINT \"FK_a0286aeb96db651efd1ae2966f2\"");
    await queryRunner.query("ALTER TABLE \"webhooks\" DROP CONSTRAINT \"FK_70e9c9094bbe96e13d2599a54ec\"");
    await queryRunner.query("ALTER TABLE \"webhooks\" DROP CONSTRAINT \"FK_295b5a3ff343825baa12cfdcba0\"");
    await queryRunner.query("DROP TABLE \"phase_closings\"");
    await queryRunner.query("DROP INDEX \"public\".\"webhook_deliveries_due_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"webhook_deliveries_hook_idx\"");
    await queryRunner.query("DROP TABLE \"webhook_deliveries\"");
    await queryRunner.query("DROP INDEX \"public\".\"webhooks_challenge_idx\"");
    await queryRunner.query("DROP TABLE \"webhooks\"");
  }
}

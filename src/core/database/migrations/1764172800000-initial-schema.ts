import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764172800000 implements MigrationInterface {
  name = 'InitialSchema1764172800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"accounts\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" character varying(64) NOT NULL, \"name_key\" character varying(64) NOT NULL, \"role\" character varying(16) NOT NULL DEFAULT 'participant', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_5a7a02c20412299d198e097a8fe\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"accounts_name_lower_key\" ON \"accounts\"  (\"name_key\") ");
    await queryRunner.query("CREATE TABLE \"api_tokens\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"account_id\" uuid NOT NULL, \"token_hash\" character(64) NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"last_used_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_c587455266b5fa8dace7194caac\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"api_tokens_account_idx\" ON \"api_tokens\"  (\"account_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"api_tokens_hash_key\" ON \"api_tokens\"  (\"token_hash\") ");
    await queryRunner.query("CREATE TABLE \"challenges\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"slug\" character varying(64) NOT NULL, \"title\" character varying(200) NOT NULL, \"protocol\" character varying(32) NOT NULL, \"status\" character varying(16) NOT NULL DEFAULT 'open', \"current_version\" integer NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_1e664e93171e20fe4d6125466af\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"challenges_slug_key\" ON \"challenges\"  (\"slug\") ");
    await queryRunner.query("CREATE TABLE \"challenge_versions\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"challenge_id\" uuid NOT NULL, \"version\" integer NOT NULL, \"content_hash\" character(64) NOT NULL, \"spec\" jsonb NOT NULL, \"data_keys\" jsonb NOT NULL, \"data_summary\" jsonb NOT NULL, \"published_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_ed450e9704d7dd386a61888e64d\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"challenge_versions_challenge_version_key\" ON \"challenge_versions\"  (\"challenge_id\", \"version\") ");
    await queryRunner.query("CREATE TABLE \"submissions\" (\"id\" uuid NOT NULL, \"challenge_id\" uuid NOT NULL, \"challenge_version\" integer NOT NULL, \"account_id\" uuid NOT NULL, \"status\" character varying(16) NOT NULL, \"file_key\" character varying(512) NOT NULL, \"file_bytes\" integer NOT NULL, \"file_sha256\" character(64) NOT NULL, \"item_count\" integer NOT NULL, \"attempts\" integer NOT NULL DEFAULT '0', \"error_code\" character varying(32), \"error_message\" text, \"error_details\" jsonb, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"started_at\" TIMESTAMP WITH TIME ZONE, \"finished_at\" TIMESTAMP WITH TIME ZONE, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_10b3be95b8b2fb1e482e07d706b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"submissions_challenge_account_idx\" ON \"submissions\"  (\"challenge_id\", \"account_id\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"submissions_status_updated_idx\" ON \"submissions\"  (\"status\", \"updated_at\") ");
    await queryRunner.query("CREATE TABLE \"scores\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"submission_id\" uuid NOT NULL, \"challenge_id\" uuid NOT NULL, \"challenge_version\" integer NOT NULL, \"account_id\" uuid NOT NULL, \"metric\" character varying(32) NOT NULL, \"value\" double precision NOT NULL, \"metrics\" jsonb NOT NULL, \"trainer_name\" character varying(64) NOT NULL, \"trainer_version\" character varying(32) NOT NULL, \"submitted_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_c36917e6f26293b91d04b8fd521\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"scores_leaderboard_idx\" ON \"scores\"  (\"challenge_id\", \"challenge_version\", \"account_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"scores_submission_version_key\" ON \"scores\"  (\"submission_id\", \"challenge_version\") ");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD CONSTRAINT \"FK_5c25c1f4973320571027bfc1c14\" FOREIGN KEY (\"account_id\") REFERENCES \"accounts\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"challenge_versions\" ADD CONSTRAINT \"FK_45cd05318faebe0b8a8b11810d9\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD CONSTRAINT \"FK_d69c24c4dfe1387c7251a9a7bcd\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD CONSTRAINT \"FK_cfef18c673c101a246c3c2fea60\" FOREIGN KEY (\"account_id\") REFERENCES \"accounts\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"scores\" ADD CONSTRAINT \"FK_9f90af220ab5a822eb15a2529d0\" FOREIGN KEY (\"submission_id\") REFERENCES \"submissions\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"scores\" DROP CONSTRAINT \"FK_9f90af220ab5a822eb15a2529d0\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP CONSTRAINT \"FK_cfef18c673c101a246c3c2fea60\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP CONSTRAINT \"FK_d69c24c4dfe1387c7251a9a7bcd\"");
    await queryRunner.query("ALTER TABLE \"challenge_versions\" DROP CONSTRAINT \"FK_45cd05318faebe0b8a8b11810d9\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP CONSTRAINT \"FK_5c25c1f4973320571027bfc1c14\"");
    await queryRunner.query("DROP INDEX \"public\".\"scores_submission_version_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"scores_leaderboard_idx\"");
    await queryRunner.query("DROP TABLE \"scores\"");
    await queryRunner.query("DROP INDEX \"public\".\"submissions_status_updated_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"submissions_challenge_account_idx\"");
    await queryRunner.query("DROP TABLE \"submissions\"");
    await queryRunner.query("DROP INDEX \"public\".\"challenge_versions_challenge_version_key\"");
    await queryRunner.query("DROP TABLE \"challenge_versions\"");
    await queryRunner.query("DROP INDEX \"public\".\"challenges_slug_key\"");
    await queryRunner.query("DROP TABLE \"challenges\"");
    await queryRunner.query("DROP INDEX \"public\".\"api_tokens_hash_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"api_tokens_account_idx\"");
    await queryRunner.query("DROP TABLE \"api_tokens\"");
    await queryRunner.query("DROP INDEX \"public\".\"accounts_name_lower_key\"");
    await queryRunner.query("DROP TABLE \"accounts\"");
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccessControl1795736257820 implements MigrationInterface {
  name = 'AccessControl1795736257820';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"api_tokens_hash_key\"");
    await queryRunner.query("CREATE TABLE \"audit_log\" (\"id\" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, \"at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"actor_id\" uuid, \"actor_name\" character varying(64) NOT NULL, \"action\" character varying(64) NOT NULL, \"challenge_id\" uuid, \"target_type\" character varying(32) NOT NULL, \"target_id\" character varying(128) NOT NULL, \"before\" jsonb, \"after\" jsonb, \"reason\" text, CONSTRAINT \"PK_07fefa57f7f5ab8fc3f52b3ed0b\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"audit_log_challenge_idx\" ON \"audit_log\"  (\"challenge_id\", \"id\") ");
    await queryRunner.query("CREATE TABLE \"challenge_organizers\" (\"challenge_id\" uuid NOT NULL, \"account_id\" uuid NOT NULL, \"role\" character varying(16) NOT NULL, \"added_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_5ac185dfd77d247042f2686b85a\" PRIMARY KEY (\"challenge_id\", \"account_id\"))");
    await queryRunner.query("CREATE TABLE \"teams\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"challenge_id\" uuid NOT NULL, \"name\" character varying(64) NOT NULL, \"name_key\" character varying(64) NOT NULL, \"created_by\" uuid NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_7e5523774a38b08a6236d322403\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"teams_challenge_name_key\" ON \"teams\"  (\"challenge_id\", \"name_key\") ");
    await queryRunner.query("CREATE TABLE \"team_invites\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"team_id\" uuid NOT NULL, \"token_hash\" character(64) NOT NULL, \"created_by\" uuid NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"used_at\" TIMESTAMP WITH TIME ZONE, \"used_by\" uuid, CONSTRAINT \"PK_2df756220f694d8f6cf5d0988ec\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"team_invites_team_idx\" ON \"team_invites\"  (\"team_id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"team_invites_hash_key\" ON \"team_invites\"  (\"token_hash\") ");
    await queryRunner.query("CREATE TABLE \"challenge_participants\" (\"challenge_id\" uuid NOT NULL, \"account_id\" uuid NOT NULL, \"joined_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"rules_version\" integer NOT NULL, \"team_id\" uuid, CONSTRAINT \"PK_b2a4ed18af8c8b252fe79edcceb\" PRIMARY KEY (\"challenge_id\", \"account_id\"))");
    await queryRunner.query("CREATE INDEX \"challenge_participants_team_idx\" ON \"challenge_participants\"  (\"team_id\") ");
    await queryRunner.query("CREATE TABLE \"disqualifications\" (\"challenge_id\" uuid NOT NULL, \"competitor_id\" uuid NOT NULL, \"competitor_kind\" character varying(16) NOT NULL, \"reason\" text NOT NULL, \"disqualified_by\" uuid, \"disqualified_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_f9985a55dd7edf1dfb4d8d97b6d\" PRIMARY KEY (\"challenge_id\", \"competitor_id\"))");
    // Tokens from before scopes and scrypt cannot be carried over (only their SHA-256 was kept):
    // they stop working, and `sieve accounts token <name>` issues new ones (`sieve start` issues the demo's at each start).
    await queryRunner.query("DELETE FROM \"api_tokens\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"token_hash\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"name\" character varying(64) NOT NULL");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"lookup\" character(16) NOT NULL");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"secret_hash\" character varying(200) NOT NULL");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"scopes\" character varying(16) array NOT NULL");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"expires_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"revoked_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"team_id\" uuid");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"dry_run\" boolean NOT NULL DEFAULT false");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"disqualified_at\" TIMESTAMP WITH TIME ZONE");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD \"disqualified_reason\" text");
    await queryRunner.query("CREATE UNIQUE INDEX \"api_tokens_lookup_key\" ON \"api_tokens\"  (\"lookup\") ");
    await queryRunner.query("CREATE INDEX \"submissions_team_idx\" ON \"submissions\"  (\"team_id\") ");
    await queryRunner.query("ALTER TABLE \"challenge_organizers\" ADD CONSTRAINT \"FK_2a3e7ca902b06512bbb222101c5\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"challenge_organizers\" ADD CONSTRAINT \"FK_ce23c232980978db4a8939446d5\" FOREIGN KEY (\"account_id\") REFERENCES \"accounts\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"teams\" ADD CONSTRAINT \"FK_c395fd87f59bd9159f297bb651d\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"team_invites\" ADD CONSTRAINT \"FK_5b42757d54d1d64aa0ac9492e2a\" FOREIGN KEY (\"team_id\") REFERENCES \"teams\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" ADD CONSTRAINT \"FK_a4b4a1ca9ccc6f110d0e1037056\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" ADD CONSTRAINT \"FK_c7693c0baca7906f24531a0f6f5\" FOREIGN KEY (\"account_id\") REFERENCES \"accounts\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" ADD CONSTRAINT \"FK_482ea2d1f8d1bdd2f24ea4e528b\" FOREIGN KEY (\"team_id\") REFERENCES \"teams\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"disqualifications\" ADD CONSTRAINT \"FK_546d0d2efccc6b6592536a31641\" FOREIGN KEY (\"challenge_id\") REFERENCES \"challenges\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"submissions\" ADD CONSTRAINT \"FK_744e0ddbe7ee244176b7bd1dd44\" FOREIGN KEY (\"team_id\") REFERENCES \"teams\"(\"id\") ON DELETE SET NULL ON UPDATE NO ACTION");
    // The audit log is append-only for everyone who reaches the database through Sieve: no update, delete or truncate.
    await queryRunner.query(
      "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege'; END $$",
    );
    await queryRunner.query("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON \"audit_log\" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()");
    await queryRunner.query("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON \"audit_log\" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP TRIGGER audit_log_no_truncate ON \"audit_log\"");
    await queryRunner.query("DROP TRIGGER audit_log_no_change ON \"audit_log\"");
    await queryRunner.query("DROP FUNCTION audit_log_append_only()");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP CONSTRAINT \"FK_744e0ddbe7ee244176b7bd1dd44\"");
    await queryRunner.query("ALTER TABLE \"disqualifications\" DROP CONSTRAINT \"FK_546d0d2efccc6b6592536a31641\"");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" DROP CONSTRAINT \"FK_482ea2d1f8d1bdd2f24ea4e528b\"");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" DROP CONSTRAINT \"FK_c7693c0baca7906f24531a0f6f5\"");
    await queryRunner.query("ALTER TABLE \"challenge_participants\" DROP CONSTRAINT \"FK_a4b4a1ca9ccc6f110d0e1037056\"");
    await queryRunner.query("ALTER TABLE \"team_invites\" DROP CONSTRAINT \"FK_5b42757d54d1d64aa0ac9492e2a\"");
    await queryRunner.query("ALTER TABLE \"teams\" DROP CONSTRAINT \"FK_c395fd87f59bd9159f297bb651d\"");
    await queryRunner.query("ALTER TABLE \"challenge_organizers\" DROP CONSTRAINT \"FK_ce23c232980978db4a8939446d5\"");
    await queryRunner.query("ALTER TABLE \"challenge_organizers\" DROP CONSTRAINT \"FK_2a3e7ca902b06512bbb222101c5\"");
    await queryRunner.query("DROP INDEX \"public\".\"submissions_team_idx\"");
    await queryRunner.query("DROP INDEX \"public\".\"api_tokens_lookup_key\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"disqualified_reason\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"disqualified_at\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"dry_run\"");
    await queryRunner.query("ALTER TABLE \"submissions\" DROP COLUMN \"team_id\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"revoked_at\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"expires_at\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"scopes\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"secret_hash\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"lookup\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" DROP COLUMN \"name\"");
    await queryRunner.query("DELETE FROM \"api_tokens\"");
    await queryRunner.query("ALTER TABLE \"api_tokens\" ADD \"token_hash\" character(64) NOT NULL");
    await queryRunner.query("DROP TABLE \"disqualifications\"");
    await queryRunner.query("DROP INDEX \"public\".\"challenge_participants_team_idx\"");
    await queryRunner.query("DROP TABLE \"challenge_participants\"");
    await queryRunner.query("DROP INDEX \"public\".\"team_invites_hash_key\"");
    await queryRunner.query("DROP INDEX \"public\".\"team_invites_team_idx\"");
    await queryRunner.query("DROP TABLE \"team_invites\"");
    await queryRunner.query("DROP INDEX \"public\".\"teams_challenge_name_key\"");
    await queryRunner.query("DROP TABLE \"teams\"");
    await queryRunner.query("DROP TABLE \"challenge_organizers\"");
    await queryRunner.query("DROP INDEX \"public\".\"audit_log_challenge_idx\"");
    await queryRunner.query("DROP TABLE \"audit_log\"");
    await queryRunner.query("CREATE UNIQUE INDEX \"api_tokens_hash_key\" ON \"api_tokens\" USING btree (\"token_hash\") ");
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ScorePredictions1795728013358 implements MigrationInterface {
  name = 'ScorePredictions1795728013358';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"score_predictions\" (\"score_id\" uuid NOT NULL, \"seeds\" smallint NOT NULL, \"examples\" integer NOT NULL, \"width\" smallint NOT NULL, \"data\" bytea NOT NULL, CONSTRAINT \"PK_a76f9caaf935fc086812afcb3b5\" PRIMARY KEY (\"score_id\"))");
    await queryRunner.query("ALTER TABLE \"score_predictions\" ADD CONSTRAINT \"FK_a76f9caaf935fc086812afcb3b5\" FOREIGN KEY (\"score_id\") REFERENCES \"scores\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"score_predictions\" DROP CONSTRAINT \"FK_a76f9caaf935fc086812afcb3b5\"");
    await queryRunner.query("DROP TABLE \"score_predictions\"");
  }
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';

/**
 * Writes a migration holding the SQL that brings a fully migrated database in line with
 * the entities. Read it, then add it to migrations/index.ts. Returns the file, or null
 * when nothing changed.
 */
export async function generateMigration(dataSource: DataSource, name: string, dir: string, now = Date.now()): Promise<string | null> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`migration name "${name}" must be PascalCase letters and digits`);
  const sql = await dataSource.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) return null;
  const className = `${name}${now}`;
  const fileName = `${now}-${name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}.ts`;
  const lines = (queries: { query: string }[]) =>
    queries.map((q) => `    await queryRunner.query(${JSON.stringify(q.query)});`).join('\n');
  const source = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(sql.upQueries)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines([...sql.downQueries].reverse())}
  }
}
`;
  const file = join(dir, fileName);
  await writeFile(file, source, { flag: 'wx' });
  return file;
}

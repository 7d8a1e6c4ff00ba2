import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CliModule } from '../../src/cli/cli.module.js';
import { publishAll } from '../../src/cli/publish.js';
import { loadConfig, type Config } from '../../src/core/config/config.js';
import { migrate, openDataSource, pendingSchemaChanges } from '../../src/core/database/data-source.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { BundleError, loadBundle } from '../../src/modules/challenges/challenge-bundle.loader.js';
import { ChallengesService } from '../../src/modules/challenges/challenges.service.js';
import { createTestDatabase, type TestDatabase } from '../support/services.js';

describe('migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openDataSource(db.url);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('apply on an empty database and match the entities exactly (an entity change needs a migration)', async () => {
    expect((await migrate(ds)).length).toBeGreaterThan(0);
    expect(await pendingSchemaChanges(ds)).toEqual([]);
    expect(await migrate(ds)).toEqual([]);
  });
});

describe('publishing challenge bundles', () => {
  let db: TestDatabase;
  let root: string;
  let config: Config;
  let app: INestApplicationContext;
  const logger = createLogger('silent', 'test');

  beforeAll(async () => {
    db = await createTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'sieve-bundles-'));
    await cp('challenges/digits-selection', join(root, 'digits-selection'), { recursive: true });
    config = loadConfig({ DATABASE_URL: db.url, STORAGE_DIR: join(root, '.storage'), CHALLENGES_DIR: root, LOG_LEVEL: 'silent' });
    const ds = await openDataSource(db.url);
    await migrate(ds).finally(() => ds.destroy());
    app = await NestFactory.createApplicationContext(CliModule.forRoot({ config, databaseUrl: db.url, logger }), { logger: false });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  const yamlPath = () => join(root, 'digits-selection', 'challenge.yaml');
  const editYaml = async (edit: (text: string) => string) => writeFile(yamlPath(), edit(await readFile(yamlPath(), 'utf8')));
  const publish = () => publishAll(config, app, logger);

  it('creates, then leaves an unchanged bundle alone', async () => {
    expect((await publish()).published).toEqual([{ slug: 'digits-selection', version: 1, outcome: 'created' }]);
    expect((await publish()).published).toEqual([{ slug: 'digits-selection', version: 1, outcome: 'unchanged' }]);
  });

  it('updates a title or budget in place', async () => {
    await editYaml((t) => t.replace(/maxItems: \d+/, 'maxItems: 120'));
    expect((await publish()).published).toEqual([{ slug: 'digits-selection', version: 1, outcome: 'updated' }]);
    expect(await app.get(ChallengesService).describe('digits-selection')).toMatchObject({ budget: { maxItems: 120 } });
  });

  it('refuses a model change without a version bump, saying which version to set', async () => {
    await editYaml((t) => t.replace(/C: 1(\.0)?\b/, 'C: 0.5'));
    const report = await publish();
    expect(report.published).toEqual([]);
    expect(report.errors[0]).toContain('changed but version is still 1');
    expect(report.errors[0]).toContain('Set "version: 2"');
  });

  it('publishes the change as a new version once the version is bumped', async () => {
    await editYaml((t) => t.replace(/^version: 1$/m, 'version: 2'));
    expect((await publish()).published).toEqual([{ slug: 'digits-selection', version: 2, outcome: 'new_version' }]);
    const described = await app.get(ChallengesService).describe('digits-selection');
    expect(described.version).toBe(2);
    expect(described.model).toMatchObject({ kind: 'logreg', params: { C: 0.5 }, seedInvariant: true });
  });

  it('refuses going back to an older version', async () => {
    await editYaml((t) => t.replace(/^version: 2$/m, 'version: 1'));
    expect((await publish()).errors[0]).toContain('versions only go up');
    await editYaml((t) => t.replace(/^version: 1$/m, 'version: 2'));
  });

  it('explains schema problems with the field path', async () => {
    await editYaml((t) => t.replace('name: macro_f1', 'name: top5'));
    await expect(loadBundle(join(root, 'digits-selection'))).rejects.toThrow(BundleError);
    await expect(loadBundle(join(root, 'digits-selection'))).rejects.toThrow(/challenge.yaml: metric.name: /);
  });
});

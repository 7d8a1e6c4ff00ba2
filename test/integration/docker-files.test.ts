import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  volumes?: string[];
  profiles?: string[];
}

/**
 * The docker/ files cannot be run on these machines (no Docker engine): this checks what
 * can be checked without one, that they agree with the scripts and the CLI they call.
 */
describe('docker/compose.yaml and the Dockerfiles', () => {
  let compose: { services: Record<string, Service>; volumes: Record<string, unknown> };
  let scripts: Record<string, string>;
  let cliHelp: string;

  beforeAll(async () => {
    compose = parse(await readFile('docker/compose.yaml', 'utf8'), { merge: true }) as typeof compose;
    scripts = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    cliHelp = await readFile('src/cli/main.ts', 'utf8');
  });

  const sieveServices = () => Object.entries(compose.services).filter(([, s]) => s.build);

  it('runs API, worker, PostgreSQL, Redis and an S3-compatible store', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['api', 'worker', 'postgres', 'redis', 'minio', 'setup']));
  });

  it("runs every Sieve service with a script that package.json has, from a Dockerfile that exists", () => {
    expect(sieveServices().length).toBeGreaterThanOrEqual(4);
    for (const [name, service] of sieveServices()) {
      expect(existsSync(join('docker', '..', service.build!.dockerfile))).toBe(true);
      const command = (service.command ?? service.entrypoint ?? []).join(' ');
      const npmScripts = [...command.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
      const cli = /^node bin\/sieve\.js$/.test(command);
      expect({ name, ok: npmScripts.length > 0 || cli }).toEqual({ name, ok: true });
      for (const script of npmScripts) expect({ name, script, defined: script in scripts }).toEqual({ name, script, defined: true });
    }
  });

  it('has each Dockerfile start a script package.json has', async () => {
    for (const file of ['docker/Dockerfile', 'docker/Dockerfile.gpu']) {
      const cmd = /^CMD \["npm", "run", "([\w:-]+)"\]$/m.exec(await readFile(file, 'utf8'));
      expect(cmd?.[1] && cmd[1] in scripts).toBe(true);
    }
  });

  it('calls CLI subcommands the CLI has', () => {
    for (const script of ['migrate', 'challenges:publish']) {
      const sub = /node bin\/sieve\.js (\w+)/.exec(scripts[script])![1];
      expect(cliHelp).toContain(`.command('${sub}`);
    }
  });

  it('checks the health of the stores and the API, and keeps their data in volumes', () => {
    for (const name of ['postgres', 'redis', 'minio', 'api']) expect({ name, healthcheck: compose.services[name].healthcheck?.test.length ?? 0 }).not.toEqual({ name, healthcheck: 0 });
    expect(compose.services.api.healthcheck!.test.join(' ')).toContain('/readyz');
    for (const name of ['postgres', 'redis', 'minio']) {
      const volume = compose.services[name].volumes?.[0]?.split(':')[0];
      expect(volume && volume in compose.volumes).toBe(true);
    }
  });

  it('keeps the GPU worker on the GPU queue, behind a profile', () => {
    const gpu = compose.services['worker-gpu'];
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.build!.dockerfile).toBe('docker/Dockerfile.gpu');
    expect(JSON.stringify(gpu)).toContain('evaluate-gpu');
  });
});

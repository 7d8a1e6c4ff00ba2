import { spawn } from 'node:child_process';
import { type Child, startChild } from '../../bench/processes.js';

export { freePort } from '../../bench/processes.js';

export type Proc = Child;

/** A child process with its output captured (and echoed when SIEVE_TEST_ECHO is set). */
export function startProcess(args: string[], env: NodeJS.ProcessEnv): Proc {
  return startChild(args, env, { echo: Boolean(process.env.SIEVE_TEST_ECHO) });
}

/** Runs a command to completion; returns its exit code and output. */
export async function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} timed out; stderr:\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without anything that would point a child at the developer's own services. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|S3_|STORAGE_DIR|SIEVE_|QUEUE_PREFIX|PORT|HOST|CHALLENGES_DIR|EMBEDDED_PG_PORT|NODE_OPTIONS)/.test(key)) delete env[key];
  }
  // The journeys poll status pages in tight loops; the limits themselves are tested in test/integration/abuse.test.ts.
  return { ...env, LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000', RATE_LIMIT_UPLOADS_PER_MINUTE: '1000000', RATE_LIMIT_AUTH_PER_MINUTE: '1000000', ...extra };
}

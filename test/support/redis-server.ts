import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './processes.js';

export interface RedisTestServer {
  url: string;
  /** Takes the server down (an outage; its data goes too, as after a crash without persistence). */
  pause(): Promise<void>;
  /** Brings it back on the same port, empty (nothing when it is up). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis of the test's own (Debian's redis-server, which .ci/run installs), on a free
 * port and without persistence, for tests that take Redis down and bring it back.
 */
export async function startRedisServer(): Promise<RedisTestServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${out}`)), 10_000);
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.on('error', reject);
      child = c;
    });
  const down = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    child = null;
    await new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGKILL');
    });
  };
  await start();
  const up = () => (child && child.exitCode === null ? Promise.resolve() : start());
  return { url: `redis://127.0.0.1:${port}`, pause: down, resume: up, stop: down };
}

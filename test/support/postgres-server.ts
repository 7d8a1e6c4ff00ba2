import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.js';

/**
 * How the server goes down: `fast` is PostgreSQL's clean shutdown (clients are
 * disconnected, a checkpoint is written); `immediate` is the crash-like one (every
 * process quits at once, and the next start recovers from the write-ahead log).
 */
export type PostgresStopMode = 'fast' | 'immediate';

export interface PostgresTestServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  /** Takes the server down; its data stays. Nothing when it is down. */
  pause(mode?: PostgresStopMode): Promise<void>;
  /** Brings it back on the same port with the same data (nothing when it is up). */
  resume(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

const STOP_SIGNALS: Record<PostgresStopMode, NodeJS.Signals> = { fast: 'SIGINT', immediate: 'SIGQUIT' };

/**
 * A PostgreSQL of the test's own, on a free port with its data in a temporary folder, for
 * tests that take the database down under running processes and bring it back (the
 * shared server on 5432 is left alone). It runs Debian's PostgreSQL (the `postgresql`
 * package, which .ci/run installs; PG_BINDIR names another bin folder), as the
 * `postgres` user when the test runs as root, since PostgreSQL refuses to run as root.
 */
export async function startPostgresServer(): Promise<PostgresTestServer> {
  const bin = postgresBinDir();
  const owner = process.getuid?.() === 0 ? userIds('postgres') : {};
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'sieve-pg-'));
  const data = join(dir, 'data');
  if (owner.uid !== undefined) await chown(dir, owner.uid, owner.gid!);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  await new Promise<void>((resolve, reject) => {
    const c = spawn(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...owner, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb exited with ${code}:\n${out}`))));
  });

  let child: ChildProcess | null = null;
  let log = '';
  const start = () =>
    new Promise<void>((resolve, reject) => {
      // No Unix socket (its default folder may not be writable); fsync off: only the
      // process goes down in these tests, never the machine, so what was written is kept.
      const args = ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'];
      const c = spawn(join(bin, 'postgres'), args, { ...owner, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => reject(new Error(`postgres did not start on port ${port}:\n${log.slice(-4000)}`)), 30_000);
      const onData = (d: Buffer) => {
        log = (log + d.toString()).slice(-20_000);
        if (/database system is ready to accept connections/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      log = '';
      c.stdout.on('data', onData);
      c.stderr.on('data', onData);
      c.on('error', reject);
      c.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited with ${code} while starting:\n${log.slice(-4000)}`));
      });
      child = c;
    });
  const down = async (mode: PostgresStopMode = 'fast') => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    child = null;
    await new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill(STOP_SIGNALS[mode]);
    });
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pause: down,
    resume: () => (child && child.exitCode === null ? Promise.resolve() : start()),
    async stop() {
      await down('immediate');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** PG_BINDIR, or the newest of Debian's /usr/lib/postgresql/<version>/bin. */
function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest) throw new Error(`No PostgreSQL server programs under ${root}: install Debian's "postgresql" package (as .ci/run does), or set PG_BINDIR`);
  return join(root, newest, 'bin');
}

function userIds(name: string): { uid?: number; gid?: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', name]).toString()), gid: Number(execFileSync('id', ['-g', name]).toString()) };
  } catch {
    throw new Error(`Running as root, and there is no "${name}" user to run PostgreSQL as (Debian's "postgresql" package creates it)`);
  }
}

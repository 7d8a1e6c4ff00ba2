import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A Node child process of the built app (dist/…), its output kept for waiting on and for errors. */
export interface Child {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface ChildOptions {
  /** Keep only the last this many characters of output (a long run logs a lot); default: all. */
  keep?: number;
  /** Echo the output to this process's stderr. */
  echo?: boolean;
}

export function startChild(args: string[], env: NodeJS.ProcessEnv, { keep = Infinity, echo = false }: ChildOptions = {}): Child {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > keep) out = out.slice(-keep);
    if (echo) process.stderr.write(d);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern} from ${args.join(' ')}; output:\n${out.slice(-4000)}`)), timeoutMs);
        const poll = setInterval(() => {
          const match = out.match(pattern);
          if (match) done(undefined, match);
          else if (child.exitCode !== null) done(new Error(`${args.join(' ')} exited with ${child.exitCode}; output:\n${out.slice(-4000)}`));
        }, 25);
        const done = (err?: Error, match?: RegExpMatchArray) => {
          clearInterval(poll);
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(match!);
        };
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Runs `node <args>` to completion; throws with its output when it fails. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  const c = startChild(args, env, { keep: 65_536 });
  const timer = setTimeout(() => c.child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => c.child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}:\n${c.output().slice(-4000)}`);
  return c.output();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A real S3-compatible server for integration and e2e tests: s3rver (S3 over
 * HTTP, objects on disk) on 127.0.0.1, on a free port, in a fresh temp folder,
 * with one bucket. Clients must use `forcePathStyle: true`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The data folder (removed by `stop`). */
  directory: string;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
  /** Takes the server down, keeping its data (an outage); `resume` brings it back on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** The part of s3rver's (CommonJS, untyped) API used here. */
interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  resetOnClose: boolean;
  configureBuckets: { name: string }[];
}
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

/** s3rver checks signatures against these fixed credentials. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

export async function startS3Server(options: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = options.bucket ?? 'sieve-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'sieve-s3rver-'));
  const open = (port: number) => new S3rver({ address: '127.0.0.1', port, silent: true, directory, resetOnClose: false, configureBuckets: [{ name: bucket }] });
  // port 0: the OS picks a free one; resetOnClose false: the whole folder goes on stop.
  let server = open(0);

  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }

  let running = true;
  const close = async (): Promise<void> => {
    if (!running) return;
    running = false;
    const closing = server.close();
    // Keep-alive sockets from SDK clients would otherwise hold close() open.
    server.httpServer?.closeAllConnections();
    await closing;
  };
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopped ??= (async () => {
      await close();
      await rm(directory, { recursive: true, force: true });
    })();
    return stopped;
  };

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: 'us-east-1',
    directory,
    stop,
    pause: close,
    async resume() {
      if (running) return;
      server = open(address.port);
      await server.run();
      running = true;
    },
  };
}

/**
 * One behavioural suite, run against both storage adapters: the filesystem in a
 * temp folder and S3 against a real S3-compatible server (s3rver).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { jest } from '@jest/globals';

import { createStorage, type StorageConfig } from '../../src/core/storage/create-storage.js';
import { FilesystemStorage } from '../../src/core/storage/filesystem-storage.adapter.js';
import { S3Storage } from '../../src/core/storage/s3-storage.adapter.js';
import {
  InvalidStorageKeyError,
  StorageNotFoundError,
  type StoragePort,
} from '../../src/core/storage/storage.port.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';

jest.setTimeout(30_000);

interface Backend {
  storage: StoragePort;
  /** A storage of the same kind whose backend is gone or unusable. */
  unreachable(): Promise<StoragePort>;
  /** Every file or object the backend holds, including any temp or partial ones. */
  rawEntries(): Promise<string[]>;
  teardown(): Promise<void>;
}

interface Case {
  kind: StoragePort['kind'];
  open(): Promise<Backend>;
}

const cases: Case[] = [
  {
    kind: 'filesystem',
    async open() {
      const dir = await mkdtemp(path.join(tmpdir(), 'sieve-storage-'));
      const config: StorageConfig = { kind: 'filesystem', dir: path.join(dir, 'root') };
      return {
        storage: createStorage(config),
        async unreachable() {
          // The root would have to live under a regular file: it can never be created.
          const blocker = path.join(dir, 'not-a-dir');
          await writeFile(blocker, 'x');
          return new FilesystemStorage(path.join(blocker, 'root'));
        },
        rawEntries: () => walkFiles(path.join(dir, 'root')),
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: 's3',
    async open() {
      const server = await startS3Server();
      const storage = createStorage(s3Config(server));
      return {
        storage,
        async unreachable() {
          const gone = await startS3Server();
          await gone.stop();
          return new S3Storage(s3Config(gone));
        },
        rawEntries: () => walkFiles(server.directory),
        async teardown() {
          await storage.close();
          await server.stop();
        },
      };
    },
  },
];

function s3Config(server: S3TestServer, prefix?: string): StorageConfig & { kind: 's3' } {
  return {
    kind: 's3',
    bucket: server.bucket,
    endpoint: server.endpoint,
    region: server.region,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    ...(prefix !== undefined && { prefix }),
  };
}

describe.each(cases)('$kind storage', ({ kind, open }) => {
  let backend: Backend;
  let storage: StoragePort;
  let run = 0;
  /** A fresh key folder per test, so tests never see each other's objects. */
  let folder: string;

  beforeAll(async () => {
    backend = await open();
    storage = backend.storage;
  });
  afterAll(async () => {
    await backend.teardown();
  });
  beforeEach(() => {
    run += 1;
    folder = `t${run}`;
  });

  it('reports its kind', () => {
    expect(storage.kind).toBe(kind);
  });

  it('round-trips a Buffer byte for byte', async () => {
    const body = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)]);
    const info = await storage.put(`${folder}/bytes.bin`, body, { contentType: 'application/octet-stream' });

    expect(info).toEqual({ key: `${folder}/bytes.bin`, size: body.length });
    expect((await storage.get(`${folder}/bytes.bin`)).equals(body)).toBe(true);
    expect((await readAll(await storage.getStream(`${folder}/bytes.bin`))).equals(body)).toBe(true);
  });

  it('round-trips a 5 MB Buffer', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    await storage.put(`${folder}/big.bin`, body);

    expect((await storage.get(`${folder}/big.bin`)).equals(body)).toBe(true);
  });

  it('reads an object into shared memory, whole, when asked', async () => {
    const body = randomBytes(5 * 1024 * 1024 + 7);
    await storage.put(`${folder}/shared.bin`, body);
    const shared = await storage.get(`${folder}/shared.bin`, { shared: true });
    expect(Object.prototype.toString.call(shared.buffer)).toBe('[object SharedArrayBuffer]');
    expect([shared.byteOffset, shared.buffer.byteLength]).toEqual([0, body.length]);
    expect(shared.equals(body)).toBe(true);
    await storage.put(`${folder}/empty.bin`, Buffer.alloc(0));
    expect((await storage.get(`${folder}/empty.bin`, { shared: true })).length).toBe(0);
    await expect(storage.get(`${folder}/missing.bin`, { shared: true })).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('round-trips a 5 MB stream in small chunks (multipart on S3)', async () => {
    const body = randomBytes(5 * 1024 * 1024 + 12_345);
    const info = await storage.put(`${folder}/streamed.bin`, chunked(body, 64 * 1024), { contentType: 'text/csv' });

    expect(info).toEqual({ key: `${folder}/streamed.bin`, size: body.length });
    expect((await storage.get(`${folder}/streamed.bin`)).equals(body)).toBe(true);
    expect((await readAll(await storage.getStream(`${folder}/streamed.bin`))).equals(body)).toBe(true);
  });

  it('stores an empty body', async () => {
    expect(await storage.put(`${folder}/empty`, Buffer.alloc(0))).toEqual({ key: `${folder}/empty`, size: 0 });
    expect(await storage.put(`${folder}/empty-stream`, Readable.from([]))).toEqual({
      key: `${folder}/empty-stream`,
      size: 0,
    });
    expect((await storage.get(`${folder}/empty`)).length).toBe(0);
    expect((await storage.get(`${folder}/empty-stream`)).length).toBe(0);
  });

  it('accepts string chunks from a stream as UTF-8', async () => {
    await storage.put(`${folder}/text.csv`, Readable.from(['id,label\n', '1,é\n'], { objectMode: true }));

    expect((await storage.get(`${folder}/text.csv`)).toString('utf8')).toBe('id,label\n1,é\n');
  });

  it('replaces an existing object on put', async () => {
    await storage.put(`${folder}/k`, Buffer.from('first'));
    await storage.put(`${folder}/k`, Buffer.from('second'));

    expect((await storage.get(`${folder}/k`)).toString()).toBe('second');
  });

  it('tells whether a key exists', async () => {
    await storage.put(`${folder}/a/here.txt`, Buffer.from('x'));

    expect(await storage.exists(`${folder}/a/here.txt`)).toBe(true);
    expect(await storage.exists(`${folder}/a/missing.txt`)).toBe(false);
    expect(await storage.exists(`${folder}/a`)).toBe(false); // a "folder" is not an object
    expect(await storage.exists(`${folder}/a/here.txt/below`)).toBe(false);
  });

  it('throws StorageNotFoundError for a missing key, from get and getStream', async () => {
    const key = `${folder}/missing.bin`;

    await expect(storage.get(key)).rejects.toThrow(StorageNotFoundError);
    await expect(storage.get(key)).rejects.toMatchObject({ key });
    await expect(storage.getStream(key)).rejects.toThrow(StorageNotFoundError);
    await expect(storage.getStream(key)).rejects.toMatchObject({ key });
  });

  it('deletes idempotently', async () => {
    await storage.put(`${folder}/gone.txt`, Buffer.from('x'));

    await storage.delete(`${folder}/gone.txt`);
    expect(await storage.exists(`${folder}/gone.txt`)).toBe(false);
    await expect(storage.delete(`${folder}/gone.txt`)).resolves.toBeUndefined();
    await expect(storage.delete(`${folder}/never/was.txt`)).resolves.toBeUndefined();
    await expect(storage.get(`${folder}/gone.txt`)).rejects.toThrow(StorageNotFoundError);
  });

  it('lists keys by prefix, sorted', async () => {
    for (const key of ['sub/2.txt', 'sub/1.txt', 'sub/deep/3.txt', 'subway/4.txt', 'other/5.txt', 'top.txt']) {
      await storage.put(`${folder}/${key}`, Buffer.from(key));
    }

    expect(await storage.list(`${folder}/sub/`)).toEqual([
      `${folder}/sub/1.txt`,
      `${folder}/sub/2.txt`,
      `${folder}/sub/deep/3.txt`,
    ]);
    expect(await storage.list(`${folder}/sub`)).toEqual([
      `${folder}/sub/1.txt`,
      `${folder}/sub/2.txt`,
      `${folder}/sub/deep/3.txt`,
      `${folder}/subway/4.txt`,
    ]);
    expect(await storage.list(`${folder}/sub/2`)).toEqual([`${folder}/sub/2.txt`]);
    expect(await storage.list(`${folder}/`)).toHaveLength(6);
    expect(await storage.list(`${folder}/nothing/`)).toEqual([]);
    expect(await storage.list('')).toEqual(expect.arrayContaining([`${folder}/top.txt`, `${folder}/sub/deep/3.txt`]));
  });

  it.each([
    ['../x', '../x'],
    ['/abs', '/abs'],
    ['a//b', 'a//b'],
    ['a/../b', 'a/../b'],
    ['a/./b', 'a/./b'],
    ['..', '..'],
    ['the empty key', ''],
    ['a/ (trailing slash)', 'a/'],
    ['café.csv (non-ASCII)', 'café.csv'],
    ['a b (space)', 'a b'],
    ['a\\b (backslash)', 'a\\b'],
    ['a 513-character key', 'x'.repeat(513)],
  ])('refuses the invalid key %s in every operation', async (_label, key) => {
    await expect(storage.put(key, Buffer.from('x'))).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.get(key)).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.getStream(key)).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.exists(key)).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.delete(key)).rejects.toThrow(InvalidStorageKeyError);
  });

  it('destroys the body stream when a put fails, so its producer never hangs', async () => {
    const source = new PassThrough();
    await expect(storage.put('../escape', source)).rejects.toThrow(InvalidStorageKeyError);
    expect(source.destroyed).toBe(true);
  });

  // Filesystem only: that is our temp-file-and-rename. S3 itself is atomic per PUT, but
  // s3rver writes objects in place, so racing PUTs of one key can interleave there.
  const itOnFilesystem = kind === 'filesystem' ? it : (): void => undefined;
  itOnFilesystem('ends concurrent puts of one key with one whole body, never a mix', async () => {
    const key = `${folder}/raced.bin`;
    const bodies = [randomBytes(512 * 1024), randomBytes(512 * 1024), randomBytes(512 * 1024)];
    await Promise.all(bodies.map((body) => storage.put(key, chunked(body, 16 * 1024))));

    const stored = await storage.get(key);
    expect(bodies.some((body) => body.equals(stored))).toBe(true);
    expect(await storage.list(`${folder}/`)).toEqual([key]);
  });

  it('refuses invalid list prefixes', async () => {
    await expect(storage.list('../')).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.list('/abs/')).rejects.toThrow(InvalidStorageKeyError);
    await expect(storage.list('a//')).rejects.toThrow(InvalidStorageKeyError);
  });

  it.each([
    ['early (before any part is sent)', 300 * 1024],
    ['after more than one S3 part', 6 * 1024 * 1024],
  ])('leaves no object when the body stream fails %s', async (_when, bytesBeforeFailure) => {
    const key = `${folder}/partial.bin`;
    const before = await backend.rawEntries();
    const source = new PassThrough();
    const putting = storage.put(key, source);
    const settled = putting.catch((err: unknown) => err);

    for (let sent = 0; sent < bytesBeforeFailure; sent += 64 * 1024) {
      if (!source.write(randomBytes(64 * 1024))) await waitForDrainOrSettle(source, settled);
    }
    await sleep(100); // let the adapter write (or upload) what it has so far
    expect(await storage.exists(key)).toBe(false); // nothing visible mid-write
    source.destroy(new Error('source failed mid-way'));

    await expect(putting).rejects.toThrow('source failed mid-way');
    expect(await storage.exists(key)).toBe(false);
    expect(await storage.list(`${folder}/`)).toEqual([]);
    if (kind === 'filesystem') {
      // No temp file left behind either.
      expect(await backend.rawEntries()).toEqual(before);
    }
  });

  it('keeps the previous object when an overwrite fails mid-way', async () => {
    const key = `${folder}/kept.txt`;
    await storage.put(key, Buffer.from('original'));
    const source = new PassThrough();
    const putting = storage.put(key, source);
    source.write(randomBytes(64 * 1024));
    await sleep(50);
    source.destroy(new Error('boom'));

    await expect(putting).rejects.toThrow('boom');
    expect((await storage.get(key)).toString()).toBe('original');
  });

  it('passes check() when the backend is live', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
  });

  it('fails check() when the backend is unreachable', async () => {
    const dead = await backend.unreachable();
    try {
      await expect(dead.check()).rejects.toThrow();
    } finally {
      await dead.close();
    }
  });
});

describe('s3 storage specifics', () => {
  let server: S3TestServer;
  const opened: StoragePort[] = [];
  const s3 = (prefix?: string): StoragePort => {
    const storage = createStorage(s3Config(server, prefix));
    opened.push(storage);
    return storage;
  };

  beforeAll(async () => {
    server = await startS3Server({ bucket: 'sieve-specifics' });
  });
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await server.stop();
  });

  it('stores every key under the configured prefix', async () => {
    const tenant = s3('/tenant-a/');
    await tenant.put('runs/1.csv', Buffer.from('1'));

    expect(await tenant.list('')).toEqual(['runs/1.csv']);
    expect(await s3().list('')).toEqual(['tenant-a/runs/1.csv']);
    expect((await s3().get('tenant-a/runs/1.csv')).toString()).toBe('1');
  });

  it('reads an s3:// URI with the static helper and with an instance', async () => {
    const body = randomBytes(1000);
    await s3().put('bundles/private/test.csv', body);
    const connection = {
      endpoint: server.endpoint,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      forcePathStyle: true,
    };
    const uri = `s3://${server.bucket}/bundles/private/test.csv`;

    expect((await S3Storage.readUri(connection, uri)).equals(body)).toBe(true);
    expect((await (s3() as S3Storage).readUri(uri)).equals(body)).toBe(true);
    await expect(S3Storage.readUri(connection, `s3://${server.bucket}/bundles/nope.csv`)).rejects.toThrow(
      StorageNotFoundError,
    );
    await expect(S3Storage.readUri(connection, 'https://example.com/x')).rejects.toThrow(/s3:\/\//);
    await expect(S3Storage.readUri(connection, `s3://${server.bucket}/`)).rejects.toThrow(/s3:\/\//);
  });

  it('fails check() for a bucket that does not exist', async () => {
    const wrong = new S3Storage({ ...s3Config(server), bucket: 'no-such-bucket' });
    opened.push(wrong);

    await expect(wrong.check()).rejects.toThrow(/no-such-bucket/);
  });

  it('refuses half-given credentials', () => {
    expect(() => new S3Storage({ ...s3Config(server), secretAccessKey: undefined })).toThrow(/both/);
  });
});

function chunked(body: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) chunks.push(body.subarray(at, at + size));
  return Readable.from(chunks);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function waitForDrainOrSettle(stream: PassThrough, settled: Promise<unknown>): Promise<void> {
  await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), settled]);
}

async function walkFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { Request } from 'express';
import { AppError } from '../errors/app-error.js';
import { sweepStaleUploads, TempFileStorage } from './temp-file.storage.js';

describe('TempFileStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sieve-upload-spec-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Feeds `stream` to the engine as multer would; resolves with what it reports. */
  const handle = (storage: TempFileStorage, stream: NodeJS.ReadableStream) =>
    new Promise<{ path?: string; size?: number; sha256?: string }>((resolve, reject) => {
      const file = { fieldname: 'file', originalname: '../../etc/passwd', stream } as unknown as Express.Multer.File;
      storage._handleFile({} as Request, file, (err: unknown, info?: object) => (err ? reject(err) : resolve(info as { path: string })));
    });

  it('streams a file to a temp file of its own, counting and hashing it', async () => {
    const bytes = Buffer.from('id\nd0001\nd0002\n');
    const info = await handle(new TempFileStorage(join(dir, 'uploads'), 100), Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]));
    expect(info.size).toBe(bytes.length);
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(info.path!.startsWith(join(dir, 'uploads', 'upload-'))).toBe(true);
    expect(info.path).not.toContain('passwd'); // never the client's name
    expect(await readFile(info.path!)).toEqual(bytes);
  });

  it('removes a file that goes over the ceiling and says so', async () => {
    const error = await handle(new TempFileStorage(dir, 4), Readable.from([Buffer.from('12345')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 413 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes a file whose stream fails half-way (the client went away)', async () => {
    const stream = new PassThrough();
    const pending = handle(new TempFileStorage(dir, 100), stream).catch((e: unknown) => e);
    stream.write('id\n');
    await new Promise((r) => setTimeout(r, 20));
    stream.destroy(new Error('Request aborted'));
    expect(await pending).toMatchObject({ message: 'Request aborted' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a stream that fails before the file is opened (the client went away at once)', async () => {
    const stream = new PassThrough();
    const pending = handle(new TempFileStorage(join(dir, 'uploads'), 100), stream).catch((e: unknown) => e);
    stream.destroy(new Error('Request aborted')); // while the directory is still being made
    expect(await pending).toMatchObject({ message: 'Request aborted' });
    expect(await readdir(join(dir, 'uploads'))).toEqual([]);
  });

  it('sweeps only old upload files', async () => {
    await writeFile(join(dir, 'upload-old'), 'x');
    await writeFile(join(dir, 'upload-new'), 'x');
    await writeFile(join(dir, 'other-old'), 'x');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(dir, 'upload-old'), old, old);
    await utimes(join(dir, 'other-old'), old, old);
    expect(await sweepStaleUploads(dir, 3_600_000)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['other-old', 'upload-new']);
    expect(await sweepStaleUploads(join(dir, 'missing'), 1)).toBe(0);
  });
});

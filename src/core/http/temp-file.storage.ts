import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import { AppError } from '../errors/app-error.js';

const PREFIX = 'upload-';

/**
 * A multer storage engine that streams each file part to a temp file of its own while
 * counting its bytes and hashing it, so an upload never sits whole in memory. Busboy cuts
 * a part off after `maxBytes` (multer then answers 413); the count here is the second
 * line. A file that did not arrive whole (too large, malformed, client gone) is removed
 * here; one that did is removed by the upload interceptor when the request ends.
 */
export class TempFileStorage implements StorageEngine {
  private ready?: Promise<unknown>;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  _handleFile(_req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    void this.receive(file).then((info) => callback(null, info), callback);
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    void removeQuietly(file.path).then(() => callback(null));
  }

  private async receive(file: Express.Multer.File): Promise<Partial<Express.Multer.File> & { sha256: string }> {
    // The client may go away while the directory is made: the pipeline below reports the
    // stream's error, and until it starts this listener keeps it from going unhandled.
    file.stream.on('error', ignore);
    this.ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.ready;
    const path = join(this.dir, `${PREFIX}${randomUUID()}`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(file.stream, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      // Busboy ends a part it cut off at the limit normally, marking it truncated.
      if ((file.stream as NodeJS.ReadableStream & { truncated?: boolean }).truncated || size > this.maxBytes) {
        throw AppError.tooLarge(`The file is too large: this server accepts files of at most ${this.maxBytes} bytes`);
      }
    } catch (err) {
      await removeQuietly(path);
      throw err;
    }
    return { path, size, sha256: hash.digest('hex') };
  }
}

function ignore(): void {}

export async function removeQuietly(path: string | undefined): Promise<void> {
  if (path) await rm(path, { force: true }).catch(() => undefined);
}

/**
 * Removes temp files a crashed process left behind (a live request's file is younger:
 * the request timeout cuts every upload off long before `olderThanMs`).
 */
export async function sweepStaleUploads(dir: string, olderThanMs: number, now = Date.now()): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((n) => n.startsWith(PREFIX))) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => null);
    if (info?.isFile() && now - info.mtimeMs > olderThanMs) {
      await removeQuietly(path);
      removed++;
    }
  }
  return removed;
}

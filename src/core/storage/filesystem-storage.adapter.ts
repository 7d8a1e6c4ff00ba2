import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

import {
  assertValidKey,
  assertValidPrefix,
  type GetOptions,
  StorageNotFoundError,
  type PutOptions,
  type StoragePort,
  type StoredObjectInfo,
} from './storage.port.js';

/**
 * Temp files carry a '~', which no valid key may contain, so they can never
 * collide with a key and `list` can skip them.
 */
const TEMP_MARK = '~';

/** Error codes that mean "there is no object (file) under this key". */
const MISSING_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

/**
 * Stores each object as a file at `<rootDir>/<key>`. Writes are atomic: the body
 * goes to a temp file in the target directory, is fsynced, then renamed over the
 * key, so a crash or a failing body stream never leaves a partial file under the
 * key. `contentType` is not recorded.
 *
 * Unlike S3, a key cannot be both an object and a "folder" (`a` and `a/b`);
 * the app's key layout never does that.
 */
export class FilesystemStorage implements StoragePort {
  readonly kind = 'filesystem' as const;
  private readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
  }

  async put(key: string, body: Buffer | NodeJS.ReadableStream, _opts?: PutOptions): Promise<StoredObjectInfo> {
    let temp: string | undefined;
    try {
      const target = this.pathOf(key);
      const dir = path.dirname(target);
      await mkdir(dir, { recursive: true });
      temp = path.join(dir, `.${TEMP_MARK}${randomUUID()}.tmp`);
      const size = await writeDurably(temp, body);
      await rename(temp, target);
      return { key, size };
    } catch (err) {
      if (temp !== undefined) await unlink(temp).catch(() => undefined);
      if (!Buffer.isBuffer(body)) destroyQuietly(body); // never leave the producer hanging
      throw err;
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Buffer> {
    const file = this.pathOf(key);
    try {
      return opts.shared ? await readShared(file) : await readFile(file);
    } catch (err) {
      throw mapMissing(err, key);
    }
  }

  async getStream(key: string): Promise<NodeJS.ReadableStream> {
    const file = this.pathOf(key);
    // Open first so that a missing key rejects here rather than on the stream.
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      throw mapMissing(err, key);
    }
    try {
      if (!(await handle.stat()).isFile()) throw new StorageNotFoundError(key);
    } catch (err) {
      await handle.close();
      throw err;
    }
    // The stream owns the handle from here and closes it on end, error or destroy.
    return handle.createReadStream();
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await stat(file)).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    // Walk only below the deepest folder the prefix names.
    const slash = prefix.lastIndexOf('/');
    const base = slash === -1 ? '' : prefix.slice(0, slash);
    const start = base === '' ? this.rootDir : path.join(this.rootDir, ...base.split('/'));
    const keys: string[] = [];
    await this.walk(start, base, prefix, keys);
    return keys.sort();
  }

  async check(): Promise<void> {
    await mkdir(this.rootDir, { recursive: true });
    await access(this.rootDir, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing held open.
  }

  private async walk(dir: string, keyOfDir: string, prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.includes(TEMP_MARK)) continue;
      const key = keyOfDir === '' ? entry.name : `${keyOfDir}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys below could still match the prefix.
        const asFolder = `${key}/`;
        if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) {
          await this.walk(path.join(dir, entry.name), key, prefix, out);
        }
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const file = path.join(this.rootDir, ...key.split('/'));
    const rel = path.relative(this.rootDir, file);
    // assertValidKey already rules this out; belt and braces for a path API.
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new Error(`storage key "${key}" resolves outside the storage root`);
    }
    return file;
  }
}

/** Reads a whole file into a SharedArrayBuffer of its size (a key's file is never changed in place: put renames over it). */
async function readShared(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw Object.assign(new Error(`${file} is not a file`), { code: 'EISDIR' });
    const bytes = Buffer.from(new SharedArrayBuffer(stats.size));
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, Math.min(bytes.length - at, READ_CHUNK), at);
      if (bytesRead === 0) throw new Error(`${file} ended after ${at} of its ${bytes.length} bytes`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Bytes per read call (a single read is capped near 2 GiB anyway). */
const READ_CHUNK = 64 * 1024 * 1024;

/** Writes `body` to a new file and fsyncs it, so that the rename that follows publishes whole bytes. */
async function writeDurably(file: string, body: Buffer | NodeJS.ReadableStream): Promise<number> {
  const handle = await open(file, 'wx');
  try {
    let size = 0;
    if (Buffer.isBuffer(body)) {
      await handle.writeFile(body);
      size = body.length;
    } else {
      for await (const chunk of body) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        await handle.write(bytes);
        size += bytes.length;
      }
    }
    await handle.sync();
    return size;
  } finally {
    await handle.close();
  }
}

function isMissing(err: unknown): boolean {
  // Structural, not `instanceof Error`: errors from node:fs come from another realm under Jest's VM modules.
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' && MISSING_CODES.has(err.code);
}

function mapMissing(err: unknown, key: string): unknown {
  return isMissing(err) ? new StorageNotFoundError(key, { cause: err }) : err;
}

function destroyQuietly(stream: NodeJS.ReadableStream): void {
  const maybe = stream as NodeJS.ReadableStream & { destroy?: () => void };
  if (typeof maybe.destroy === 'function') maybe.destroy();
}

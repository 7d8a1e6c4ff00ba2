import { Readable } from 'node:stream';

import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

import {
  assertValidKey,
  assertValidPrefix,
  type GetOptions,
  StorageNotFoundError,
  type PutOptions,
  type StoragePort,
  type StoredObjectInfo,
} from './storage.port.js';

/** How to reach an S3-compatible service (no bucket: see {@link S3StorageOptions}). */
export interface S3ConnectionOptions {
  /** Set for S3-compatible servers (MinIO, s3rver, R2...); leave out for AWS. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither means the AWS default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `true` for most S3-compatible servers (`http://host/bucket/key`). */
  forcePathStyle: boolean;
}

export interface S3StorageOptions extends S3ConnectionOptions {
  bucket: string;
  /** Every key is stored under this folder of the bucket (`sieve` -> `sieve/<key>`). */
  prefix?: string;
}

export interface S3Location {
  bucket: string;
  key: string;
}

/** A readiness check must answer quickly, not after the SDK's retries on a dead host. */
const CHECK_TIMEOUT_MS = 5_000;
const CONNECTION_TIMEOUT_MS = 5_000;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Objects in one bucket of an S3-compatible service. Bodies are streamed: a
 * stream `put` goes through a multipart upload (5 MiB parts, at most 4 in
 * memory) that is only completed after the whole body was read, so a failing
 * body never leaves an object behind.
 */
export class S3Storage implements StoragePort {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StorageOptions) {
    this.client = new S3Client(S3Storage.clientConfig(options));
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
  }

  /** The S3Client settings used for `options` (exposed for tools that need their own client). */
  static clientConfig(options: S3ConnectionOptions): S3ClientConfig {
    const { accessKeyId, secretAccessKey } = options;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new Error('S3 storage: set both accessKeyId and secretAccessKey, or neither');
    }
    return {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint !== undefined && {
        endpoint: options.endpoint,
        // S3-compatible servers often reject the CRC checksums (and aws-chunked
        // bodies) the SDK sends to AWS by default since 3.729; only send and
        // verify checksums where an operation requires them.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
      ...(accessKeyId !== undefined &&
        secretAccessKey !== undefined && { credentials: { accessKeyId, secretAccessKey } }),
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS },
    };
  }

  /**
   * Reads a whole object named by an `s3://bucket/key` URI (challenge bundles may
   * point at private data that way) with a short-lived client.
   * Throws {@link StorageNotFoundError} (whose `key` is the URI) when it is missing.
   */
  static async readUri(connection: S3ConnectionOptions, uri: string): Promise<Buffer> {
    const client = new S3Client(S3Storage.clientConfig(connection));
    try {
      return await readObject(client, parseS3Uri(uri), uri);
    } finally {
      client.destroy();
    }
  }

  /** Like the static {@link S3Storage.readUri}, with this storage's client and credentials. */
  async readUri(uri: string): Promise<Buffer> {
    return readObject(this.client, parseS3Uri(uri), uri);
  }

  async put(key: string, body: Buffer | NodeJS.ReadableStream, opts?: PutOptions): Promise<StoredObjectInfo> {
    try {
      return await this.upload(this.objectKey(key), key, body, opts?.contentType);
    } catch (err) {
      if (!Buffer.isBuffer(body)) destroyQuietly(body); // never leave the producer hanging
      throw err;
    }
  }

  async get(key: string, opts: GetOptions = {}): Promise<Buffer> {
    return readObject(this.client, { bucket: this.bucket, key: this.objectKey(key) }, key, opts);
  }

  async getStream(key: string): Promise<NodeJS.ReadableStream> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      if (!(out.Body instanceof Readable)) {
        throw new Error(`S3 GetObject for "${key}" returned no Node.js stream`);
      }
      return out.Body;
    } catch (err) {
      throw mapNotFound(err, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (err) {
      if (isNotFound(err)) return; // S3 answers 204 anyway; some compatible servers 404
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertValidPrefix(prefix);
    const keys: string[] = [];
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: this.prefix + prefix },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(this.prefix)) keys.push(object.Key.slice(this.prefix.length));
      }
    }
    return keys.sort();
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new Error(`S3 storage: bucket "${this.bucket}" is not reachable (${reason})`, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async upload(
    Key: string,
    key: string,
    body: Buffer | NodeJS.ReadableStream,
    ContentType: string | undefined,
  ): Promise<StoredObjectInfo> {
    if (Buffer.isBuffer(body)) {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.length, ContentType }),
      );
      return { key, size: body.length };
    }

    const counter = { size: 0 };
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: Readable.from(countBytes(body, counter)), ContentType },
      // We abort ourselves below, so the caller sees the body's error rather than
      // a failure of the abort (some S3-compatible servers lack AbortMultipartUpload).
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      if (upload.uploadId !== undefined) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: upload.uploadId }))
          .catch(() => undefined); // best effort: a bucket lifecycle rule should reap leftovers
      }
      throw err;
    }
    return { key, size: counter.size };
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }
}

/** Parses `s3://bucket/some/key`; the key is taken verbatim (not URL-decoded). */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null) throw new Error(`not an s3:// URI with a bucket and a key: "${uri}"`);
  const bucket = match[1] ?? '';
  const key = match[2] ?? '';
  if (!BUCKET_NAME.test(bucket)) throw new Error(`invalid bucket name in "${uri}"`);
  return { bucket, key };
}

/**
 * Reads a whole object. With its length known (always, from S3 and s3rver), the body is
 * copied into memory allocated once at that size (shared when asked): a large data file
 * never sits in memory twice, as chunks and as their concatenation.
 */
async function readObject(client: S3Client, where: S3Location, keyForErrors: string, opts: GetOptions = {}): Promise<Buffer> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
    if (out.Body === undefined) throw new Error(`S3 GetObject for "${keyForErrors}" returned no body`);
    const size = out.ContentLength;
    if (size === undefined || !(out.Body instanceof Readable)) {
      const bytes = await out.Body.transformToByteArray();
      if (!opts.shared) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const shared = Buffer.from(new SharedArrayBuffer(bytes.byteLength));
      shared.set(bytes);
      return shared;
    }
    const bytes = opts.shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
    let at = 0;
    for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
      if (at + chunk.length > size) {
        out.Body.destroy();
        throw new Error(`S3 GetObject for "${keyForErrors}" sent more than its Content-Length (${size} bytes)`);
      }
      bytes.set(chunk, at);
      at += chunk.length;
    }
    if (at !== size) throw new Error(`S3 GetObject for "${keyForErrors}" ended after ${at} of its ${size} bytes`);
    return bytes;
  } catch (err) {
    throw mapNotFound(err, keyForErrors);
  }
}

function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertValidKey(trimmed);
  return `${trimmed}/`;
}

function isNotFound(err: unknown): boolean {
  // Structural rather than `instanceof S3ServiceException`, which breaks across module copies and realms.
  if (typeof err !== 'object' || err === null || !('name' in err)) return false;
  if (err.name === 'NoSuchBucket') return false; // a configuration error, not a missing object
  if (err.name === 'NoSuchKey' || err.name === 'NotFound') return true;
  return '$metadata' in err && isRecord(err.$metadata) && err.$metadata.httpStatusCode === 404;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function mapNotFound(err: unknown, key: string): unknown {
  return isNotFound(err) ? new StorageNotFoundError(key, { cause: err }) : err;
}

async function* countBytes(source: NodeJS.ReadableStream, counter: { size: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.size += bytes.length;
    yield bytes;
  }
}

function destroyQuietly(stream: NodeJS.ReadableStream): void {
  const maybe = stream as NodeJS.ReadableStream & { destroy?: () => void };
  if (typeof maybe.destroy === 'function') maybe.destroy();
}

import { FilesystemStorage } from './filesystem-storage.adapter.js';
import { S3Storage } from './s3-storage.adapter.js';
import type { StoragePort } from './storage.port.js';

/** Produced by the config module from STORAGE_DIR, or from S3_BUCKET and the other S3_* variables. */
export type StorageConfig =
  | { kind: 'filesystem'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      endpoint?: string;
      region: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
      prefix?: string;
    };

export function createStorage(config: StorageConfig): StoragePort {
  switch (config.kind) {
    case 'filesystem':
      return new FilesystemStorage(config.dir);
    case 's3':
      return new S3Storage({
        bucket: config.bucket,
        endpoint: config.endpoint,
        region: config.region,
        accessKeyId: config.accessKeyId,
        secretAccessKey: config.secretAccessKey,
        forcePathStyle: config.forcePathStyle,
        prefix: config.prefix,
      });
    default: {
      const unknownKind: never = config;
      throw new Error(`unknown storage kind: ${JSON.stringify(unknownKind)}`);
    }
  }
}

import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { StorageConfig } from '../storage/create-storage.js';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const bool = z.stringbool({ truthy: ['1', 'true', 'yes', 'on'], falsy: ['0', 'false', 'no', 'off'] });

const positiveInt = z.coerce.number({ error: 'must be a whole number above 0' }).int('must be a whole number above 0').positive('must be a whole number above 0');
/** 0 turns the limit off. */
const perMinute = z.coerce.number({ error: 'must be a whole number of requests per minute (0 turns the limit off)' }).int('must be a whole number of requests per minute (0 turns the limit off)').min(0, 'must be a whole number of requests per minute (0 turns the limit off)');

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const TRUST_PROXY_HELP = 'off, on (one proxy in front), a number of proxies, or a comma-separated list of proxy addresses or subnets (10.0.0.0/8, loopback)';

/**
 * Which hops of X-Forwarded-For to believe, in Express's terms. Off by default: a client
 * could otherwise name any address and escape its per-IP limit. `on` means one proxy,
 * never "trust everything", which would believe the left-most (client-written) address.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): false | number | string[] => {
    const lower = v.toLowerCase();
    if (['', 'off', 'false', 'no', '0'].includes(lower)) return false;
    if (['on', 'true', 'yes'].includes(lower)) return 1;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !PROXY_NAMES.has(e) && !isAddressOrSubnet(e));
    if (bad.length === 0 && entries.length > 0) return entries;
    ctx.addIssue({ code: 'custom', message: `must be ${TRUST_PROXY_HELP}${bad.length ? `; not an address or subnet: ${bad.join(', ')}` : ''}` });
    return z.NEVER;
  });

function isAddressOrSubnet(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128);
}

const port = z.coerce.number({ error: 'must be a port number from 0 to 65535' }).int('must be a port number from 0 to 65535').min(0, 'must be a port number from 0 to 65535').max(65535, 'must be a port number from 0 to 65535');

/** The S3 bucket naming rule (as S3Storage checks it in s3:// URIs). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const QUEUE_NAMES = ['evaluate-cpu', 'evaluate-gpu'] as const;

/** Every environment variable Sieve reads, in one place. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  PUBLIC_URL: optionalString.pipe(z.url().optional()),
  DATABASE_URL: optionalString.pipe(
    z
      .url()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), 'must start with postgres:// or postgresql://')
      .optional(),
  ),
  REDIS_URL: optionalString.pipe(
    z
      .url()
      .refine((u) => /^rediss?:\/\//.test(u), 'must start with redis:// or rediss://')
      .optional(),
  ),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, - and _ only')
    .default('sieve'),
  SIEVE_HOME: z.string().default('.sieve'),
  EMBEDDED_PG_PORT: port.default(54329),
  STORAGE_DIR: optionalString,
  S3_BUCKET: optionalString,
  S3_ENDPOINT: optionalString.pipe(z.url().optional()),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_PREFIX: optionalString,
  CHALLENGES_DIR: z.string().default('challenges'),
  REGISTRATION: z.enum(['open', 'closed']).default('open'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_UPLOAD_BYTES: positiveInt.default(64 * 1024 * 1024),
  /** Where uploads are streamed while they are received and checked; each file is removed when its request ends. */
  UPLOAD_TMP_DIR: optionalString,
  /** Requests a minute per bearer token (every route but /healthz and /readyz). */
  RATE_LIMIT_PER_MINUTE: perMinute.default(600),
  /** Requests a minute per client address for requests without a token. */
  RATE_LIMIT_IP_PER_MINUTE: perMinute.default(300),
  /** Uploads a minute per token (or per address without one), on top of the request limit. */
  RATE_LIMIT_UPLOADS_PER_MINUTE: perMinute.default(10),
  /** Tokens an address may have checked a minute that this process has not seen valid (each costs a scrypt). */
  RATE_LIMIT_AUTH_PER_MINUTE: perMinute.default(30),
  TRUST_PROXY: trustProxy.default(false),
  /** Let webhooks call private, loopback and link-local addresses (off: a hook cannot reach the server's own network). */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  /** Tries of a webhook delivery before it is marked failed (with backoff: 2 s, 4 s, 8 s… up to an hour). */
  WEBHOOK_ATTEMPTS: positiveInt.default(8),
  /** How often a worker looks for webhook deliveries that are due. */
  WEBHOOK_POLL_MS: positiveInt.default(1000),
  WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  /**
   * Set: GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>". Unset: /metrics is
   * public. /metrics is not rate limited (scrapers poll on their own schedule), so a
   * token short enough to guess is refused.
   */
  METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters (a random secret; e.g. openssl rand -hex 32)').optional()),
  /**
   * The longest a client may take to send one whole request, body included: a client
   * that trickles its upload (slow-loris) is cut off with a 408 after this. Node's default.
   */
  REQUEST_TIMEOUT_MS: positiveInt.default(300_000),
  /**
   * On SIGTERM, how long the API lets requests in flight finish and a worker lets its
   * evaluations finish before cutting them off (under Kubernetes' 30 s grace by default).
   */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
  WORKER_QUEUES: z
    .string()
    .default('evaluate-cpu')
    .transform((v) => v.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(QUEUE_NAMES)).min(1)),
  WORKER_CONCURRENCY: positiveInt.default(2),
  /** GPU-queue evaluations a worker takes at once; those of one challenge version train in one batched run. */
  WORKER_GPU_BATCH: positiveInt.default(16),
  /** How long a PyTorch training waits for others to join its batched run. */
  WORKER_BATCH_WINDOW_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds from 0 to 60000' })
    .int('must be a whole number of milliseconds from 0 to 60000')
    .min(0, 'must be a whole number of milliseconds from 0 to 60000')
    .max(60_000, 'must be a whole number of milliseconds from 0 to 60000')
    .default(25),
  JOB_ATTEMPTS: positiveInt.default(5),
  JOB_BACKOFF_MS: positiveInt.default(2000),
  EVALUATION_TIMEOUT_MS: positiveInt.default(10 * 60 * 1000),
  RECONCILE_INTERVAL_MS: positiveInt.default(30_000),
  RECONCILE_GRACE_MS: positiveInt.default(60_000),
  WORKER_HEARTBEAT_MS: positiveInt.default(10_000),
  /** A worker not seen for this long is gone: its queues' submissions say they are waiting for one. */
  WORKER_STALE_MS: positiveInt.default(60_000),
  /** How long a running evaluation's lease lasts; the worker renews it with each heartbeat. */
  EVALUATION_LEASE_MS: positiveInt.default(30_000),
  /** Challenge data files (pools, test sets) a process keeps in memory, in MiB. */
  DATA_CACHE_MB: positiveInt.default(4096),
  /** Computed boards an API process keeps (one per challenge and query); 0 computes every read afresh. */
  LEADERBOARD_CACHE_ENTRIES: z.coerce.number({ error: 'must be a whole number of boards (0 turns the cache off)' }).int('must be a whole number of boards (0 turns the cache off)').min(0, 'must be a whole number of boards (0 turns the cache off)').default(500),
  /** Organizer bundle uploads (zip, tar, tar.gz): caps on what one archive may extract to. */
  MAX_BUNDLE_BYTES: positiveInt.default(512 * 1024 * 1024),
  MAX_BUNDLE_ENTRY_BYTES: positiveInt.default(256 * 1024 * 1024),
  MAX_BUNDLE_ENTRIES: positiveInt.default(10_000),
  /**
   * Buckets an uploaded bundle may name in s3:// data references (hidden test sets kept
   * out of the archive). Empty: uploaded bundles may not use s3:// at all.
   */
  HIDDEN_DATA_BUCKETS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(BUCKET_NAME, 'comma-separated S3 bucket names (lowercase letters, digits, . and -, 3 to 63 characters)'))),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  publicUrl?: string;
  /** Absent: run on the embedded PostgreSQL under `home`. */
  databaseUrl?: string;
  /** Absent: BullMQ runs on its PostgreSQL backend. */
  redisUrl?: string;
  queuePrefix: string;
  home: string;
  embeddedPgPort: number;
  storage: StorageConfig;
  challengesDir: string;
  registration: 'open' | 'closed';
  logLevel: Env['LOG_LEVEL'];
  maxUploadBytes: number;
  /** Where uploads are streamed to while they are received. */
  uploadTmpDir: string;
  /** The bearer secret GET /metrics requires; absent: /metrics is public. */
  metricsToken?: string;
  /** On SIGTERM: how long requests in flight and running evaluations get to finish. */
  shutdownTimeoutMs: number;
  webhooks: { allowPrivateUrls: boolean; attempts: number; pollMs: number; timeoutMs: number };
  /** Computed boards an API process keeps; 0: none. */
  leaderboardCacheEntries: number;
  /** Challenge data files each process keeps in memory (MiB), the least recently used dropped first. */
  dataCacheMb: number;
  http: {
    /** Express's `trust proxy`: false, a number of hops, or the proxies' addresses/subnets. */
    trustProxy: false | number | string[];
    requestTimeoutMs: number;
    /** Requests a minute; 0 = no limit. */
    rateLimits: { perToken: number; perIp: number; uploads: number; authChecks: number };
  };
  worker: {
    queues: (typeof QUEUE_NAMES)[number][];
    concurrency: number;
    /** Concurrency of the evaluate-gpu queue: up to this many submissions train in one batched run. */
    gpuBatch: number;
    batchWindowMs: number;
    attempts: number;
    backoffMs: number;
    evaluationTimeoutMs: number;
    reconcileIntervalMs: number;
    reconcileGraceMs: number;
    /** How often a worker writes its heartbeat. */
    heartbeatMs: number;
    /** A worker unseen for longer is considered gone. */
    staleMs: number;
    /** A running evaluation's lease: renewed every `heartbeatMs`; once it lapses, another worker may take the submission. */
    leaseMs: number;
  };
  /** Bundles organizers upload through the API (not the repository's own challenges/). */
  bundles: {
    /** Bytes an archive may extract to, all entries together (counted as written). */
    maxBytes: number;
    maxEntryBytes: number;
    /** Entries (files and folders) an archive may hold. */
    maxEntries: number;
    /** Buckets s3:// data references may point into; never Sieve's own storage. */
    hiddenDataBuckets: string[];
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment once. Throws a ConfigError naming every bad key. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        const raw = source[key];
        return `${key}: ${issue.message}${raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.S3_BUCKET && e.STORAGE_DIR) {
    throw new ConfigError(['STORAGE_DIR, S3_BUCKET: set one of them, not both (files go either to a local folder or to S3)']);
  }
  if (!e.S3_BUCKET && (e.S3_ENDPOINT || e.S3_ACCESS_KEY_ID)) {
    throw new ConfigError(['S3_BUCKET: required when S3_ENDPOINT or S3_ACCESS_KEY_ID is set']);
  }
  if (e.S3_BUCKET && !e.S3_PREFIX && e.HIDDEN_DATA_BUCKETS.includes(e.S3_BUCKET)) {
    // The whole bucket is Sieve's storage (submissions, other challenges' data): an
    // organizer's bundle could then read any of it.
    throw new ConfigError([
      `HIDDEN_DATA_BUCKETS: "${e.S3_BUCKET}" is Sieve's own storage bucket (S3_BUCKET, no S3_PREFIX); keep hidden data in another bucket, or set S3_PREFIX so that Sieve's files live under it`,
    ]);
  }
  if (e.EVALUATION_LEASE_MS < 2 * e.WORKER_HEARTBEAT_MS) {
    throw new ConfigError([
      `EVALUATION_LEASE_MS: must be at least twice WORKER_HEARTBEAT_MS (${e.WORKER_HEARTBEAT_MS} ms), which renews it, or a lease lapses between two renewals (got ${e.EVALUATION_LEASE_MS})`,
    ]);
  }
  const home = resolve(e.SIEVE_HOME);
  const storage: StorageConfig = e.S3_BUCKET
    ? {
        kind: 's3',
        bucket: e.S3_BUCKET,
        endpoint: e.S3_ENDPOINT,
        region: e.S3_REGION,
        accessKeyId: e.S3_ACCESS_KEY_ID,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY,
        forcePathStyle: e.S3_FORCE_PATH_STYLE,
        prefix: e.S3_PREFIX,
      }
    : { kind: 'filesystem', dir: resolve(e.STORAGE_DIR ?? `${home}/storage`) };
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    home,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    storage,
    challengesDir: resolve(e.CHALLENGES_DIR),
    registration: e.REGISTRATION,
    logLevel: e.LOG_LEVEL,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    uploadTmpDir: resolve(e.UPLOAD_TMP_DIR ?? join(tmpdir(), 'sieve-uploads')),
    metricsToken: e.METRICS_TOKEN,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    webhooks: { allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS, attempts: e.WEBHOOK_ATTEMPTS, pollMs: e.WEBHOOK_POLL_MS, timeoutMs: e.WEBHOOK_TIMEOUT_MS },
    leaderboardCacheEntries: e.LEADERBOARD_CACHE_ENTRIES,
    dataCacheMb: e.DATA_CACHE_MB,
    http: {
      trustProxy: e.TRUST_PROXY,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      rateLimits: { perToken: e.RATE_LIMIT_PER_MINUTE, perIp: e.RATE_LIMIT_IP_PER_MINUTE, uploads: e.RATE_LIMIT_UPLOADS_PER_MINUTE, authChecks: e.RATE_LIMIT_AUTH_PER_MINUTE },
    },
    worker: {
      queues: e.WORKER_QUEUES,
      concurrency: e.WORKER_CONCURRENCY,
      gpuBatch: e.WORKER_GPU_BATCH,
      batchWindowMs: e.WORKER_BATCH_WINDOW_MS,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      evaluationTimeoutMs: e.EVALUATION_TIMEOUT_MS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      reconcileGraceMs: e.RECONCILE_GRACE_MS,
      heartbeatMs: e.WORKER_HEARTBEAT_MS,
      staleMs: e.WORKER_STALE_MS,
      leaseMs: e.EVALUATION_LEASE_MS,
    },
    bundles: {
      maxBytes: e.MAX_BUNDLE_BYTES,
      maxEntryBytes: e.MAX_BUNDLE_ENTRY_BYTES,
      maxEntries: e.MAX_BUNDLE_ENTRIES,
      hiddenDataBuckets: e.HIDDEN_DATA_BUCKETS,
    },
  };
}

export const CONFIG = Symbol('CONFIG');

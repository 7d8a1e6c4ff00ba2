import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on the embedded default when nothing is set', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.storage.kind).toBe('filesystem');
    expect(config.port).toBe(3000);
    expect(config.worker.queues).toEqual(['evaluate-cpu']);
  });

  it('caps uploaded bundles by default and allows no s3:// data in them', () => {
    expect(loadConfig({}).bundles).toEqual({ maxBytes: 512 * 1024 * 1024, maxEntryBytes: 256 * 1024 * 1024, maxEntries: 10_000, hiddenDataBuckets: [] });
    expect(loadConfig({ HIDDEN_DATA_BUCKETS: ' hidden-a , hidden.b ,' }).bundles.hiddenDataBuckets).toEqual(['hidden-a', 'hidden.b']);
    // Sieve's own bucket is allowed only when Sieve keeps its files under a prefix of it.
    expect(loadConfig({ S3_BUCKET: 'shared', S3_PREFIX: 'sieve', HIDDEN_DATA_BUCKETS: 'shared' }).bundles.hiddenDataBuckets).toEqual(['shared']);
  });

  it('leaves /metrics public unless METRICS_TOKEN is set', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'a-scraper-secret-0123456789' }).metricsToken).toBe('a-scraper-secret-0123456789');
  });

  it('selects S3 storage when S3_BUCKET is set', () => {
    const config = loadConfig({ S3_BUCKET: 'b', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' });
    expect(config.storage).toMatchObject({ kind: 's3', bucket: 'b', forcePathStyle: true });
  });

  it.each([
    [{ PORT: 'abc' }, ['PORT']],
    [{ PORT: '70000', DATABASE_URL: 'mysql://x' }, ['PORT', 'DATABASE_URL']],
    [{ REDIS_URL: 'http://localhost' }, ['REDIS_URL']],
    [{ WORKER_QUEUES: 'evaluate-cpu,evaluate-tpu' }, ['WORKER_QUEUES']],
    [{ S3_FORCE_PATH_STYLE: 'maybe' }, ['S3_FORCE_PATH_STYLE']],
    [{ S3_BUCKET: 'b', STORAGE_DIR: '/tmp/x' }, ['STORAGE_DIR, S3_BUCKET']],
    [{ RATE_LIMIT_PER_MINUTE: '-1', RATE_LIMIT_UPLOADS_PER_MINUTE: '2.5' }, ['RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_UPLOADS_PER_MINUTE']],
    [{ TRUST_PROXY: 'everyone', REQUEST_TIMEOUT_MS: '0' }, ['TRUST_PROXY', 'REQUEST_TIMEOUT_MS']],
    [{ TRUST_PROXY: '10.0.0.0/33' }, ['TRUST_PROXY']],
    [{ HIDDEN_DATA_BUCKETS: 'ok-bucket,Not_A_Bucket', MAX_BUNDLE_BYTES: '0' }, ['MAX_BUNDLE_BYTES', 'HIDDEN_DATA_BUCKETS']],
    [{ S3_BUCKET: 'sieve-files', HIDDEN_DATA_BUCKETS: 'hidden,sieve-files' }, ['HIDDEN_DATA_BUCKETS']],
    [{ METRICS_TOKEN: 'guessable' }, ['METRICS_TOKEN']],
    [{ WORKER_HEARTBEAT_MS: '20000' }, ['EVALUATION_LEASE_MS']],
  ])('lists every bad key in %j', (env, keys) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(keys);
  });

  it('has abuse limits on by default, and X-Forwarded-For believed from nobody', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ trustProxy: false, requestTimeoutMs: 300_000, rateLimits: { perToken: 600, perIp: 300, uploads: 10, authChecks: 30 } });
    expect(config.uploadTmpDir).toMatch(/sieve-uploads$/);
  });

  it.each<[string, false | number | string[]]>([
    ['off', false],
    ['false', false],
    ['on', 1],
    ['true', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.7 ,::1', ['10.0.0.0/8', '192.168.1.7', '::1']],
    ['fd00::/8', ['fd00::/8']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });
});

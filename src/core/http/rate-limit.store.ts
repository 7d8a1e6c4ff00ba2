import { Redis } from 'ioredis';
import { emissionInterval, gcra, type RateDecision, type RateRule } from './gcra.js';

/** Where each client's rate-limit state lives: Redis (shared by every API process) or this process. */
export interface RateLimitStore {
  readonly kind: 'redis' | 'memory';
  /** Counts one request against `key` under `rule`, atomically. */
  hit(key: string, rule: RateRule): Promise<Pick<RateDecision, 'allowed' | 'retryAfterMs' | 'remaining'>>;
  close(): Promise<void>;
}

export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');

/**
 * For the embedded default (one process, no Redis). Each process counts on its own, so
 * behind a load balancer without Redis a client gets the limit once per process.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly kind = 'memory' as const;
  private readonly tats = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    /** Beyond this many clients, the oldest entries go first (a flood of addresses must not eat the memory). */
    private readonly maxKeys = 100_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async hit(key: string, rule: RateRule) {
    const decision = gcra(this.tats.get(key), this.now(), rule);
    if (decision.allowed) {
      // Re-inserted at the end: Map order is then least recently allowed first.
      this.tats.delete(key);
      this.tats.set(key, decision.tat);
      if (this.tats.size > this.maxKeys) this.evict();
    }
    return decision;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.tats.clear();
  }

  /** A TAT in the past is the same as no entry at all. */
  private sweep(): void {
    const now = this.now();
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }

  private evict(): void {
    this.sweep();
    for (const key of this.tats.keys()) {
      if (this.tats.size <= this.maxKeys) break;
      this.tats.delete(key);
    }
  }
}

/**
 * gcra() in one Lua script, so concurrent requests on any number of API processes
 * count exactly. The clock is Redis's (TIME), not each API machine's. KEYS[1]: the
 * client's key; ARGV: emission interval and burst tolerance, in whole ms.
 * Returns {allowed (0|1), retryAfterMs, remaining}.
 */
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > burst then
  return {0, tat - now - burst, 0}
end
local nextTat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', nextTat), 'PX', nextTat - now)
return {1, 0, math.floor((burst + interval - (nextTat - now)) / interval)}
`;

type GcraCommand = (key: string, interval: number, burst: number) => Promise<[number, number, number]>;

/** Shared by every API process. Keys: `<QUEUE_PREFIX>:ratelimit:<key>`, expiring on their own. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis & { sieveGcra?: GcraCommand };

  constructor(url: string, private readonly prefix: string) {
    // A rate limit must not hold a request up for long: no offline queue, one quick try.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 1000, lazyConnect: false });
    this.redis.on('error', () => undefined); // a failing hit() is logged by the guard
    this.redis.defineCommand('sieveGcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  async hit(key: string, rule: RateRule) {
    const interval = emissionInterval(rule);
    const [allowed, retryAfterMs, remaining] = await this.redis.sieveGcra!(`${this.prefix}:ratelimit:${key}`, interval, (rule.limit - 1) * interval);
    return { allowed: allowed === 1, retryAfterMs, remaining };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

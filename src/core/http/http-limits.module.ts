import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CONFIG, type Config } from '../config/config.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { MemoryRateLimitStore, RATE_LIMIT_STORE, type RateLimitStore, RedisRateLimitStore } from './rate-limit.store.js';
import { RequestShapeGuard } from './request-shape.guard.js';

@Injectable()
class RateLimitStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * The API's abuse limits, as global guards in this order: rate limits first (the
 * cheapest refusal, before anything is parsed or looked up), then the body's content
 * type and announced size. Upload routes add their own interceptor (UploadRoute).
 * Global: authentication also spends from the store (token checks per address).
 */
@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORE,
      useFactory: (config: Config): RateLimitStore => (config.redisUrl ? new RedisRateLimitStore(config.redisUrl, config.queuePrefix) : new MemoryRateLimitStore()),
      inject: [CONFIG],
    },
    RateLimitStoreCloser,
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: RequestShapeGuard },
  ],
  exports: [RATE_LIMIT_STORE],
})
export class HttpLimitsModule {}

import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { LOGGER } from '../logger/logger.js';
import { type Client, clientOf } from './client-key.js';
import { RATE_LIMIT_STORE, type RateLimitStore } from './rate-limit.store.js';
import { uploadRouteOf } from './upload-route.metadata.js';

export const SKIP_RATE_LIMIT = 'sieve:skip-rate-limit';
const MINUTE_MS = 60_000;
/** A store that cannot answer is logged at most this often (it would otherwise log every request). */
const STORE_WARNING_INTERVAL_MS = 60_000;

/** Exempts a controller or route from the rate limits (health probes poll on their own schedule). */
export const SkipRateLimit = (): MethodDecorator & ClassDecorator => SetMetadata(SKIP_RATE_LIMIT, true);

interface Budget {
  /** Names the bucket in the store and the limit in the error details. */
  name: string;
  limit: number;
  per: string;
}

/**
 * Global, and the first guard to run: per bearer token (by its hash) or, without a
 * token, per client address (X-Forwarded-For only counts with TRUST_PROXY), plus a
 * tighter budget for upload routes. Over a limit: 429 `rate_limited` with Retry-After.
 * When the store cannot answer (Redis down), requests pass: the limit protects the
 * service, it must not take it down.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private lastStoreWarning = 0;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const client = clientOf(req.headers.authorization, req.ip ?? req.socket.remoteAddress);
    for (const budget of this.budgets(client, uploadRouteOf(this.reflector, context) !== undefined)) {
      if (budget.limit === 0) continue;
      const decision = await this.store.hit(`${budget.name}:${client.id}`, { limit: budget.limit, periodMs: MINUTE_MS }).catch((err: unknown) => {
        this.warnStoreDown(err);
        return null;
      });
      if (decision && !decision.allowed) {
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        http.getResponse<Response>().setHeader('Retry-After', String(seconds));
        throw AppError.tooManyRequests(`Too many requests: at most ${budget.limit} ${budget.per}; retry in ${seconds} s`, [
          { field: `rateLimit.${budget.name}`, message: `${budget.limit} a minute; next allowed in ${seconds} s` },
        ]);
      }
    }
    return true;
  }

  private budgets(client: Client, upload: boolean): Budget[] {
    const limits = this.config.http.rateLimits;
    const who = client.kind === 'token' ? 'token' : 'client address';
    const budgets: Budget[] = [
      client.kind === 'token' ? { name: 'token', limit: limits.perToken, per: 'requests a minute per token' } : { name: 'ip', limit: limits.perIp, per: 'requests a minute per client address without a token' },
    ];
    if (upload) budgets.push({ name: 'uploads', limit: limits.uploads, per: `uploads a minute per ${who}` });
    return budgets;
  }

  private warnStoreDown(err: unknown): void {
    const now = Date.now();
    if (now - this.lastStoreWarning < STORE_WARNING_INTERVAL_MS) return;
    this.lastStoreWarning = now;
    this.logger.warn({ err, store: this.store.kind }, 'rate limit store not answering; requests pass unlimited');
  }
}

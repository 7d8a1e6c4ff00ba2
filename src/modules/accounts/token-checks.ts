import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Request } from 'express';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import { clientOf } from '../../core/http/client-key.js';
import { RATE_LIMIT_STORE, type RateLimitStore } from '../../core/http/rate-limit.store.js';
import { AccountsService } from './accounts.service.js';

/**
 * The per-address budget of token checks. Tokens this process has not seen valid cost a
 * scrypt each, and each looks like a new client to the per-token rate limit: an address
 * may have only so many checked a minute, so made-up tokens neither guess nor burn CPU at
 * will. One budget for every way a token comes in: the Authorization header and the
 * session cookie (the guard), the sign-in form (the web pages), the queue board.
 */
@Injectable()
export class TokenChecks {
  private readonly limit: number;

  constructor(
    private readonly accounts: AccountsService,
    @Inject(CONFIG) config: Config,
    @Optional() @Inject(RATE_LIMIT_STORE) private readonly limits?: RateLimitStore,
  ) {
    this.limit = config.http.rateLimits.authChecks;
  }

  /** Spends from the request's address's budget when `header` ("Bearer …") needs a check; 429 past it. */
  async spend(request: Request, header: string | undefined): Promise<void> {
    const limit = this.limit;
    if (header === undefined || this.accounts.knows(header) || !this.limits || limit === 0) return;
    const address = clientOf(undefined, request.ip ?? request.socket.remoteAddress);
    const decision = await this.limits.hit(`auth:${address.id}`, { limit, periodMs: 60_000 }).catch(() => null);
    if (decision && !decision.allowed) {
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      request.res?.setHeader('Retry-After', String(seconds));
      throw AppError.tooManyRequests(`Too many requests: at most ${limit} new tokens checked a minute per client address; retry in ${seconds} s`, [
        { field: 'rateLimit.auth', message: `${limit} new tokens checked a minute; next allowed in ${seconds} s` },
      ]);
    }
  }
}

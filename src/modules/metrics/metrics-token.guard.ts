import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import { bearerToken } from '../../core/http/bearer.js';

/**
 * Whether an Authorization header carries `secret` as its bearer token. Both sides are
 * hashed first, so the comparison takes as long whatever the header holds (its length
 * included) and tells nothing about how much of the secret was right.
 */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const token = bearerToken(header);
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const equal = timingSafeEqual(digest(token ?? ''), digest(secret));
  return token !== undefined && equal;
}

/** GET /metrics: open when METRICS_TOKEN is unset, otherwise only with "Authorization: Bearer <METRICS_TOKEN>". */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  canActivate(context: ExecutionContext): boolean {
    const secret = this.config.metricsToken;
    if (secret === undefined) return true;
    if (!bearerMatches(context.switchToHttp().getRequest<Request>().headers.authorization, secret)) {
      throw AppError.unauthorized('The metrics need the scrape token: send "Authorization: Bearer <METRICS_TOKEN>"');
    }
    return true;
  }
}

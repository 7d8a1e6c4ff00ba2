import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../../core/errors/app-error.js';
import { ACCESS_RULE, type AccessRule, type Principal } from './access.js';
import { AccountsService } from './accounts.service.js';
import { isSafeMethod, sameOrigin, sessionToken } from './session.js';
import { TokenChecks } from './token-checks.js';

type AuthedRequest = Request & { principal?: Principal };

/**
 * The credential a request carries: its Authorization header, else the web pages' session
 * cookie (as the same header), noting which.
 */
export function credentialOf(request: Request): { header: string | undefined; cookie: boolean } {
  if (request.headers.authorization !== undefined) return { header: request.headers.authorization, cookie: false };
  const token = sessionToken(request);
  return token === undefined ? { header: undefined, cookie: false } : { header: `Bearer ${token}`, cookie: true };
}

/**
 * The one gate every route passes (registered globally). A route must declare its rule
 * with `@Public()`, `@RequireScope(...)` or `@OwnCredential()` (a guard of its own checks
 * the caller); one that does not is refused, so a route added without thinking about
 * access is closed, not open.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly accounts: AccountsService,
    private readonly reflector: Reflector,
    private readonly tokenChecks: TokenChecks,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (!rule) throw new Error(`route ${request.method} ${request.route?.path ?? request.path} declares no access rule`);
    // Checked by the route's own guard; its secret is no account token and must not count as a failed token check.
    if (rule.kind === 'own-credential') return true;
    const { header, cookie } = credentialOf(request);
    if (cookie && !isSafeMethod(request.method) && !sameOrigin(request)) {
      throw new AppError(403, 'cross_origin', 'This request changes something and carries the session cookie, but it did not come from one of this site\'s pages; send the token in an Authorization header instead');
    }
    await this.tokenChecks.spend(request, header);
    if (rule.kind === 'public') {
      // An expired or revoked session only makes a public page anonymous (the pages offer to sign in again).
      if (header !== undefined) request.principal = cookie ? await this.accounts.authenticate(header).catch(anonymousOn401) : await this.accounts.authenticate(header);
      return true;
    }
    const principal = await this.accounts.authenticate(header);
    if (!principal.scopes.includes(rule.scope)) {
      throw new AppError(403, 'insufficient_scope', `This needs a token with the "${rule.scope}" scope; this token has ${principal.scopes.map((s) => `"${s}"`).join(', ')}. Create one with POST /api/v1/tokens (or \`sieve tokens create\`)`);
    }
    request.principal = principal;
    return true;
  }
}

function anonymousOn401(error: unknown): undefined {
  if (error instanceof AppError && error.status === 401) return undefined;
  throw error;
}

/** The caller of a `@RequireScope` route. */
export const CurrentAccount = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new Error('CurrentAccount used on a route without @RequireScope');
  return principal;
});

/** The caller of a `@Public` route, when it sent a token. */
export const OptionalAccount = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<AuthedRequest>().principal,
);

import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppError } from '../../core/errors/app-error.js';
import { ACCESS_RULE, type AccessRule, type Principal } from './access.js';
import { AccountsService } from './accounts.service.js';

type AuthedRequest = Request & { principal?: Principal };

/**
 * The one gate every route passes (registered globally). A route must declare its rule
 * with `@Public()` or `@RequireScope(...)`; one that does not is refused, so a route
 * added without thinking about access is closed, not open.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly accounts: AccountsService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (!rule) throw new Error(`route ${request.method} ${request.route?.path ?? request.path} declares no access rule`);
    const header = request.headers.authorization;
    if (rule.kind === 'public') {
      if (header !== undefined) request.principal = await this.accounts.authenticate(header);
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

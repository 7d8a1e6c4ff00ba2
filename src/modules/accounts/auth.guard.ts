import { type CanActivate, type ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import type { Request } from 'express';
import type { AccountRecord } from './accounts.repository.js';
import { AccountsService } from './accounts.service.js';

type AuthedRequest = Request & { account?: AccountRecord };

/** Requires a valid bearer token; puts the account on the request. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly accounts: AccountsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    request.account = await this.accounts.authenticate(request.headers.authorization);
    return true;
  }
}

export const CurrentAccount = createParamDecorator((_: unknown, context: ExecutionContext): AccountRecord => {
  const account = context.switchToHttp().getRequest<AuthedRequest>().account;
  if (!account) throw new Error('CurrentAccount used on a route without AuthGuard');
  return account;
});

import type { Request } from 'express';
import { AppError } from '../errors/app-error.js';
import { isAdmin } from '../../modules/accounts/access.js';
import type { AccountsService } from '../../modules/accounts/accounts.service.js';
import { credentialOf } from '../../modules/accounts/auth.guard.js';
import type { TokenChecks } from '../../modules/accounts/token-checks.js';
import type { Authorize } from './queue-board.js';

/**
 * The queue board's gate: an admin's token (`Authorization: Bearer`, or the web pages'
 * session cookie: the board is read-only, so a cookie cannot be made to change anything),
 * with the "admin" scope, as `@RequireScope('admin')` routes ask. 401 without a token or with a bad one,
 * 403 `insufficient_scope` for any other account's. New tokens spend from the same
 * per-address budget of checks as the API's (`TokenChecks`, 429 past it).
 */
export function adminOnly(accounts: AccountsService, tokenChecks?: TokenChecks): Authorize {
  return async (req: Request) => {
    const { header } = credentialOf(req);
    await tokenChecks?.spend(req, header);
    const principal = await accounts.authenticate(header);
    if (!isAdmin(principal)) {
      throw new AppError(
        403,
        'insufficient_scope',
        `The queue board is for admins: it needs an admin's token with the "admin" scope; this token has ${principal.scopes.map((s) => `"${s}"`).join(', ')}`,
      );
    }
  };
}

import { SetMetadata } from '@nestjs/common';
import type { Role } from './account.entity.js';

/**
 * What a token may do. A route names the one scope it needs; a token carries a subset
 * of what its account's role allows.
 * - `read`: your own account, tokens, submissions and the challenges you joined
 * - `submit`: join challenges and teams, download pools, submit, pick finals, cancel
 * - `organize`: run the challenges you organize (upload, edit, open, disqualify, export, rescore, audit)
 * - `admin`: everything, everywhere
 */
export const SCOPES = ['read', 'submit', 'organize', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  participant: ['read', 'submit'],
  organizer: ['read', 'submit', 'organize'],
  admin: SCOPES,
};

/** Who is calling: the account and the token it called with. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  tokenId: string;
  scopes: readonly Scope[];
}

export function isAdmin(principal: Principal | undefined): boolean {
  return principal?.role === 'admin' && principal.scopes.includes('admin');
}

export type AccessRule = { kind: 'public' } | { kind: 'scope'; scope: Scope } | { kind: 'own-credential' };

export const ACCESS_RULE = 'sieve:access';

/** Anyone may call the route; a token, when sent, is still checked (and must be valid). */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);

/**
 * The route checks a credential of its own (a guard on the route: `/metrics` and
 * METRICS_TOKEN), which is not an account's token: the account gate lets the request
 * through without reading its Authorization header.
 */
export const OwnCredential = () => SetMetadata(ACCESS_RULE, { kind: 'own-credential' } satisfies AccessRule);

/** The route needs a valid token carrying `scope` (the service then checks the challenge-level rules). */
export const RequireScope = (scope: Scope) => SetMetadata(ACCESS_RULE, { kind: 'scope', scope } satisfies AccessRule);

import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { keepBounded } from '../../core/cache/bounded.js';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import { parseInput } from '../../core/validation/parse-input.js';
import { type Principal, ROLE_SCOPES, type Scope, SCOPES } from './access.js';
import { ROLES, type Role } from './account.entity.js';
import { type AccountRecord, AccountsRepository, type TokenRecord } from './accounts.repository.js';
import { fingerprint, hashSecret, newToken, parseToken, verifySecret } from './tokens.js';
import { bearerToken } from '../../core/http/bearer.js';

export const AccountNameSchema = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(64, 'at most 64 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, 'letters, digits, spaces, ".", "_" and "-", starting with a letter or digit');

export const RegisterSchema = z.strictObject({ name: AccountNameSchema });

const TokenNameSchema = z
  .string()
  .trim()
  .min(1, 'at least 1 character')
  .max(64, 'at most 64 characters')
  .regex(/^[\p{L}\p{N} ._:@-]+$/u, 'letters, digits, spaces and . _ : @ - only');

export const CreateTokenSchema = z.strictObject({
  name: TokenNameSchema,
  scopes: z
    .array(z.enum(SCOPES))
    .min(1, 'name at least one scope')
    .refine((s) => new Set(s).size === s.length, 'lists a scope twice'),
  /** Absent: 90 days. */
  expiresInDays: z.int('must be a whole number of days').min(1, 'at least 1 day').max(3650, 'at most 3650 days').optional(),
});

export const RoleSchema = z.strictObject({ role: z.enum(ROLES) });

const DEFAULT_EXPIRY_DAYS = 90;
const TOUCH_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Tokens whose secret this process has checked: scrypt runs once per token and process. */
const VERIFIED_TOKENS = 10_000;
/** Checked against for a token whose lookup matches no row, so both answers take as long. */
const DECOY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface CreatedAccount extends AccountRecord {
  token: string;
}

export interface CreatedToken extends TokenRecord {
  token: string;
}

@Injectable()
export class AccountsService {
  private readonly verified = new Map<string, string>();
  /** When this process last recorded each token's use: the write happens at most once a minute. */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly accounts: AccountsRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Public self-registration: always a participant. */
  async register(body: unknown): Promise<CreatedAccount> {
    if (this.config.registration === 'closed') {
      throw AppError.forbidden('Registration is closed on this server; ask an administrator for an account');
    }
    const { name } = parseInput(RegisterSchema, body);
    return this.create(name, 'participant');
  }

  /** An account and its first token, which carries every scope of the role and does not expire. */
  async create(name: string, role: Role): Promise<CreatedAccount> {
    const { token, lookup, secret } = newToken();
    const created = await this.accounts.createWithToken(AccountNameSchema.parse(name), role, {
      name: 'first token',
      lookup,
      secretHash: await hashSecret(secret),
      scopes: [...ROLE_SCOPES[role]],
      expiresAt: null,
    });
    if (!created) throw AppError.conflict('name_taken', `The name "${name}" is taken; choose another`);
    return { ...created.account, token };
  }

  /** A new token with every scope of the account's role, for an operator (`sieve accounts token`). */
  async issueToken(name: string): Promise<CreatedAccount> {
    const account = await this.accounts.findByName(name);
    if (!account) throw AppError.notFound(`Account "${name}"`);
    const created = await this.mint(account.id, { name: 'issued by an operator', scopes: [...ROLE_SCOPES[account.role]], expiresAt: null });
    return { ...account, token: created.token };
  }

  /** A personal token: its scopes are within the calling token's (a token never mints a stronger one). */
  async createToken(principal: Principal, body: unknown): Promise<CreatedToken> {
    const { name, scopes, expiresInDays } = parseInput(CreateTokenSchema, body);
    const beyond = scopes.filter((s) => !principal.scopes.includes(s));
    if (beyond.length > 0) {
      throw AppError.unprocessable(
        'scope_not_allowed',
        `This token cannot create a token with ${beyond.map((s) => `"${s}"`).join(', ')}: a new token's scopes must be among the calling token's (${principal.scopes.join(', ')})`,
        beyond.map((s) => ({ field: 'scopes', message: `"${s}" is not a scope of the calling token` })),
      );
    }
    const expiresAt = new Date(Date.now() + (expiresInDays ?? DEFAULT_EXPIRY_DAYS) * DAY_MS);
    return this.mint(principal.id, { name, scopes, expiresAt });
  }

  private async mint(accountId: string, row: { name: string; scopes: Scope[]; expiresAt: Date | null }): Promise<CreatedToken> {
    const { token, lookup, secret } = newToken();
    const created = await this.accounts.insertToken(accountId, { ...row, lookup, secretHash: await hashSecret(secret) });
    return { ...created, token };
  }

  listTokens(principal: Principal): Promise<TokenRecord[]> {
    return this.accounts.listTokens(principal.id);
  }

  /** Revokes one of the caller's tokens (the calling one included); its scopes must be within the caller's. */
  async revokeToken(principal: Principal, id: string): Promise<TokenRecord> {
    const found = z.uuid().safeParse(id).success ? await this.accounts.findOwnToken(principal.id, id) : null;
    if (!found) throw AppError.notFound(`Token "${id}"`);
    if (found.scopes.some((s) => !principal.scopes.includes(s))) {
      throw AppError.forbidden(`Token "${id}" has scopes this token lacks (${found.scopes.join(', ')}); revoke it with a token that has them`);
    }
    if (!(await this.accounts.revokeToken(id))) throw AppError.conflict('already_revoked', `Token "${id}" was revoked on ${found.revokedAt?.toISOString()}`);
    return (await this.accounts.findOwnToken(principal.id, id))!;
  }

  async me(principal: Principal) {
    const tokens = await this.accounts.listTokens(principal.id);
    const current = tokens.find((t) => t.id === principal.tokenId)!;
    return {
      id: principal.id,
      name: principal.name,
      role: principal.role,
      createdAt: principal.createdAt,
      token: { id: current.id, name: current.name, scopes: current.scopes, expiresAt: current.expiresAt },
    };
  }

  async findById(id: string): Promise<AccountRecord | null> {
    return z.uuid().safeParse(id).success ? this.accounts.findById(id) : null;
  }

  async findByName(name: string): Promise<AccountRecord | null> {
    return this.accounts.findByName(name);
  }

  /** An admin changes an account's role; returns it before and after. */
  async setRole(id: string, body: unknown): Promise<{ before: AccountRecord; after: AccountRecord }> {
    const { role } = parseInput(RoleSchema, body);
    const before = await this.findById(id);
    if (!before) throw AppError.notFound(`Account "${id}"`);
    await this.accounts.setRole(id, role);
    return { before, after: { ...before, role } };
  }

  /** Whether this process has already checked this bearer token's secret (then no scrypt runs for it). */
  knows(authorization: string): boolean {
    const token = bearerToken(authorization);
    return token !== undefined && this.verified.has(fingerprint(token));
  }

  /**
   * The caller behind an Authorization header. Refused: no header, a malformed one, an
   * unknown token, a wrong secret, a revoked or an expired token; each says what to do.
   * A token's scopes are capped by its account's current role.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) {
      throw AppError.unauthorized('This endpoint needs a token: send "Authorization: Bearer <token>" (POST /api/v1/accounts gives you one)');
    }
    const token = bearerToken(authorization);
    if (token === undefined) throw AppError.unauthorized('The Authorization header must be "Bearer <token>"');
    const parts = parseToken(token);
    if (!parts) throw AppError.unauthorized('The token is not valid');
    const found = await this.accounts.findToken(parts.lookup);
    const key = fingerprint(token);
    const verified = found !== null && this.verified.get(key) === found.id;
    if (!verified) {
      const ok = await verifySecret(parts.secret, found?.secretHash ?? DECOY_HASH);
      if (!found || !ok) throw AppError.unauthorized('The token is not valid');
      keepBounded(this.verified, VERIFIED_TOKENS, key, found.id);
    }
    if (found.revokedAt) {
      throw new AppError(401, 'token_revoked', `This token ("${found.name}") was revoked on ${found.revokedAt.toISOString()}; use another token or create one`);
    }
    if (found.expiresAt && found.expiresAt.getTime() <= Date.now()) {
      throw new AppError(401, 'token_expired', `This token ("${found.name}") expired on ${found.expiresAt.toISOString()}; create a new one with POST /api/v1/tokens (or \`sieve tokens create\`)`);
    }
    if ((this.touched.get(found.id) ?? 0) < Date.now() - TOUCH_MS) {
      keepBounded(this.touched, VERIFIED_TOKENS, found.id, Date.now());
      await this.accounts.touchToken(found.id);
    }
    const allowed = ROLE_SCOPES[found.account.role];
    return { ...found.account, tokenId: found.id, scopes: found.scopes.filter((s) => allowed.includes(s)) };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import type { Role } from './account.entity.js';
import { type AccountRecord, AccountsRepository } from './accounts.repository.js';
import { hashToken, looksLikeToken, newToken } from './tokens.js';

export const AccountNameSchema = z
  .string()
  .trim()
  .min(2, 'at least 2 characters')
  .max(64, 'at most 64 characters')
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, 'letters, digits, spaces, ".", "_" and "-", starting with a letter or digit');

export const RegisterSchema = z.strictObject({ name: AccountNameSchema });

export interface CreatedAccount extends AccountRecord {
  token: string;
}

@Injectable()
export class AccountsService {
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

  async create(name: string, role: Role): Promise<CreatedAccount> {
    const token = newToken();
    const account = await this.accounts.createWithToken(AccountNameSchema.parse(name), role, hashToken(token));
    if (!account) throw AppError.conflict('name_taken', `The name "${name}" is taken; choose another`);
    return { ...account, token };
  }

  /** A new token for an existing account (the CLI's `accounts token`). */
  async issueToken(name: string): Promise<CreatedAccount> {
    const account = await this.accounts.findByName(name);
    if (!account) throw AppError.notFound(`Account "${name}"`);
    const token = newToken();
    await this.accounts.addToken(account.id, hashToken(token));
    return { ...account, token };
  }

  async authenticate(authorization: string | undefined): Promise<AccountRecord> {
    if (!authorization) {
      throw AppError.unauthorized('This endpoint needs a token: send "Authorization: Bearer <token>" (POST /api/v1/accounts gives you one)');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw AppError.unauthorized('The Authorization header must be "Bearer <token>"');
    const account = looksLikeToken(match[1]) ? await this.accounts.findByTokenHash(hashToken(match[1])) : null;
    if (!account) throw AppError.unauthorized('The token is not valid');
    return account;
  }
}

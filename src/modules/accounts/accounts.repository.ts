import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import type { Scope } from './access.js';
import { Account, type Role } from './account.entity.js';
import { ApiToken } from './api-token.entity.js';

export interface AccountRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
}

export interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A token row with what authentication needs: its account and its secret's hash. */
export interface TokenWithAccount extends TokenRecord {
  secretHash: string;
  account: AccountRecord;
}

export interface NewTokenRow {
  name: string;
  lookup: string;
  secretHash: string;
  scopes: Scope[];
  expiresAt: Date | null;
}

const account = (a: Account): AccountRecord => ({ id: a.id, name: a.name, role: a.role, createdAt: a.createdAt });
const token = (t: ApiToken): TokenRecord => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates the account and its first token in one transaction. Null when the name is taken. */
  async createWithToken(name: string, role: Role, first: NewTokenRow): Promise<{ account: AccountRecord; token: TokenRecord } | null> {
    return this.dataSource.transaction(async (em) => {
      const inserted = await em
        .createQueryBuilder()
        .insert()
        .into(Account)
        .values({ name, nameKey: name.toLowerCase(), role })
        .orIgnore()
        .returning(['id', 'name', 'role', 'createdAt'])
        .execute();
      const row = inserted.generatedMaps[0] as Partial<Account> | undefined;
      if (!row?.id) return null;
      const created = await this.insertToken(row.id, first, em);
      return { account: { id: row.id, name, role, createdAt: row.createdAt as Date }, token: created };
    });
  }

  async findByName(name: string): Promise<AccountRecord | null> {
    const a = await this.dataSource.getRepository(Account).findOneBy({ nameKey: name.toLowerCase() });
    return a ? account(a) : null;
  }

  async findById(id: string): Promise<AccountRecord | null> {
    const a = await this.dataSource.getRepository(Account).findOneBy({ id });
    return a ? account(a) : null;
  }

  async setRole(id: string, role: Role): Promise<void> {
    await this.dataSource.getRepository(Account).update({ id }, { role });
  }

  async insertToken(accountId: string, row: NewTokenRow, em: EntityManager = this.dataSource.manager): Promise<TokenRecord> {
    const saved = await em.getRepository(ApiToken).save(em.getRepository(ApiToken).create({ accountId, ...row }));
    return token(saved);
  }

  async findToken(lookup: string): Promise<TokenWithAccount | null> {
    const t = await this.dataSource.getRepository(ApiToken).findOne({ where: { lookup }, relations: { account: true } });
    return t?.account ? { ...token(t), secretHash: t.secretHash, account: account(t.account) } : null;
  }

  /** Records a token's use, at most once a minute (a write per request would be wasted). */
  async touchToken(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  async listTokens(accountId: string): Promise<TokenRecord[]> {
    const rows = await this.dataSource.getRepository(ApiToken).find({ where: { accountId }, order: { createdAt: 'DESC' } });
    return rows.map(token);
  }

  async findOwnToken(accountId: string, id: string): Promise<TokenRecord | null> {
    const t = await this.dataSource.getRepository(ApiToken).findOneBy({ accountId, id });
    return t ? token(t) : null;
  }

  /** Revokes a token that is not revoked yet; false when it already was. */
  async revokeToken(id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ApiToken).update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }
}

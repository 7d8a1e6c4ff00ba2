import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Account, type Role } from './account.entity.js';
import { ApiToken } from './api-token.entity.js';

export interface AccountRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
}

@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates the account and its first token in one transaction. Null when the name is taken. */
  async createWithToken(name: string, role: Role, tokenHash: string): Promise<AccountRecord | null> {
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
      await em.insert(ApiToken, { accountId: row.id, tokenHash });
      return { id: row.id, name, role, createdAt: row.createdAt as Date };
    });
  }

  async findByName(name: string): Promise<AccountRecord | null> {
    const a = await this.dataSource.getRepository(Account).findOneBy({ nameKey: name.toLowerCase() });
    return a ? { id: a.id, name: a.name, role: a.role, createdAt: a.createdAt } : null;
  }

  async addToken(accountId: string, tokenHash: string): Promise<void> {
    await this.dataSource.getRepository(ApiToken).insert({ accountId, tokenHash });
  }

  /** The account a token hash belongs to; records the token's last use (at most once a minute). */
  async findByTokenHash(tokenHash: string): Promise<AccountRecord | null> {
    const rows: { id: string; name: string; role: Role; created_at: Date; token_id: string }[] = await this.dataSource.query(
      `SELECT a.id, a.name, a.role, a.created_at, t.id AS token_id
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id
        WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return null;
    await this.dataSource.query(
      `UPDATE api_tokens SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [row.token_id],
    );
    return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at };
  }
}

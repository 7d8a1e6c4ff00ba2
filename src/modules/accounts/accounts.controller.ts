import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { Public, RequireScope, type Principal } from './access.js';
import { AccountsService } from './accounts.service.js';
import { CurrentAccount } from './auth.guard.js';

@Controller()
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
  ) {}

  /** Registers a participant. The token in the answer is shown this once. */
  @Post('accounts')
  @Public()
  @HttpCode(201)
  async register(@Body() body: unknown) {
    const a = await this.accounts.register(body);
    return { id: a.id, name: a.name, role: a.role, token: a.token };
  }

  /** Who the token belongs to, and the token's own scopes and expiry. */
  @Get('accounts/me')
  @RequireScope('read')
  me(@CurrentAccount() principal: Principal) {
    return this.accounts.me(principal);
  }

  /** `{"role": "participant" | "organizer" | "admin"}`: admins give or take an account's role. */
  @Put('accounts/:id/role')
  @RequireScope('admin')
  async setRole(@CurrentAccount() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { before, after } = await this.accounts.setRole(id, body);
    await this.audit.record(principal, { action: 'account.role', target: { type: 'account', id }, before: { role: before.role }, after: { role: after.role } });
    return after;
  }

  /** Your tokens (never their secrets), newest first. */
  @Get('tokens')
  @RequireScope('read')
  listTokens(@CurrentAccount() principal: Principal) {
    return this.accounts.listTokens(principal);
  }

  /** `{name, scopes, expiresInDays?}`: a new token, shown this once. Its scopes must be among the calling token's. */
  @Post('tokens')
  @RequireScope('read')
  @HttpCode(201)
  createToken(@CurrentAccount() principal: Principal, @Body() body: unknown) {
    return this.accounts.createToken(principal, body);
  }

  @Delete('tokens/:id')
  @RequireScope('read')
  revokeToken(@CurrentAccount() principal: Principal, @Param('id') id: string) {
    return this.accounts.revokeToken(principal, id);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { AuditService } from '../audit/audit.service.js';
import { Public, RequireScope, type Principal } from './access.js';
import { AccountsService, CreateTokenSchema, RegisterSchema, RoleSchema } from './accounts.service.js';
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
  @ApiDoc({
    summary: 'Register a participant',
    description: 'Creates a participant account and its first token (scopes `read` and `submit`, no expiry). The token is in this answer only. Off when the server runs with `REGISTRATION=closed`.',
    body: RegisterSchema,
    responses: { 201: 'The account and its token: `{id, name, role, token}`', 403: 'Registration is closed', 409: 'The name is taken' },
    response: {
      type: 'object',
      required: ['id', 'name', 'role', 'token'],
      properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, role: { type: 'string', enum: ['participant'] }, token: { type: 'string', description: 'Shown this once' } },
    },
  })
  async register(@Body() body: unknown) {
    const a = await this.accounts.register(body);
    return { id: a.id, name: a.name, role: a.role, token: a.token };
  }

  /** Who the token belongs to, and the token's own scopes and expiry. */
  @Get('accounts/me')
  @RequireScope('read')
  @ApiDoc({
    summary: 'Your account and the token you called with',
    responses: { 200: '`{id, name, role, createdAt, token: {id, name, scopes, expiresAt}}`' },
  })
  me(@CurrentAccount() principal: Principal) {
    return this.accounts.me(principal);
  }

  /** `{"role": "participant" | "organizer" | "admin"}`: admins give or take an account's role. */
  @Put('accounts/:id/role')
  @RequireScope('admin')
  @ApiDoc({
    summary: "Change an account's role (admins)",
    description: 'Makes an account a `participant`, an `organizer` (may create challenges) or an `admin`. Audited.',
    params: { id: "The account's id" },
    body: RoleSchema,
    responses: { 200: 'The account with its new role', 404: 'No such account' },
  })
  async setRole(@CurrentAccount() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { before, after } = await this.accounts.setRole(id, body);
    await this.audit.record(principal, { action: 'account.role', target: { type: 'account', id }, before: { role: before.role }, after: { role: after.role } });
    return after;
  }

  /** Your tokens (never their secrets), newest first. */
  @Get('tokens')
  @RequireScope('read')
  @ApiDoc({
    summary: 'Your tokens',
    description: 'Newest first, never their secrets.',
    responses: { 200: '`[{id, name, scopes, createdAt, expiresAt, lastUsedAt, revokedAt}]`' },
  })
  listTokens(@CurrentAccount() principal: Principal) {
    return this.accounts.listTokens(principal);
  }

  /** `{name, scopes, expiresInDays?}`: a new token, shown this once. Its scopes must be among the calling token's. */
  @Post('tokens')
  @RequireScope('read')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Create a token',
    description: 'Its scopes must be among the calling token\'s (each listed once); it expires in 90 days unless `expiresInDays` says otherwise (at most 3650). The secret is in this answer only.',
    body: CreateTokenSchema,
    responses: { 201: 'The token, with its secret', 422: 'A scope the calling token does not have (`scope_not_allowed`)' },
  })
  createToken(@CurrentAccount() principal: Principal, @Body() body: unknown) {
    return this.accounts.createToken(principal, body);
  }

  @Delete('tokens/:id')
  @RequireScope('read')
  @ApiDoc({
    summary: 'Revoke one of your tokens',
    description: 'Takes effect on the next request (401 `token_revoked` from then on).',
    params: { id: "The token's id" },
    responses: { 200: 'The revoked token', 403: 'The token to revoke has scopes the calling token lacks', 404: 'No such token of yours', 409: 'Already revoked (`already_revoked`)' },
  })
  revokeToken(@CurrentAccount() principal: Principal, @Param('id') id: string) {
    return this.accounts.revokeToken(principal, id);
  }
}

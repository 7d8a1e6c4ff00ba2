import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { AccountsController } from './accounts.controller.js';
import { AccountsRepository } from './accounts.repository.js';
import { AccountsService } from './accounts.service.js';
import { AuthGuard } from './auth.guard.js';
import { TokenChecks } from './token-checks.js';

@Module({
  imports: [AuditModule],
  controllers: [AccountsController],
  providers: [AccountsRepository, AccountsService, TokenChecks, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AccountsService, TokenChecks],
})
export class AccountsModule {}

import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller.js';
import { AccountsRepository } from './accounts.repository.js';
import { AccountsService } from './accounts.service.js';
import { AuthGuard } from './auth.guard.js';

@Module({
  controllers: [AccountsController],
  providers: [AccountsRepository, AccountsService, AuthGuard],
  exports: [AccountsService, AuthGuard],
})
export class AccountsModule {}

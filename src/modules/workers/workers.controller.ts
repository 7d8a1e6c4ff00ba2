import { Controller, Get, UseGuards } from '@nestjs/common';
import { AppError } from '../../core/errors/app-error.js';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { AuthGuard, CurrentAccount } from '../accounts/auth.guard.js';
import { WorkersService } from './workers.service.js';

@Controller('workers')
@UseGuards(AuthGuard)
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  /** The live workers, their queues and devices: for admins only. */
  @Get()
  list(@CurrentAccount() account: AccountRecord) {
    if (account.role !== 'admin') throw AppError.forbidden('Only admins can list the workers');
    return this.workers.list();
  }
}

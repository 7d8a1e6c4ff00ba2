import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../accounts/access.js';
import { WorkersService } from './workers.service.js';

@Controller('workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  /** The live workers, their queues and devices: for admins only. */
  @Get()
  @RequireScope('admin')
  list() {
    return this.workers.list();
  }
}

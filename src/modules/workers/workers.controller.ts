import { Controller, Get } from '@nestjs/common';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope } from '../accounts/access.js';
import { WorkersService } from './workers.service.js';

@Controller('workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  /** The live workers, their queues and devices: for admins only. */
  @Get()
  @RequireScope('admin')
  @ApiDoc({
    summary: 'The live workers (admins)',
    description: 'Their queues, pid, device (CPU, memory, GPUs), activity of the PyTorch runtime, started and last seen.',
    responses: { 200: 'The workers' },
  })
  list() {
    return this.workers.list();
  }
}

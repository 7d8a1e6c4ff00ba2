import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Config } from '../../core/config/config.js';
import type { QueueName } from '../../core/queue/jobs.js';
import { WorkersRepository } from './workers.repository.js';

/** What a queue's submissions wait for, said to participants when no worker serves it. */
const WAITING: Record<QueueName, string> = {
  'evaluate-cpu': 'waiting for a CPU worker',
  'evaluate-gpu': 'waiting for a GPU worker',
};

/** Which workers are alive (seen within WORKER_STALE_MS) and which queues they serve. */
@Injectable()
export class WorkersService {
  constructor(
    private readonly workers: WorkersRepository,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Live workers, for admins. */
  async list() {
    const rows = await this.workers.seenSince(this.staleBefore());
    return rows.map((w) => ({ id: w.id, queues: w.queues, device: w.device, activity: w.activity, pid: w.pid, startedAt: w.startedAt, lastSeenAt: w.lastSeenAt }));
  }

  /** Null when a live worker serves `queue`; otherwise what its submissions are waiting for. */
  async waitingFor(queue: QueueName): Promise<string | null> {
    return (await this.waiting())(queue);
  }

  /** waitingFor for any number of queues, from one look at the live workers. */
  async waiting(): Promise<(queue: QueueName) => string | null> {
    const served = new Set((await this.workers.seenSince(this.staleBefore())).flatMap((w) => w.queues));
    return (queue) => (served.has(queue) ? null : WAITING[queue]);
  }

  private staleBefore(): Date {
    return new Date(Date.now() - this.config.worker.staleMs);
  }
}

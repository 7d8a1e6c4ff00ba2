import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { detectDevice } from '../../src/modules/workers/device.js';
import type { DeviceInfo } from '../../src/modules/workers/worker-heartbeat.entity.js';
import { WorkersRepository } from '../../src/modules/workers/workers.repository.js';
import { ModelTrainer } from '../trainers/model-trainer.js';

/**
 * Tells the database this worker is alive, what it serves and what it runs on: at start,
 * every WORKER_HEARTBEAT_MS, and gone at stop. The API uses it to say "waiting for a GPU
 * worker" instead of looking stuck, and admins see the workers' devices and what they
 * have done (the PyTorch runtime's batched runs).
 */
@Injectable()
export class Heartbeat {
  readonly id = randomUUID();
  private readonly startedAt = new Date();
  private device?: DeviceInfo;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly workers: WorkersRepository,
    private readonly trainer: ModelTrainer,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.device = await detectDevice();
    await this.beat();
    this.logger.info({ workerId: this.id, queues: this.config.worker.queues, gpus: this.device.gpus.map((g) => g.name) }, 'worker registered');
    this.timer = setInterval(() => void this.beat().catch((err: unknown) => this.logger.warn({ err }, 'heartbeat failed; will retry')), this.config.worker.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.workers.remove(this.id).catch((err: unknown) => this.logger.warn({ err }, 'could not remove the heartbeat'));
  }

  private async beat(): Promise<void> {
    await this.workers.beat({
      id: this.id,
      queues: this.config.worker.queues,
      device: this.device!,
      activity: { torchBatches: this.trainer.batchStats },
      pid: process.pid,
      startedAt: this.startedAt,
    });
    await this.workers.prune(new Date(Date.now() - 10 * this.config.worker.staleMs));
  }
}

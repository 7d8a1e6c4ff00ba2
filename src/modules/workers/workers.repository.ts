import { Injectable } from '@nestjs/common';
import { DataSource, MoreThan, type Repository } from 'typeorm';
import { type DeviceInfo, type WorkerActivity, WorkerHeartbeat } from './worker-heartbeat.entity.js';

@Injectable()
export class WorkersRepository {
  private readonly repo: Repository<WorkerHeartbeat>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(WorkerHeartbeat);
  }

  async beat(worker: { id: string; queues: string[]; device: DeviceInfo; activity: WorkerActivity; pid: number; startedAt: Date }): Promise<void> {
    await this.repo.upsert({ ...worker, lastSeenAt: new Date() }, ['id']);
  }

  async remove(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  /** Every worker seen since `since`, most recently started first. */
  async seenSince(since: Date): Promise<WorkerHeartbeat[]> {
    return this.repo.find({ where: { lastSeenAt: MoreThan(since) }, order: { startedAt: 'DESC' } });
  }

  /** Drops workers not seen since `before` (crashed without saying goodbye). */
  async prune(before: Date): Promise<void> {
    await this.repo.createQueryBuilder().delete().where('last_seen_at < :before', { before }).execute();
  }
}

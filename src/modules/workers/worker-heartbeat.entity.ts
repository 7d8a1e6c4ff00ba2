import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a worker runs on, as it reports it. */
export interface DeviceInfo {
  hostname: string;
  platform: string;
  cpu: { model: string; cores: number };
  memoryBytes: number;
  /** The GPUs nvidia-smi lists (none on a CPU host). */
  gpus: { name: string; memoryBytes: number }[];
}

/** What a worker has done since it started, as it reports it. */
export interface WorkerActivity {
  /** The PyTorch runtime's batched runs: requests, trainings, the largest run, out-of-memory splits. */
  torchBatches?: { runs: number; trainings: number; largest: number; largestCallers: number; outOfMemorySplits: number };
}

/** A running worker process: written at start and every heartbeat, removed when it stops. */
@Entity({ name: 'worker_heartbeats' })
export class WorkerHeartbeat {
  /** Chosen by the worker at start. */
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'jsonb' })
  queues!: string[];

  @Column({ type: 'jsonb' })
  device!: DeviceInfo;

  @Column({ type: 'jsonb', default: {} })
  activity!: WorkerActivity;

  @Column({ type: 'integer' })
  pid!: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;
}

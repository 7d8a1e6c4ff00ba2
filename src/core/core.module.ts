import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { CONFIG, type Config } from './config/config.js';
import { dataSourceOptions } from './database/data-source.js';
import { LOGGER } from './logger/logger.js';
import { createQueueBackend, QUEUE_BACKEND, type QueueBackend } from './queue/queue-backend.js';
import { createStorage } from './storage/create-storage.js';
import { STORAGE, type StoragePort } from './storage/storage.port.js';

export interface CoreOptions {
  config: Config;
  databaseUrl: string;
  logger: Logger;
}

@Injectable()
class ConnectionsCloser implements OnApplicationShutdown {
  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(STORAGE) private readonly storage: StoragePort,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
    await this.storage.close();
  }
}

/** Configuration, logger, database, storage and queue backend: shared by the API and the worker. */
@Global()
@Module({})
export class CoreModule {
  static forRoot({ config, databaseUrl, logger }: CoreOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [TypeOrmModule.forRoot(dataSourceOptions(databaseUrl))],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: STORAGE, useFactory: () => createStorage(config.storage) },
        { provide: QUEUE_BACKEND, useFactory: () => createQueueBackend(config, databaseUrl, (err) => logger.warn({ err }, 'queue backend unreachable; retrying')) },
        ConnectionsCloser,
      ],
      exports: [CONFIG, LOGGER, STORAGE, QUEUE_BACKEND],
    };
  }
}

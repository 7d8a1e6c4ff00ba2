import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import type { Config } from '../src/core/config/config.js';
import { NestPinoLogger } from '../src/core/logger/logger.js';
import { EvaluationWorkers } from './evaluation/evaluation-workers.js';
import { Heartbeat } from './evaluation/heartbeat.js';
import { Reconciler } from './evaluation/reconciler.js';
import { WebhookDeliverer } from './evaluation/webhook-deliverer.js';
import { WorkerModule } from './worker.module.js';

export interface RunningWorker {
  stop(): Promise<void>;
}

/** Starts the heartbeat, the queue workers and the reconciler held by `app` (which imports EvaluationModule). */
export async function runEvaluation(app: INestApplicationContext): Promise<RunningWorker> {
  const heartbeat = app.get(Heartbeat);
  const workers = app.get(EvaluationWorkers);
  const reconciler = app.get(Reconciler);
  const webhooks = app.get(WebhookDeliverer);
  await heartbeat.start();
  workers.start();
  reconciler.start();
  webhooks.start();
  return {
    async stop() {
      await webhooks.stop();
      await reconciler.stop();
      await workers.stop();
      await heartbeat.stop();
    },
  };
}

/** A worker process's own app context: no HTTP listener. */
export async function startWorker(config: Config, databaseUrl: string, logger: Logger): Promise<RunningWorker> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, databaseUrl, logger }), {
    logger: new NestPinoLogger(logger),
  });
  const running = await runEvaluation(app);
  return {
    async stop() {
      await running.stop();
      await app.close();
    },
  };
}

import { type DynamicModule, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG, type Config } from '../src/core/config/config.js';
import { type CoreOptions, CoreModule } from '../src/core/core.module.js';
import { ChallengesModule } from '../src/modules/challenges/challenges.module.js';
import { RescoringModule } from '../src/modules/rescoring/rescoring.module.js';
import { SubmissionsModule } from '../src/modules/submissions/submissions.module.js';
import { WebhooksModule } from '../src/modules/webhooks/webhooks.module.js';
import { WorkersModule } from '../src/modules/workers/workers.module.js';
import { EvaluateSubmissionProcessor } from './evaluation/evaluate-submission.processor.js';
import { EvaluationWorkers } from './evaluation/evaluation-workers.js';
import { FileScorer } from './evaluation/file-scorer.js';
import { RescoreSubmissionProcessor } from './evaluation/rescore-submission.processor.js';
import { Heartbeat } from './evaluation/heartbeat.js';
import { Leases } from './evaluation/leases.js';
import { Reconciler } from './evaluation/reconciler.js';
import { WebhookDeliverer } from './evaluation/webhook-deliverer.js';
import { ModelTrainer } from './trainers/model-trainer.js';
import { TorchRuntime } from './trainers/torch/torch-runtime.js';
import { TrainingPool } from './trainers/training-pool.js';

@Injectable()
class ModelTrainerCloser implements OnApplicationShutdown {
  constructor(private readonly trainer: ModelTrainer) {}
  async onApplicationShutdown(): Promise<void> {
    await this.trainer.close();
  }
}

/** The evaluation side: queue workers, the processor, the reconciler and the training threads. */
@Module({
  imports: [ChallengesModule, SubmissionsModule, RescoringModule, WorkersModule, WebhooksModule],
  providers: [
    {
      provide: ModelTrainer,
      inject: [CONFIG],
      useFactory: (config: Config) => new ModelTrainer(new TrainingPool({ threads: config.worker.concurrency }), new TorchRuntime(), {
          batchWindowMs: config.worker.batchWindowMs,
        }),
    },
    ModelTrainerCloser,
    FileScorer,
    EvaluateSubmissionProcessor,
    RescoreSubmissionProcessor,
    EvaluationWorkers,
    Reconciler,
    WebhookDeliverer,
    Heartbeat,
    Leases,
  ],
  exports: [EvaluationWorkers, Reconciler, Heartbeat],
})
export class EvaluationModule {}

@Module({})
export class WorkerModule {
  static forRoot(core: CoreOptions): DynamicModule {
    return { module: WorkerModule, imports: [CoreModule.forRoot(core), EvaluationModule] };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { type CoreOptions, CoreModule } from '../src/core/core.module.js';
import { ChallengesModule } from '../src/modules/challenges/challenges.module.js';
import { SubmissionsModule } from '../src/modules/submissions/submissions.module.js';
import { EvaluateSubmissionProcessor } from './evaluation/evaluate-submission.processor.js';
import { EvaluationWorkers } from './evaluation/evaluation-workers.js';
import { Reconciler } from './evaluation/reconciler.js';
import { TrainingPool } from './trainers/training-pool.js';

@Module({})
export class WorkerModule {
  static forRoot(core: CoreOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(core), ChallengesModule, SubmissionsModule],
      providers: [
        { provide: TrainingPool, useFactory: () => new TrainingPool({ threads: core.config.worker.concurrency }) },
        EvaluateSubmissionProcessor,
        EvaluationWorkers,
        Reconciler,
      ],
    };
  }
}

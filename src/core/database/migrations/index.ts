import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764172800000 } from './1764172800000-initial-schema.js';
import { ScoreDetails1795713284737 } from './1795713284737-score-details.js';
import { SubmissionQueueAndWorkers1795720456550 } from './1795720456550-submission-queue-and-workers.js';
import { WorkerActivity1795725741274 } from './1795725741274-worker-activity.js';
import { SubmissionPhase1795726542879 } from './1795726542879-submission-phase.js';
import { FinalSubmissions1795727831737 } from './1795727831737-final-submissions.js';
import { ScorePredictions1795728013358 } from './1795728013358-score-predictions.js';
import { Rescores1795728696326 } from './1795728696326-rescores.js';
import { RescoreReason1795729453660 } from './1795729453660-rescore-reason.js';
import { ResampledScores1795730852667 } from './1795730852667-resampled-scores.js';
import { AccessControl1795736257820 } from './1795736257820-access-control.js';
import { Webhooks1795742498467 } from './1795742498467-webhooks.js';
import { IdempotencyKeys1795749783398 } from './1795749783398-idempotency-keys.js';
import { EvaluationLeases1795758439029 } from './1795758439029-evaluation-leases.js';
import { LeaderboardIndexesAndGenerations1795758642950 } from './1795758642950-leaderboard-indexes-and-generations.js';
import { RescoreLeases1795761508464 } from './1795761508464-rescore-leases.js';

/** Every migration, oldest first. `sieve migrations generate <Name>` writes new ones. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialSchema1764172800000,
  ScoreDetails1795713284737,
  SubmissionQueueAndWorkers1795720456550,
  WorkerActivity1795725741274,
  SubmissionPhase1795726542879,
  FinalSubmissions1795727831737,
  ScorePredictions1795728013358,
  Rescores1795728696326,
  RescoreReason1795729453660,
  ResampledScores1795730852667,
  AccessControl1795736257820,
  Webhooks1795742498467,
  IdempotencyKeys1795749783398,
  EvaluationLeases1795758439029,
  LeaderboardIndexesAndGenerations1795758642950,
  RescoreLeases1795761508464,
];

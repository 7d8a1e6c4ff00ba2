/**
 * Worker-thread entry of TrainingPool (run by piscina from the compiled
 * dist/workers/trainers/training.thread.js): trains off the main event loop.
 */
import { train, type TrainRequest, type TrainResult } from './trainer.js';

export default function runTraining(req: TrainRequest): TrainResult {
  return train(req);
}

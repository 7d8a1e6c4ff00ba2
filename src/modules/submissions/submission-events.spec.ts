import { progressOf, SubmissionEvent } from './submission-events.js';

describe('progressOf', () => {
  it('goes up through validating, every training run and evaluating, never past 90 before the end', () => {
    const percents = [progressOf('validating'), ...[1, 2, 3, 4, 5].map((i) => progressOf('training', i, 5, i - 1)), progressOf('evaluating')].map((p) => p.percent);
    expect(percents).toEqual([0, 5, 22, 39, 56, 73, 90]);
  });

  it('names the run and the seed while training', () => {
    expect(progressOf('training', 2, 3, 7)).toEqual({ stage: 'training', step: 2, steps: 3, seed: 7, percent: 33 });
  });

  it('keeps a step within its runs', () => {
    expect(progressOf('training', 9, 2).step).toBe(2);
    expect(progressOf('training', 0, 2).step).toBe(1);
  });
});

describe('SubmissionEvent', () => {
  it('accepts a status change and a progress report, and nothing with a score in it', () => {
    const id = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    expect(SubmissionEvent.safeParse({ type: 'status', submissionId: id, status: 'running' }).success).toBe(true);
    expect(SubmissionEvent.safeParse({ type: 'progress', submissionId: id, ...progressOf('training', 1, 5, 0) }).success).toBe(true);
    expect(SubmissionEvent.safeParse({ type: 'status', submissionId: id, status: 'scored', score: 0.9 }).success).toBe(false);
  });
});

import { canTransition, isTerminal, NON_TERMINAL_STATUSES, sourcesOf, type SubmissionStatus } from './submission-status.js';

describe('submission status transitions', () => {
  it.each<[SubmissionStatus, SubmissionStatus, boolean]>([
    ['queued', 'running', true],
    ['queued', 'failed', true],
    ['queued', 'scored', false],
    ['running', 'scored', true],
    ['running', 'failed', true],
    ['running', 'queued', true],
    ['scored', 'running', false],
    ['scored', 'failed', false],
    ['failed', 'queued', false],
    ['failed', 'scored', false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it.each<[SubmissionStatus, SubmissionStatus[]]>([
    ['running', ['queued', 'running']],
    ['queued', ['running']],
    ['scored', ['running']],
    ['failed', ['queued', 'running']],
  ])('moves to %s only from %j', (to, from) => {
    expect(sourcesOf(to)).toEqual(from);
  });

  it('knows which statuses are terminal', () => {
    expect(isTerminal('scored')).toBe(true);
    expect(isTerminal('failed')).toBe(true);
    expect(NON_TERMINAL_STATUSES).toEqual(['queued', 'running']);
  });
});

import { type Direction, rankLeaderboard, type ScoredEntry } from './ranking.js';

const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const e = (participant: string, score: number, minute: number, id = `${participant}-${minute}`): ScoredEntry => ({
  participant,
  participantId: participant,
  score,
  metrics: {},
  submissionId: id,
  submittedAt: t(minute),
});

describe('rankLeaderboard', () => {
  it.each<[string, ScoredEntry[], Direction, [string, number, string][]]>([
    ['ranks best first when higher is better', [e('a', 0.5, 1), e('b', 0.9, 2), e('c', 0.7, 3)], 'maximize', [['b', 1, 'b-2'], ['c', 2, 'c-3'], ['a', 3, 'a-1']]],
    ['ranks best first when lower is better', [e('a', 0.5, 1), e('b', 0.9, 2)], 'minimize', [['a', 1, 'a-1'], ['b', 2, 'b-2']]],
    ['keeps only the best submission of each participant', [e('a', 0.5, 1), e('a', 0.8, 2), e('a', 0.6, 3), e('b', 0.7, 4)], 'maximize', [['a', 1, 'a-2'], ['b', 2, 'b-4']]],
    ['gives a tie to the earlier submission', [e('late', 0.8, 9), e('early', 0.8, 3)], 'maximize', [['early', 1, 'early-3'], ['late', 2, 'late-9']]],
    ['keeps a participant’s earlier submission among equal scores', [e('a', 0.8, 5), e('a', 0.8, 2)], 'maximize', [['a', 1, 'a-2']]],
    ['ignores non-finite scores', [e('a', Number.NaN, 1), e('b', 0.1, 2)], 'maximize', [['b', 1, 'b-2']]],
    ['is empty without entries', [], 'maximize', []],
  ])('%s', (_name, entries, direction, expected) => {
    const ranked = rankLeaderboard(entries, direction);
    expect(ranked.map((r) => [r.participant, r.rank, r.submissionId])).toEqual(expected);
  });
});

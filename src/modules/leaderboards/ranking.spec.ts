import { type Direction, finalCandidates, rankLeaderboard, type ScoredEntry } from './ranking.js';

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

describe('finalCandidates', () => {
  type Row = { participantId: string; final: boolean; submittedAt: Date; submissionId: string; pub: number };
  const r = (participantId: string, id: string, pub: number, minute: number, final = false): Row => ({ participantId, submissionId: id, pub, submittedAt: t(minute), final });
  it.each<[string, Row[], number, Direction, string[]]>([
    ['takes the picks of a participant who picked', [r('a', 'a1', 0.9, 1), r('a', 'a2', 0.5, 2, true)], 2, 'maximize', ['a2']],
    ['takes the best public ones of a participant who did not', [r('a', 'a1', 0.5, 1), r('a', 'a2', 0.9, 2), r('a', 'a3', 0.7, 3)], 2, 'maximize', ['a2', 'a3']],
    ['takes the lowest when lower is better', [r('a', 'a1', 0.5, 1), r('a', 'a2', 0.9, 2), r('a', 'a3', 0.7, 3)], 1, 'minimize', ['a1']],
    ['breaks a public tie by the earlier submission', [r('a', 'late', 0.8, 9), r('a', 'early', 0.8, 3)], 1, 'maximize', ['early']],
    ['skips a score that is not a number', [r('a', 'a1', Number.NaN, 1), r('a', 'a2', 0.1, 2)], 2, 'maximize', ['a2']],
    ['chooses for each participant on their own', [r('a', 'a1', 0.9, 1), r('b', 'b1', 0.2, 2), r('b', 'b2', 0.3, 3, true)], 1, 'maximize', ['a1', 'b2']],
  ])('%s', (_name, rows, count, direction, expected) => {
    expect(finalCandidates(rows, (row) => row.pub, direction, count).map((row) => row.submissionId).sort()).toEqual([...expected].sort());
  });
});

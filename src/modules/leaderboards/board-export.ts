import type { LeaderboardsService } from './leaderboards.service.js';

type Board = Awaited<ReturnType<LeaderboardsService['get']>>;

export const BOARD_COLUMNS = ['rank', 'tieGroup', 'rankLow', 'rankHigh', 'participant', 'team', 'score', 'ciLow', 'ciHigh', 'spread', 'submissionId', 'submittedAt'] as const;

export type BoardRow = Record<(typeof BOARD_COLUMNS)[number], unknown>;

/** A board's entries as flat rows, for a CSV export (a round's or a task's scores stay in the JSON). */
export function boardRows(board: Board): BoardRow[] {
  return board.entries.map((e) => ({
    rank: e.rank,
    tieGroup: e.tieGroup,
    rankLow: e.rankRange?.[0] ?? null,
    rankHigh: e.rankRange?.[1] ?? null,
    participant: e.participant,
    team: e.team,
    score: e.score,
    ciLow: e.ci?.low ?? null,
    ciHigh: e.ci?.high ?? null,
    spread: e.spread,
    submissionId: e.submissionId,
    submittedAt: e.submittedAt,
  }));
}

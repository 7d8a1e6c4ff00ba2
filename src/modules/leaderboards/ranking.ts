export type Direction = 'maximize' | 'minimize';

export interface ScoredEntry {
  /** The competitor's name: a team's, or a participant's competing alone. */
  participant: string;
  /** The competitor's id: a team id, or an account id. */
  participantId: string;
  /** Whether the competitor is a team. */
  team?: boolean;
  score: number;
  /** Every metric of the score (for the spread over seeds and per-task scores). */
  metrics: Record<string, number>;
  submissionId: string;
  submittedAt: Date;
}

export interface RankedEntry extends ScoredEntry {
  rank: number;
}

/**
 * Each participant's best scored submission, best first. Equal scores go to the earlier
 * submission; ranks are 1, 2, 3, ... with no shared places.
 */
export function rankLeaderboard(entries: readonly ScoredEntry[], direction: Direction): RankedEntry[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const better = (a: ScoredEntry, b: ScoredEntry): number =>
    sign * (a.score - b.score) ||
    a.submittedAt.getTime() - b.submittedAt.getTime() ||
    (a.submissionId < b.submissionId ? -1 : a.submissionId > b.submissionId ? 1 : 0);
  const best = new Map<string, ScoredEntry>();
  for (const e of entries) {
    if (!Number.isFinite(e.score)) continue;
    const current = best.get(e.participantId);
    if (!current || better(e, current) < 0) best.set(e.participantId, e);
  }
  return [...best.values()].sort(better).map((e, i) => ({ ...e, rank: i + 1 }));
}

/**
 * The submissions that compete in a private ranking, per participant: the ones they
 * picked as final, or, when they picked none, their `count` best by public score (equal
 * scores: the earlier first).
 */
export function finalCandidates<T extends { participantId: string; final: boolean; submittedAt: Date; submissionId: string }>(
  rows: readonly T[],
  publicScore: (row: T) => number,
  direction: Direction,
  count: number,
): T[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const byParticipant = new Map<string, T[]>();
  for (const row of rows) {
    const list = byParticipant.get(row.participantId) ?? [];
    list.push(row);
    byParticipant.set(row.participantId, list);
  }
  const chosen: T[] = [];
  for (const list of byParticipant.values()) {
    const picked = list.filter((r) => r.final);
    if (picked.length > 0) {
      chosen.push(...picked);
      continue;
    }
    const ranked = list
      .filter((r) => Number.isFinite(publicScore(r)))
      .sort((a, b) => sign * (publicScore(a) - publicScore(b)) || a.submittedAt.getTime() - b.submittedAt.getTime() || (a.submissionId < b.submissionId ? -1 : 1));
    chosen.push(...ranked.slice(0, count));
  }
  return chosen;
}

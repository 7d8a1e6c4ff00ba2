import { Injectable } from '@nestjs/common';
import { keepBounded } from '../../core/cache/bounded.js';
import { DataSource } from 'typeorm';
import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { ChallengeDataService } from '../challenges/challenge-data.service.js';
import type { ChallengeVersion } from '../challenges/challenge-version.entity.js';
import { leaderboardOf, rankingMetric, uncertaintyOf } from '../challenges/spec-parts.js';
import { decodePredictions, decodeResampled, ScorePredictions } from '../submissions/score-predictions.entity.js';
import type { Direction } from './ranking.js';
import { compareResampled, type LadderState, ladderStep, resampledScore, standardError, stratifiedSplit, take, type TieGroup, tieGroups } from './statistics.js';

/** Which examples a board ranks on: the whole test set, or one part of its split. */
export type BoardPart = 'all' | 'public' | 'private';

/** Entries past this rank get no tie group. */
export const TIE_GROUP_LIMIT = 50;

/** Resampled score vectors kept in memory (1,000 resamples: 8 kB each). */
const CACHED_SCORES = 5000;

/** Board states whose tie groups are kept. */
const CACHED_BOARDS = 500;

interface StoredRow {
  submission_id: string;
  seeds: number;
  examples: number;
  width: number;
  data: Buffer;
  resampled_all: Buffer | null;
  resampled_public: Buffer | null;
  resampled_private: Buffer | null;
  resample_seed: number | null;
  resample_count: number | null;
}

interface PartData {
  truth: Int32Array;
  indices: Int32Array | null;
  metric: (yTrue: Int32Array, yPred: Int32Array) => number;
}

/**
 * The board's statistics that need each score's predictions on the hidden test set (kept
 * in score_predictions, never served): tie groups by paired bootstrap, and the Ladder.
 * Each score's resampled values are computed once and kept, so a board read costs one
 * pass per new score plus O(resamples) per comparison.
 */
@Injectable()
export class BoardStatistics {
  /** Resampled scores by version, part and submission (oldest out first). */
  private readonly cache = new Map<string, Float64Array>();
  /** Tie groups by board state: version, part and the ranked entries (oldest out first). */
  private readonly groups = new Map<string, TieGroup[]>();
  /** The Ladder's releases by board state: version, part and the submissions (oldest out first). */
  private readonly ladders = new Map<string, Map<string, { released: number; submissionId: string }>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly data: ChallengeDataService,
  ) {}

  /** Whether the version's scores have predictions to compare (classification metrics over test examples). */
  static applies(spec: ChallengeSpec): boolean {
    return spec.protocol !== 'cleaning' && spec.protocol !== 'multitask';
  }

  /**
   * Tie groups of a ranking, best first: an entry joins its group's leader unless the
   * leader is significantly better on a paired bootstrap over the part's examples. Null
   * where an entry has no stored predictions or is past TIE_GROUP_LIMIT.
   */
  async tieGroups(version: ChallengeVersion, part: BoardPart, ranked: readonly { submissionId: string }[]): Promise<(TieGroup | null)[]> {
    const spec = version.spec;
    if (!BoardStatistics.applies(spec) || ranked.length === 0) return ranked.map(() => null);
    const top = ranked.slice(0, TIE_GROUP_LIMIT);
    const { seed, resamples, level } = uncertaintyOf(spec);
    const key = `${version.id}:${part}:${seed}:${resamples}:${level}:${top.map((e) => e.submissionId).join(',')}`;
    let groups = this.groups.get(key);
    if (!groups) {
      const vectors = await this.resampledScores(version, part, top.map((e) => e.submissionId));
      if (top.some((e) => !vectors.has(e.submissionId))) return ranked.map(() => null);
      groups = tieGroups(top, (leader, entry) => compareResampled(vectors.get(leader.submissionId)!, vectors.get(entry.submissionId)!, level).significant);
      keepBounded(this.groups, CACHED_BOARDS, key, groups);
    }
    return ranked.map((_, i) => groups[i] ?? null);
  }

  /**
   * Each submission's score on every bootstrap resample of the part's examples (the
   * challenge's uncertainty draws, the same for every submission): as the worker stored it
   * with the score, or, for a score stored without it or under other draws, computed from
   * its predictions. Kept in memory: a board's comparisons then cost O(resamples) each.
   */
  private async resampledScores(version: ChallengeVersion, part: BoardPart, submissionIds: string[]): Promise<Map<string, Float64Array>> {
    const out = new Map<string, Float64Array>();
    const missing: string[] = [];
    for (const id of submissionIds) {
      const cached = this.cache.get(vectorKey(version, part, id));
      if (cached) out.set(id, cached);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const settings = uncertaintyOf(version.spec);
    const rows = await this.stored(version, missing);
    let d: PartData | undefined;
    for (const row of rows) {
      const column = { all: row.resampled_all, public: row.resampled_public, private: row.resampled_private }[part];
      let vector: Float64Array;
      if (column && row.resample_seed === settings.seed && row.resample_count === settings.resamples) {
        vector = decodeResampled(column);
      } else {
        d ??= await this.part(version, part);
        vector = resampledScore(d.metric, d.truth, decodePredictions(row).map((p) => take(p, d!.indices)), settings);
      }
      keepBounded(this.cache, CACHED_SCORES, vectorKey(version, part, row.submission_id), vector);
      out.set(row.submission_id, vector);
    }
    return out;
  }

  /**
   * The parameter-free Ladder over each participant's submissions in time order: a new
   * score is released only when it beats the released one by more than one standard error
   * of the per-example 0-1 loss differences (averaged over seeds) on the part's examples.
   * Returns, per participant, the released score (rounded) and the submission it came from.
   */
  async ladder(
    version: ChallengeVersion,
    part: BoardPart,
    rows: readonly { participantId: string; submissionId: string; submittedAt: Date; score: number }[],
    direction: Direction,
  ): Promise<Map<string, { released: number; submissionId: string }>> {
    // The releases depend only on the version, the part and which submissions there are: cached per board state.
    const key = `${version.id}:${part}:${leaderboardOf(version.spec).precision}:${rows.map((r) => r.submissionId).sort().join(',')}`;
    const known = this.ladders.get(key);
    if (known) return known;
    const released = await this.computeLadder(version, part, rows, direction);
    keepBounded(this.ladders, CACHED_BOARDS, key, released);
    return released;
  }

  private async computeLadder(
    version: ChallengeVersion,
    part: BoardPart,
    rows: readonly { participantId: string; submissionId: string; submittedAt: Date; score: number }[],
    direction: Direction,
  ): Promise<Map<string, { released: number; submissionId: string }>> {
    const precision = leaderboardOf(version.spec).precision ?? 0.0001;
    const sign = direction === 'maximize' ? 1 : -1;
    const predictions = await this.predictions(version, rows.map((r) => r.submissionId));
    const d = await this.part(version, part);
    const losses = (id: string): Float64Array => {
      const preds = predictions.get(id)!.map((p) => take(p, d.indices));
      const out = new Float64Array(d.truth.length);
      for (const p of preds) for (let i = 0; i < out.length; i++) out[i] += (p[i] === d.truth[i] ? 0 : 1) / preds.length;
      return out;
    };
    const byParticipant = new Map<string, typeof rows>();
    for (const r of [...rows].sort((a, b) => a.submittedAt.getTime() - b.submittedAt.getTime() || (a.submissionId < b.submissionId ? -1 : 1))) {
      if (!Number.isFinite(r.score) || !predictions.has(r.submissionId)) continue;
      byParticipant.set(r.participantId, [...(byParticipant.get(r.participantId) ?? []), r]);
    }
    const released = new Map<string, { released: number; submissionId: string }>();
    for (const [participant, list] of byParticipant) {
      let state: LadderState = { released: null, bestSubmissionId: null };
      let best = list[0];
      for (const r of list) {
        let improvement: number | null = null;
        let se: number | null = null;
        if (state.bestSubmissionId !== null) {
          const before = losses(best.submissionId);
          const after = losses(r.submissionId);
          improvement = sign * (r.score - best.score);
          se = standardError(before.map((l, i) => l - after[i])).se;
        }
        const next = ladderStep(state, { submissionId: r.submissionId, score: r.score, improvement, standardError: se }, precision);
        if (next.accepted) best = r;
        state = next;
      }
      released.set(participant, { released: state.released!, submissionId: state.bestSubmissionId! });
    }
    return released;
  }

  private async part(version: ChallengeVersion, part: BoardPart): Promise<PartData> {
    const spec = version.spec;
    if (spec.protocol === 'cleaning' || spec.protocol === 'multitask') throw new Error(`board statistics do not apply to ${spec.protocol}`);
    const labels = (await this.data.files(version).get('test')).labels;
    const metric = rankingMetric(spec);
    const split = leaderboardOf(spec).split;
    if (part === 'all' || !split) return { truth: labels, indices: null, metric };
    const indices = stratifiedSplit(labels, split.publicFraction, split.seed)[part];
    return { truth: take(labels, indices), indices, metric };
  }

  /** The stored rows of these submissions' scores under the version. */
  private async stored(version: ChallengeVersion, submissionIds: string[]): Promise<StoredRow[]> {
    if (submissionIds.length === 0) return [];
    return this.dataSource.query(
      `SELECT s.submission_id, p.seeds, p.examples, p.width, p.data, p.resampled_all, p.resampled_public, p.resampled_private, p.resample_seed, p.resample_count
         FROM scores s JOIN ${this.dataSource.getMetadata(ScorePredictions).tableName} p ON p.score_id = s.id
        WHERE s.challenge_id = $1 AND s.challenge_version = $2 AND s.submission_id = ANY($3)`,
      [version.challengeId, version.version, submissionIds],
    );
  }

  /** The stored test predictions of these submissions' scores under the version. */
  private async predictions(version: ChallengeVersion, submissionIds: string[]): Promise<Map<string, Int32Array[]>> {
    return new Map((await this.stored(version, submissionIds)).map((r) => [r.submission_id, decodePredictions(r)]));
  }
}


/** A resampled-values cache key: the draws are part of it, since `uncertainty` can change in place. */
function vectorKey(version: ChallengeVersion, part: BoardPart, submissionId: string): string {
  const { seed, resamples } = uncertaintyOf(version.spec);
  return `${version.id}:${part}:${seed}:${resamples}:${submissionId}`;
}


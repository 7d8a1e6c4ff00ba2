import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../accounts/access.js';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import { ChallengesRepository } from '../challenges/challenges.repository.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { FIRST_ROUND, leaderboardOf } from '../challenges/spec-parts.js';
import { protocolFor } from '../protocols/registry.js';
import { BoardCache, type Computed, deepFreeze } from './board-cache.js';
import { type BoardPart, BoardStatistics } from './board-statistics.js';
import { LeaderboardsRepository, type ScoredRow } from './leaderboards.repository.js';
import { type Direction, finalCandidates, rankLeaderboard } from './ranking.js';
import { roundTo } from './statistics.js';
import { boardPhase, nextBoardChange, phaseNamed, revealed, revealsAt } from './visibility.js';

/** What a board is ranked from (LeaderboardsService.load). */
type LoadedBoard = Awaited<ReturnType<LeaderboardsService['load']>>;

/** A board and the points of its best-score-over-time plot, as computed once and served from the cache. */
export type BoardView = Awaited<ReturnType<LeaderboardsService['compute']>>['value'];

export interface BoardQuery {
  version?: number;
  phase?: string;
  split?: 'public' | 'private';
}

@Injectable()
export class LeaderboardsService {
  /** Computed boards and their plot points, by challenge and query (see BoardCache). */
  private readonly cache: BoardCache<BoardView>;
  /** Each kept board as sent: serialized once, since reads of a kept board get the same object. */
  private readonly serialized = new WeakMap<object, { json: string; etag: string }>();

  constructor(
    private readonly challenges: ChallengesService,
    private readonly versions: ChallengesRepository,
    private readonly leaderboards: LeaderboardsRepository,
    private readonly statistics: BoardStatistics,
    @Inject(CONFIG) config: Config,
  ) {
    this.cache = new BoardCache(config.leaderboardCacheEntries);
  }

  /**
   * The board and, from the same read, every scored submission it ranks from (each with
   * the score the board shows: the public part while the split is hidden), oldest first:
   * the points of the best-score-over-time plot. Nothing a board does not already show.
   */
  async withHistory(slug: string, query: BoardQuery = {}, principal?: Principal): Promise<BoardView> {
    return this.view(slug, query, principal);
  }

  /**
   * One phase's board under one version (default: the current version; the open phase,
   * else the last one that opened). Each version ranks the scores computed under it. With a
   * public/private split it is the public board until the phase closes, and the private
   * one after, ranking each participant's final picks (or their best public ones).
   */
  async get(slug: string, query: BoardQuery = {}, principal?: Principal): Promise<BoardView['board']> {
    return (await this.view(slug, query, principal)).board;
  }

  /** The board as the API sends it (`get`, serialized once per computed board) and its ETag. */
  async getJson(slug: string, query: BoardQuery = {}, principal?: Principal): Promise<{ json: string; etag: string }> {
    const board = await this.get(slug, query, principal);
    let sent = this.serialized.get(board);
    if (!sent) {
      const json = JSON.stringify(board);
      sent = { json, etag: `"${createHash('sha1').update(json).digest('base64url')}"` };
      this.serialized.set(board, sent);
    }
    return sent;
  }

  /**
   * The board, from the cache when nothing it is computed from has changed. A board is the
   * same for every viewer who may see it (anyone, once the challenge is out of draft), so
   * the cache is shared by all of them; a draft's board, which only its organizers may
   * see, takes the full access check on every read and is never kept. The key is the
   * challenge's board generation (bumped by PostgreSQL with every score, disqualification,
   * team move, final pick, version or spec change) and the query; a kept board also
   * expires at the next phase opening or closing, when the default phase and what is
   * revealed change with no write at all.
   */
  private async view(slug: string, query: BoardQuery, principal: Principal | undefined): Promise<BoardView> {
    const now = new Date();
    const stamp = await this.leaderboards.boardState(slug);
    if (!stamp || stamp.status === 'draft') return (await this.compute(slug, query, principal, now)).value;
    const which: BoardQuery = { version: query.version, phase: query.phase, split: query.split };
    return this.cache.get(stamp, which, now, () => this.compute(slug, which, principal, now));
  }

  /** The board and its plot points, frozen (the cache hands the same objects to every reader), and until when they hold. */
  private async compute(slug: string, query: BoardQuery, principal: Principal | undefined, now: Date) {
    const loaded = await this.load(slug, query, principal, now);
    const { metric, direction, phase, split, settings, competing } = loaded;
    const points = competing
      .filter((r) => Number.isFinite(r.score))
      // At the board's precision: a challenge that rounds its scores does not show more here.
      .map((r) => ({ at: r.submittedAt, score: settings.precision ? roundTo(r.score, settings.precision) : r.score, competitor: r.participant }))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
    const value = deepFreeze({ board: await this.rank(loaded), history: { metric, direction, phase: phase.name, split, points } });
    return { value, validUntil: nextBoardChange(loaded.spec, now) } satisfies Computed<unknown>;
  }

  /** The ranked entries with their tie groups, intervals and rounds. */
  private async rank(loaded: LoadedBoard) {
    const { challenge, version, spec, metric, direction, breakdown, settings, phase, split, key, part, ladder, competing } = loaded;
    const entries = rankLeaderboard(competing, direction);
    const groups = await this.statistics.tieGroups(version, part, entries);
    const shown = (value: number) => (settings.precision ? roundTo(value, settings.precision) : value);
    const rounds = spec.rounds?.length ? [{ name: FIRST_ROUND, title: 'The original test set' }, ...spec.rounds.map((r) => ({ name: r.name, title: r.title ?? r.name }))] : null;
    const low = `${key}_ci_low`;
    const high = `${key}_ci_high`;
    return {
      challenge: challenge.slug,
      version: version.version,
      phase: phase.name,
      /** public | private with a split; null when the whole test set ranks. */
      split,
      metric,
      direction,
      /** The public board releases scores by the Ladder (Blum & Hardt, 2015). */
      ladder,
      /** The test rounds, oldest first, where the challenge has added any. */
      rounds,
      entries: entries.map((e, i) => ({
        rank: e.rank,
        /** Entries whose difference is not significant (paired bootstrap) share a group and a rank range. */
        tieGroup: groups[i]?.group ?? null,
        rankRange: groups[i]?.rankRange ?? null,
        /** The team's name, or the participant's when competing alone. */
        participant: e.participant,
        team: e.team ?? false,
        score: shown(e.score),
        /** The standard deviation over the model's seeds, when it has several. */
        spread: e.metrics[`${key}_std`] ?? null,
        /** The bootstrap interval over test examples, where the metric has one. */
        ci: e.metrics[low] === undefined ? null : { low: shown(e.metrics[low]), high: shown(e.metrics[high]) },
        ...(rounds ? roundScores(rounds, e.metrics, metric, direction) : {}),
        ...(breakdown.length > 0 ? { tasks: Object.fromEntries(breakdown.map((b) => [b.name, e.metrics[b.metric] ?? null])) } : {}),
        submissionId: e.submissionId,
        submittedAt: e.submittedAt,
      })),
    };
  }

  /** What a board is ranked from: the version, the phase, the split and the competing scored submissions with the score each shows. */
  async load(slug: string, query: BoardQuery, principal?: Principal, now = new Date()) {
    const { challenge, version: current } = await this.challenges.access(slug, principal);
    const version = query.version === undefined ? current : await this.versions.findVersion(challenge.id, query.version);
    if (!version) throw AppError.notFound(`Version ${query.version} of challenge "${slug}"`);
    const { spec } = version;
    const protocol = protocolFor(spec);
    const { metric, direction } = protocol.ranking(spec);
    const breakdown = protocol.breakdown?.(spec) ?? [];
    const settings = leaderboardOf(spec);

    const phase = query.phase === undefined ? boardPhase(spec, now) : phaseNamed(spec, query.phase);
    if (!phase) throw AppError.notFound(`Phase "${query.phase}" of challenge "${slug}"`);
    const isRevealed = revealed(spec, phase.name, now);
    if (query.split && !settings.split) {
      throw AppError.badRequest('no_split', `Challenge "${slug}" has no public/private split: leave out "split"`);
    }
    const split = settings.split ? (query.split ?? (isRevealed ? 'private' : 'public')) : null;
    if (split === 'private' && !isRevealed) {
      const at = revealsAt(spec, phase.name);
      throw AppError.conflict('not_revealed', `The private board of phase "${phase.name}" is revealed when the phase closes${at ? ` (${at})` : ''}; until then only the public board is shown`);
    }

    const key = split ? `${split}_${metric}` : metric;
    const rows = await this.leaderboards.scoredInPhase(challenge.id, version.version, phase.name);
    const scoreOf = (r: ScoredRow) => (split ? (r.metrics[key] ?? Number.NaN) : r.value);
    const part: BoardPart = split ?? 'all';
    const ladder = settings.ladder && split !== 'private' && BoardStatistics.applies(spec);
    let competing = (split === 'private' ? finalCandidates(rows, (r) => r.metrics[`public_${metric}`] ?? Number.NaN, direction, settings.finalSubmissions) : rows).map((r) => ({
      ...r,
      score: scoreOf(r),
    }));
    if (ladder) {
      // Each participant's entry is the Ladder's last released score and the submission it came from.
      const released = await this.statistics.ladder(version, part, competing, direction);
      competing = competing.filter((r) => released.get(r.participantId)?.submissionId === r.submissionId).map((r) => ({ ...r, score: released.get(r.participantId)!.released }));
    }
    return { challenge, version, spec, metric, direction, breakdown, settings, phase, split, key, part, ladder, competing };
  }
}

/**
 * An entry's score on each round (the original test set is the first) and how consistent
 * they are: the newest round against the first, and the worst round. A robust dataset
 * keeps its score when the test moves.
 */
export function roundScores(rounds: readonly { name: string }[], metrics: Record<string, number>, metric: string, direction: Direction) {
  const scores = Object.fromEntries(rounds.map((r, i) => [r.name, (i === 0 ? metrics[metric] : metrics[`round.${r.name}.${metric}`]) ?? null]));
  const known = Object.values(scores).filter((v): v is number => v !== null);
  const first = scores[rounds[0].name];
  const newest = scores[rounds[rounds.length - 1].name];
  return {
    rounds: scores,
    consistency: {
      /** Newest round minus the first (null until scored on both). */
      change: first !== null && newest !== null ? newest - first : null,
      /** The worst score over the rounds scored so far. */
      worst: known.length === 0 ? null : direction === 'maximize' ? Math.min(...known) : Math.max(...known),
      /** Scored on every round. */
      complete: known.length === rounds.length,
    },
  };
}

import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { type ActivePhase, phaseAt, phasesOf } from '../challenges/phases.js';
import { leaderboardOf } from '../challenges/spec-parts.js';
import type { ScoreDetails } from '../submissions/score.entity.js';

/**
 * What of a score may be shown, and when. With a public/private split (leaderboard.split),
 * a score computed in a phase shows only its public part and its dev split until that
 * phase closes: the private part, the whole-test score and its interval, and each seed's
 * whole-test metrics are all derived from hidden labels the participant must not see yet.
 */

/** The phase a submission was made in, as the version now describes it. */
export function phaseNamed(spec: ChallengeSpec, name: string): ActivePhase | undefined {
  return phasesOf(spec).find((p) => p.name === name);
}

/** Whether every part of a phase's scores may be shown: no split, or the phase has closed. */
export function revealed(spec: ChallengeSpec, phase: string, now = new Date()): boolean {
  if (!leaderboardOf(spec).split) return true;
  const closes = phaseNamed(spec, phase)?.closes;
  return closes !== null && closes !== undefined && closes <= now.toISOString();
}

/** When a phase's private scores are revealed (null: never, an open-ended phase). */
export function revealsAt(spec: ChallengeSpec, phase: string): string | null {
  return phaseNamed(spec, phase)?.closes ?? null;
}

const shownBeforeClose = (name: string) => name.startsWith('public_') || name.startsWith('dev_') || name.includes('.dev_');

function onlyShown(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([name]) => shownBeforeClose(name)));
}

/** A score as it may be shown before its phase closes: the public part is the score. */
export function beforeClose(metric: string, metrics: Record<string, number>, details: ScoreDetails | null) {
  return {
    metric: `public_${metric}`,
    score: metrics[`public_${metric}`] ?? null,
    metrics: onlyShown(metrics),
    details: details && {
      ...details,
      ...(details.seeds ? { seeds: details.seeds.map((s) => ({ seed: s.seed, metrics: onlyShown(s.metrics) })) } : {}),
    },
  };
}

/** The phase whose board is shown by default: the open one, else the last one that has opened, else the first. */
export function boardPhase(spec: ChallengeSpec, now = new Date()): ActivePhase {
  const state = phaseAt(spec, now);
  switch (state.state) {
    case 'open':
      return state.phase;
    case 'not_open_yet':
      return state.next;
    case 'between':
    case 'closed':
      return state.previous;
  }
}

/**
 * The first instant after `now` at which a board of the spec changes by time alone: a
 * phase opens or closes (the default phase moves on, a private part is revealed). Null
 * when no such instant is left. A board computed at `now` holds until then.
 */
export function nextBoardChange(spec: ChallengeSpec, now = new Date()): Date | null {
  const at = now.toISOString();
  const later = phasesOf(spec)
    .flatMap((p) => [p.opens, p.closes])
    .filter((t): t is string => t !== null && t > at)
    .sort();
  return later.length > 0 ? new Date(later[0]) : null;
}

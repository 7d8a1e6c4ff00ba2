import { z } from 'zod';
import { plainText } from '../../core/validation/text.js';

/**
 * A challenge's phases and submission limits. Without `phases`, a challenge has one
 * open-ended phase, "open". Phases never overlap; a submission belongs to the phase open
 * when it was made, and counts against that phase's limits.
 */

const count = (what: string) => z.number().int(`${what} must be a whole number`).positive(`${what} must be at least 1`);

/** Per participant: in any 24 hours, in the whole phase, and at once (queued or running). */
export const SubmissionLimits = z.strictObject({
  perDay: count('perDay').optional(),
  total: count('total').optional(),
  concurrent: count('concurrent').optional(),
});
export type SubmissionLimits = z.infer<typeof SubmissionLimits>;

const Instant = z
  .union([z.date(), z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time with a zone, e.g. 2027-01-31T23:59:59Z' })])
  .transform((v) => new Date(v).toISOString());

export const Phase = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lowercase letters, digits and -, at most 32 characters'),
    title: plainText(100).optional(),
    opens: Instant,
    /** Absent: open-ended. */
    closes: Instant.optional(),
    limits: SubmissionLimits.optional(),
  })
  .refine((p) => !p.closes || p.closes > p.opens, { path: ['closes'], message: 'must be after opens' });
export type Phase = z.infer<typeof Phase>;

export const Phases = z
  .array(Phase)
  .min(1, 'give at least one phase, or leave phases out for a challenge that is always open')
  .max(20)
  .superRefine((phases, ctx) => {
    const names = new Set<string>();
    phases.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${p.name}" is used twice` });
      names.add(p.name);
      const previous = phases[i - 1];
      if (!previous) return;
      if (!previous.closes) ctx.addIssue({ code: 'custom', path: [i - 1, 'closes'], message: 'only the last phase may be open-ended' });
      else if (p.opens < previous.closes) ctx.addIssue({ code: 'custom', path: [i, 'opens'], message: `must not be before "${previous.name}" closes (${previous.closes}); list phases in order` });
    });
  });

/** A phase as it applies: its limits filled in from the challenge's. */
export interface ActivePhase {
  name: string;
  title: string;
  opens: string | null;
  closes: string | null;
  limits: SubmissionLimits;
}

interface WithPhases {
  phases?: Phase[];
  limits: SubmissionLimits;
}

/** Every phase in order, with the challenge's limits where a phase sets none. */
export function phasesOf(spec: WithPhases): ActivePhase[] {
  const defaults = { perDay: spec.limits.perDay, total: spec.limits.total, concurrent: spec.limits.concurrent };
  if (!spec.phases) return [{ name: 'open', title: 'Open', opens: null, closes: null, limits: defaults }];
  return spec.phases.map((p) => ({ name: p.name, title: p.title ?? p.name, opens: p.opens, closes: p.closes ?? null, limits: { ...defaults, ...p.limits } }));
}

export type PhaseState =
  | { state: 'open'; phase: ActivePhase }
  | { state: 'not_open_yet'; next: ActivePhase }
  | { state: 'between'; previous: ActivePhase; next: ActivePhase }
  | { state: 'closed'; previous: ActivePhase };

/** Which phase takes submissions at `now`, or why none does. */
export function phaseAt(spec: WithPhases, now: Date): PhaseState {
  const at = now.toISOString();
  const phases = phasesOf(spec);
  let previous: ActivePhase | undefined;
  for (const phase of phases) {
    if (phase.opens !== null && at < phase.opens) return previous ? { state: 'between', previous, next: phase } : { state: 'not_open_yet', next: phase };
    if (phase.closes === null || at < phase.closes) return { state: 'open', phase };
    previous = phase;
  }
  return { state: 'closed', previous: previous! };
}

/** Why a submission made at `now` is refused, for the 409; null while a phase is open. */
export function closedMessage(slug: string, state: PhaseState): string | null {
  switch (state.state) {
    case 'open':
      return null;
    case 'not_open_yet':
      return `Challenge "${slug}" does not take submissions yet: phase "${state.next.name}" opens at ${state.next.opens}`;
    case 'between':
      return `Challenge "${slug}" does not take submissions now: phase "${state.previous.name}" closed at ${state.previous.closes}, and phase "${state.next.name}" opens at ${state.next.opens}`;
    case 'closed':
      return `Challenge "${slug}" no longer takes submissions: its last phase, "${state.previous.name}", closed at ${state.previous.closes}`;
  }
}

/** What counts against a participant's limits in one phase (see countsAgainstLimits). */
export interface LimitUsage {
  /** Counted submissions in the phase. */
  total: number;
  /** When each counted submission of the last 24 hours was made, oldest first. */
  lastDay: Date[];
  /** Queued or running now. */
  running: number;
}

export interface LimitRefusal {
  limit: 'perDay' | 'total' | 'concurrent';
  message: string;
  /** When the next submission will be allowed; null when never again in this phase, or when a running one finishes. */
  retryAt: Date | null;
}

/**
 * Whether one more submission fits the phase's limits, and if not, which limit and when
 * the next one is allowed. The 24-hour window is rolling: a slot frees 24 hours after the
 * submission that took it.
 */
export function checkLimits(phase: ActivePhase, usage: LimitUsage, now: Date): LimitRefusal | null {
  const { perDay, total, concurrent } = phase.limits;
  if (total !== undefined && usage.total >= total) {
    return { limit: 'total', retryAt: null, message: `You have made ${usage.total} of the ${total} submissions phase "${phase.name}" allows; none are left in this phase` };
  }
  if (perDay !== undefined && usage.lastDay.length >= perDay) {
    const retryAt = new Date(usage.lastDay[usage.lastDay.length - perDay].getTime() + DAY_MS);
    return {
      limit: 'perDay',
      retryAt: retryAt > now ? retryAt : now,
      message: `You have made ${usage.lastDay.length} submissions in the last 24 hours; phase "${phase.name}" allows ${perDay}. The next one is allowed at ${retryAt.toISOString()}`,
    };
  }
  if (concurrent !== undefined && usage.running >= concurrent) {
    return {
      limit: 'concurrent',
      retryAt: null,
      message: `You have ${usage.running} submission${usage.running === 1 ? '' : 's'} queued or running; phase "${phase.name}" allows ${concurrent} at once. Submit again when one of them finishes`,
    };
  }
  return null;
}

/** Two competitors' usage counted as one (a team forming or merging). */
export function combinedUsage(a: LimitUsage, b: LimitUsage): LimitUsage {
  return { total: a.total + b.total, running: a.running + b.running, lastDay: [...a.lastDay, ...b.lastDay].sort((x, y) => x.getTime() - y.getTime()) };
}

/**
 * Kaggle's rule for merging teams: allowed only when the submissions they made together
 * fit the phase's limits (in total, and in the last 24 hours). Null: the merge fits.
 */
export function mergeRefusal(phase: ActivePhase, usage: LimitUsage): string | null {
  const { perDay, total } = phase.limits;
  if (total !== undefined && usage.total > total) {
    return `Together you have made ${usage.total} submissions in phase "${phase.name}", which allows ${total}; teams can merge only when their combined submissions fit the limits`;
  }
  if (perDay !== undefined && usage.lastDay.length > perDay) {
    return `Together you have made ${usage.lastDay.length} submissions in the last 24 hours; phase "${phase.name}" allows ${perDay}. Merge once the combined count fits`;
  }
  return null;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

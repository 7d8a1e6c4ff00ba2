/**
 * Rate limiting by GCRA (the generic cell rate algorithm): one number per client, the
 * "theoretical arrival time" (TAT) of its next request. `limit` requests may come at once;
 * after that one more is allowed every `periodMs / limit`. Unlike a fixed window it never
 * lets 2 × limit through around a window boundary, and it says exactly when to retry.
 *
 * The Redis store runs the same arithmetic in Lua (rate-limit.store.ts); keep them in step.
 */
export interface RateRule {
  /** Requests allowed per period; at least 1. */
  limit: number;
  periodMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The TAT to store (unchanged when refused). */
  tat: number;
  /** How long until one more request is allowed; 0 when this one was. */
  retryAfterMs: number;
  /** Requests still allowed right now after this one. */
  remaining: number;
}

/** Whole milliseconds, so that Redis and this code agree to the unit. */
export function emissionInterval(rule: RateRule): number {
  return Math.max(1, Math.ceil(rule.periodMs / rule.limit));
}

export function gcra(stored: number | undefined, now: number, rule: RateRule): RateDecision {
  const interval = emissionInterval(rule);
  const burst = (rule.limit - 1) * interval;
  const tat = Math.max(stored ?? now, now);
  if (tat - now > burst) {
    return { allowed: false, tat, retryAfterMs: tat - now - burst, remaining: 0 };
  }
  const next = tat + interval;
  return { allowed: true, tat: next, retryAfterMs: 0, remaining: Math.floor((burst + interval - (next - now)) / interval) };
}

import { gcra, type RateRule } from './gcra.js';

/** Runs requests at the given times (ms) through one client's state; returns what each got. */
function run(rule: RateRule, times: number[]): [boolean, number, number][] {
  let tat: number | undefined;
  return times.map((now) => {
    const d = gcra(tat, now, rule);
    tat = d.tat;
    return [d.allowed, d.retryAfterMs, d.remaining];
  });
}

describe('gcra', () => {
  const threePerMinute = { limit: 3, periodMs: 60_000 };

  it.each<[string, RateRule, number[], [boolean, number, number][]]>([
    ['a burst up to the limit, then a refusal saying when', threePerMinute, [0, 0, 0, 0], [[true, 0, 2], [true, 0, 1], [true, 0, 0], [false, 20_000, 0]]],
    ['one more every period / limit after a burst', threePerMinute, [0, 0, 0, 19_999, 20_000, 20_001], [[true, 0, 2], [true, 0, 1], [true, 0, 0], [false, 1, 0], [true, 0, 0], [false, 19_999, 0]]],
    ['a full refill after a quiet period', threePerMinute, [0, 0, 0, 60_000, 60_000, 60_000, 60_000], [[true, 0, 2], [true, 0, 1], [true, 0, 0], [true, 0, 2], [true, 0, 1], [true, 0, 0], [false, 20_000, 0]]],
    ['refusals do not push the next allowed time further out', threePerMinute, [0, 0, 0, 1, 2, 3, 20_000], [[true, 0, 2], [true, 0, 1], [true, 0, 0], [false, 19_999, 0], [false, 19_998, 0], [false, 19_997, 0], [true, 0, 0]]],
    ['a limit of one', { limit: 1, periodMs: 1000 }, [0, 500, 1000], [[true, 0, 0], [false, 500, 0], [true, 0, 0]]],
    ['a steady rate at the limit never refuses', { limit: 2, periodMs: 1000 }, [0, 500, 1000, 1500, 2000], [[true, 0, 1], [true, 0, 1], [true, 0, 1], [true, 0, 1], [true, 0, 1]]],
  ])('%s', (_name, rule, times, expected) => {
    expect(run(rule, times)).toEqual(expected);
  });

  it('allows exactly `limit` at once when the period does not divide evenly', () => {
    const results = run({ limit: 7, periodMs: 60_000 }, Array<number>(8).fill(0));
    expect(results.filter(([allowed]) => allowed)).toHaveLength(7);
    expect(results[7][0]).toBe(false);
  });
});

import { type ActivePhase, checkLimits, closedMessage, combinedUsage, DAY_MS, mergeRefusal, phaseAt, Phases, phasesOf } from './phases.js';

const at = (iso: string) => new Date(iso);
const spec = {
  limits: { perDay: 5, concurrent: 2 },
  phases: Phases.parse([
    { name: 'development', opens: '2027-01-01T00:00:00Z', closes: '2027-02-01T00:00:00Z' },
    { name: 'final', opens: '2027-02-08T00:00:00Z', closes: '2027-02-15T00:00:00Z', limits: { perDay: 1, total: 3 } },
  ]),
};

describe('phaseAt', () => {
  it.each([
    ['2026-12-31T23:59:59Z', 'not_open_yet', 'development opens 2027-01-01T00:00:00.000Z'],
    ['2027-01-01T00:00:00Z', 'open', 'development'],
    ['2027-01-31T23:59:59Z', 'open', 'development'],
    ['2027-02-01T00:00:00Z', 'between', 'development closed 2027-02-01T00:00:00.000Z, final opens 2027-02-08T00:00:00.000Z'],
    ['2027-02-10T12:00:00Z', 'open', 'final'],
    ['2027-02-15T00:00:00Z', 'closed', 'final closed 2027-02-15T00:00:00.000Z'],
  ])('at %s: %s (%s)', (now, state, what) => {
    const s = phaseAt(spec, at(now));
    expect(s.state).toBe(state);
    const message = closedMessage('c', s);
    if (s.state === 'open') {
      expect(s.phase.name).toBe(what);
      expect(message).toBeNull();
    } else {
      for (const word of what.split(/[ ,]+/).filter((w) => /\d|development|final/.test(w))) expect(message).toContain(word);
    }
  });

  it('without phases, one open-ended phase "open" with the challenge limits', () => {
    expect(phaseAt({ limits: { total: 10 } }, at('1999-01-01T00:00:00Z'))).toEqual({
      state: 'open',
      phase: { name: 'open', title: 'Open', opens: null, closes: null, limits: { total: 10, perDay: undefined, concurrent: undefined } },
    });
  });

  it("fills a phase's limits from the challenge's", () => {
    expect(phasesOf(spec).map((p) => p.limits)).toEqual([
      { perDay: 5, concurrent: 2, total: undefined },
      { perDay: 1, concurrent: 2, total: 3 },
    ]);
  });
});

describe('the phases schema', () => {
  it.each([
    [[{ name: 'a', opens: '2027-01-02T00:00:00Z', closes: '2027-01-01T00:00:00Z' }], '0.closes', 'must be after opens'],
    [[{ name: 'a', opens: '2027-01-01T00:00:00Z' }, { name: 'b', opens: '2027-02-01T00:00:00Z' }], '0.closes', 'only the last phase may be open-ended'],
    [[{ name: 'a', opens: '2027-01-01T00:00:00Z', closes: '2027-02-01T00:00:00Z' }, { name: 'b', opens: '2027-01-15T00:00:00Z' }], '1.opens', 'must not be before "a" closes'],
    [[{ name: 'a', opens: '2027-01-01T00:00:00Z', closes: '2027-02-01T00:00:00Z' }, { name: 'a', opens: '2027-03-01T00:00:00Z' }], '1.name', 'used twice'],
    [[{ name: 'a', opens: 'next tuesday' }], '0.opens', 'ISO 8601'],
    [[{ name: 'Final Phase', opens: '2027-01-01T00:00:00Z' }], '0.name', 'lowercase'],
    [[{ name: 'a', opens: '2027-01-01T00:00:00Z', limits: { perDay: 0 } }], '0.limits.perDay', 'at least 1'],
    [[], '', 'at least one phase'],
  ])('%j: %s %s', (phases, path, message) => {
    const r = Phases.safeParse(phases);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual(expect.arrayContaining([[path, expect.stringContaining(message)]]));
  });
});

describe('checkLimits', () => {
  const phase = (limits: ActivePhase['limits']): ActivePhase => ({ name: 'dev', title: 'dev', opens: null, closes: null, limits });
  const now = at('2027-01-10T12:00:00Z');
  const ago = (hours: number) => new Date(now.getTime() - hours * 3600_000);
  it.each<[string, ActivePhase['limits'], { total: number; lastDay: Date[]; running: number }, null | { limit: string; retryAt: Date | null }]>([
    ['no limits', {}, { total: 1000, lastDay: [], running: 50 }, null],
    ['under every limit', { perDay: 3, total: 10, concurrent: 2 }, { total: 2, lastDay: [ago(5), ago(1)], running: 1 }, null],
    ['the day is full: the next slot frees 24 h after the oldest', { perDay: 2 }, { total: 2, lastDay: [ago(20), ago(1)], running: 0 }, { limit: 'perDay', retryAt: new Date(ago(20).getTime() + DAY_MS) }],
    ['the phase total is used up', { total: 3, perDay: 10 }, { total: 3, lastDay: [], running: 0 }, { limit: 'total', retryAt: null }],
    ['too many at once', { concurrent: 1 }, { total: 1, lastDay: [ago(0.1)], running: 1 }, { limit: 'concurrent', retryAt: null }],
  ])('%s', (_name, limits, usage, expected) => {
    const refusal = checkLimits(phase(limits), usage, now);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatchObject(expected);
  });
});

describe('merging teams (Kaggle: only when their combined submissions fit)', () => {
  const phase: ActivePhase = { name: 'dev', title: 'dev', opens: null, closes: null, limits: { perDay: 3, total: 10 } };
  const now = at('2027-01-10T12:00:00Z');
  const ago = (hours: number) => new Date(now.getTime() - hours * 3600_000);
  const usage = (total: number, lastDay: Date[]) => ({ total, lastDay, running: 0 });
  it.each<[string, ReturnType<typeof usage>, ReturnType<typeof usage>, string | null]>([
    ['both within the limits together', usage(4, [ago(2)]), usage(6, [ago(1), ago(3)]), null],
    ['exactly at the total', usage(5, []), usage(5, []), null],
    ['over the phase total together', usage(6, []), usage(5, []), 'allows 10'],
    ['over the day together though each is under it', usage(2, [ago(1), ago(2)]), usage(2, [ago(4), ago(5)]), 'allows 3'],
  ])('%s', (_name, a, b, refusal) => {
    const result = mergeRefusal(phase, combinedUsage(a, b));
    if (refusal === null) expect(result).toBeNull();
    else expect(result).toContain(refusal);
  });
  it('orders the combined day oldest first', () => {
    expect(combinedUsage(usage(1, [ago(1)]), usage(1, [ago(5)])).lastDay).toEqual([ago(5), ago(1)]);
  });
});

import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { Phases } from '../challenges/phases.js';
import { BoardCache, type BoardStamp, deepFreeze } from './board-cache.js';
import { boardPhase, nextBoardChange, revealed } from './visibility.js';

const stamp = (generation: string, extra: Partial<BoardStamp> = {}): BoardStamp => ({ challengeId: 'c1', generation, currentVersion: 1, status: 'open', ...extra });
const at = (iso: string) => new Date(iso);

/** A compute function that counts its calls and answers `value-<n>`. */
function counter(validUntil: Date | null = null) {
  let calls = 0;
  const compute = async () => ({ value: `value-${++calls}`, validUntil });
  return { compute, calls: () => calls };
}

describe('BoardCache', () => {
  const now = at('2027-01-01T00:00:00Z');

  it('computes once per stamp and query', async () => {
    const cache = new BoardCache<string>(10);
    const c = counter();
    expect(await cache.get(stamp('1'), {}, now, c.compute)).toBe('value-1');
    expect(await cache.get(stamp('1'), { phase: undefined }, now, c.compute)).toBe('value-1');
    expect(c.calls()).toBe(1);
    // Another query is another board; the same fields in another order are the same one.
    expect(await cache.get(stamp('1'), { phase: 'a', version: 2 }, now, c.compute)).toBe('value-2');
    expect(await cache.get(stamp('1'), { version: 2, phase: 'a' }, now, c.compute)).toBe('value-2');
    expect(await cache.get(stamp('1', { challengeId: 'c2' }), {}, now, c.compute)).toBe('value-3');
  });

  it.each<[string, Partial<BoardStamp> & { generation: string }]>([
    ['a new generation', { generation: '2' }],
    ['another current version', { generation: '1', currentVersion: 2 }],
    ['another status', { generation: '1', status: 'closed' }],
  ])('computes again under %s', async (_what, next) => {
    const cache = new BoardCache<string>(10);
    const c = counter();
    await cache.get(stamp('1'), {}, now, c.compute);
    expect(await cache.get(stamp(next.generation, next), {}, now, c.compute)).toBe('value-2');
    expect(await cache.get(stamp(next.generation, next), {}, now, c.compute)).toBe('value-2');
  });

  it('computes again once the board has run out of time, and not before', async () => {
    const cache = new BoardCache<string>(10);
    const c = counter(at('2027-01-01T00:00:10Z'));
    await cache.get(stamp('1'), {}, now, c.compute);
    expect(await cache.get(stamp('1'), {}, at('2027-01-01T00:00:09.999Z'), c.compute)).toBe('value-1');
    expect(await cache.get(stamp('1'), {}, at('2027-01-01T00:00:10Z'), c.compute)).toBe('value-2');
  });

  it('lets reads that arrive during a computation wait for it', async () => {
    const cache = new BoardCache<string>(10);
    let release!: () => void;
    let calls = 0;
    const compute = () => {
      calls++;
      return new Promise<{ value: string; validUntil: null }>((resolve) => (release = () => resolve({ value: 'board', validUntil: null })));
    };
    const reads = [cache.get(stamp('1'), {}, now, compute), cache.get(stamp('1'), {}, now, compute), cache.get(stamp('1'), {}, now, compute)];
    release();
    expect(await Promise.all(reads)).toEqual(['board', 'board', 'board']);
    expect(calls).toBe(1);
  });

  it('keeps no failed computation', async () => {
    const cache = new BoardCache<string>(10);
    await expect(cache.get(stamp('1'), {}, now, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await new Promise((r) => setImmediate(r));
    expect(cache.size).toBe(0);
    expect(await cache.get(stamp('1'), {}, now, counter().compute)).toBe('value-1');
  });

  it('keeps at most its size, dropping the oldest board first', async () => {
    const cache = new BoardCache<string>(2);
    const c = counter();
    for (const id of ['a', 'b', 'c']) await cache.get(stamp('1', { challengeId: id }), {}, now, c.compute);
    expect(cache.size).toBe(2);
    expect(await cache.get(stamp('1', { challengeId: 'c' }), {}, now, c.compute)).toBe('value-3');
    expect(await cache.get(stamp('1', { challengeId: 'a' }), {}, now, c.compute)).toBe('value-4');
  });

  it('keeps nothing with size 0', async () => {
    const cache = new BoardCache<string>(0);
    const c = counter();
    await cache.get(stamp('1'), {}, now, c.compute);
    await cache.get(stamp('1'), {}, now, c.compute);
    expect(c.calls()).toBe(2);
    expect(cache.size).toBe(0);
  });
});

describe('deepFreeze', () => {
  it('freezes objects and arrays all the way down, and leaves dates alone', () => {
    const at = new Date(0);
    const board = deepFreeze({ entries: [{ rank: 1, ci: { low: 0.1 }, submittedAt: at }] });
    expect(() => board.entries.push({ rank: 2, ci: { low: 0 }, submittedAt: at })).toThrow(TypeError);
    expect(() => ((board.entries[0].ci as { low: number }).low = 1)).toThrow(TypeError);
    expect(Object.isFrozen(at)).toBe(false);
  });
});

describe('nextBoardChange', () => {
  const spec = {
    limits: {},
    leaderboard: { split: { publicFraction: 0.5, seed: 0 }, finalSubmissions: 2 },
    phases: Phases.parse([
      { name: 'development', opens: '2027-01-01T00:00:00Z', closes: '2027-02-01T00:00:00Z' },
      { name: 'final', opens: '2027-02-08T00:00:00Z', closes: '2027-02-15T00:00:00Z' },
    ]),
  } as unknown as ChallengeSpec;

  it.each([
    ['2026-12-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['2027-01-01T00:00:00Z', '2027-02-01T00:00:00.000Z'],
    ['2027-01-31T23:59:59.999Z', '2027-02-01T00:00:00.000Z'],
    ['2027-02-01T00:00:00Z', '2027-02-08T00:00:00.000Z'],
    ['2027-02-10T00:00:00Z', '2027-02-15T00:00:00.000Z'],
    ['2027-02-15T00:00:00Z', null],
  ])('at %s: %s', (now, next) => {
    expect(nextBoardChange(spec, at(now))?.toISOString() ?? null).toBe(next);
  });

  it('is null for a challenge without phases', () => {
    expect(nextBoardChange({ limits: {} } as unknown as ChallengeSpec, at('2027-01-01T00:00:00Z'))).toBeNull();
  });

  it('names every instant at which the default phase or what is revealed changes', () => {
    // Walk a year in hours: whenever the board's time-dependent parts differ from an hour before, a change was due in between.
    let previous = { phase: boardPhase(spec, at('2026-12-01T00:00:00Z')).name, revealed: revealed(spec, 'development', at('2026-12-01T00:00:00Z')) };
    let due = nextBoardChange(spec, at('2026-12-01T00:00:00Z'));
    for (let t = Date.parse('2026-12-01T01:00:00Z'); t < Date.parse('2027-03-01T00:00:00Z'); t += 3_600_000) {
      const now = new Date(t);
      const state = { phase: boardPhase(spec, now).name, revealed: revealed(spec, boardPhase(spec, now).name, now) };
      if (state.phase !== previous.phase || state.revealed !== previous.revealed) {
        expect(due).not.toBeNull();
        expect(due!.getTime()).toBeLessThanOrEqual(t);
      }
      if (due && due.getTime() <= t) due = nextBoardChange(spec, now);
      previous = state;
    }
  });
});

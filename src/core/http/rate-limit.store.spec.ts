import { MemoryRateLimitStore } from './rate-limit.store.js';

describe('MemoryRateLimitStore', () => {
  let now = 0;
  const stores: MemoryRateLimitStore[] = [];
  const store = (maxKeys?: number) => {
    const s = new MemoryRateLimitStore(() => now, maxKeys);
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    now = 0;
  });

  it('counts each key on its own', async () => {
    const s = store();
    const rule = { limit: 2, periodMs: 60_000 };
    expect((await s.hit('a', rule)).allowed).toBe(true);
    expect((await s.hit('a', rule)).allowed).toBe(true);
    expect(await s.hit('a', rule)).toEqual(expect.objectContaining({ allowed: false, retryAfterMs: 30_000 }));
    expect((await s.hit('b', rule)).allowed).toBe(true);
    now = 30_000;
    expect((await s.hit('a', rule)).allowed).toBe(true);
  });

  it('forgets the least recently allowed clients first when it holds too many', async () => {
    const s = store(2);
    const rule = { limit: 1, periodMs: 60_000 };
    await s.hit('a', rule);
    await s.hit('b', rule);
    await s.hit('c', rule);
    // "a" was dropped to make room (a fresh start for it), "c" is still counted.
    expect((await s.hit('a', rule)).allowed).toBe(true);
    expect((await s.hit('c', rule)).allowed).toBe(false);
  });
});

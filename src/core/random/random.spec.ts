import { splitmix64, Xoshiro128 } from './random.js';

// Reference outputs from the authors' C code (splitmix64.c, xoshiro128starstar.c),
// the xoshiro state seeded as here: s0 s1 = low, high word of splitmix64's first
// output, s2 s3 = those of its second.

describe('splitmix64', () => {
  it('gives the reference sequence from seed 0', () => {
    const next = splitmix64(0n);
    expect(next()).toBe(0xe220a8397b1dcdafn);
    expect(next()).toBe(0x6e789e6aa1b965f4n);
  });
});

describe('Xoshiro128', () => {
  it.each([
    { seed: 42, outputs: [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222] },
    { seed: Number.MAX_SAFE_INTEGER, outputs: [1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921] },
  ])('gives the reference xoshiro128** outputs (seed $seed)', ({ seed, outputs }) => {
    const random = new Xoshiro128(seed);
    expect(outputs.map(() => random.nextUint32())).toEqual(outputs);
  });

  it('makes doubles in [0, 1) from 27 + 26 bits of two outputs', () => {
    const a = new Xoshiro128(42);
    const b = new Xoshiro128(42);
    const u = a.nextDouble();
    expect(u).toBe(((b.nextUint32() >>> 5) * 2 ** 26 + (b.nextUint32() >>> 6)) / 2 ** 53);
    const draws = Array.from({ length: 10000 }, () => a.nextDouble());
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(draws.some((v) => !Number.isInteger(v * 2 ** 32))).toBe(true); // more than 32 bits
  });

  it('draws integers below a bound, every value reachable', () => {
    const random = new Xoshiro128(3);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[random.nextBelow(7)]++;
    counts.forEach((c) => expect(c).toBeGreaterThan(850));
    expect(() => random.nextBelow(0)).toThrow(/cannot draw below 0/);
  });

  it('shuffles into a permutation, the same one for the same seed', () => {
    const shuffled = (seed: number) => {
      const order = Int32Array.from({ length: 50 }, (_, i) => i);
      new Xoshiro128(seed).shuffle(order);
      return Array.from(order);
    };
    const a = shuffled(1);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled(1)).toEqual(a);
    expect(shuffled(2)).not.toEqual(a);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses the seed %p', (seed) => {
    expect(() => new Xoshiro128(seed)).toThrow(/random: the seed must be an integer in 0..2\^53-1/);
  });
});

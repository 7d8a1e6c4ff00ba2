/**
 * Sieve's seeded random numbers (the MLP's initialization and shuffling, the acquisition
 * protocol's draws): xoshiro128** 1.1 (Blackman & Vigna, 2018), its four 32-bit words of
 * state taken from the first two outputs of splitmix64 (Steele, Lea & Flood, 2014) run
 * from the seed, as the xoshiro authors recommend. Integer operations only (splitmix64 in
 * BigInt, xoshiro128** with Math.imul and 32-bit shifts): the same seed gives the same
 * sequence on every machine. Part of scores' numeric contract: changing anything here
 * changes fitted weights (MLP_VERSION) and purchased rows.
 */

const MASK64 = (1n << 64n) - 1n;
const TWO_POW_26 = 67108864;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** splitmix64 from a 64-bit state; each call returns the next 64-bit output. */
export function splitmix64(seed: bigint): () => bigint {
  let state = BigInt.asUintN(64, seed);
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
}

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** seed: an integer in 0..2^53-1 */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`random: the seed must be an integer in 0..2^53-1, got ${seed}`);
    const next = splitmix64(BigInt(seed));
    const a = next();
    const b = next();
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
  }

  /** The next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double in [0, 1) from 53 random bits: 27 of one output, 26 of the next. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** An integer in 0..bound-1, unbiased (draws below the largest multiple of bound). */
  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_32) throw new Error(`random: cannot draw below ${bound}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % bound;
  }

  /** Shuffles `order` in place: Fisher-Yates (Durstenfeld), from the last index down. */
  shuffle(order: Int32Array): void {
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.nextBelow(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}

function rotl(v: number, k: number): number {
  return (v << k) | (v >>> (32 - k));
}

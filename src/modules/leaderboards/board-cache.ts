import { keepBounded } from '../../core/cache/bounded.js';

/** What a challenge's boards were computed from, as one indexed query reads it (LeaderboardsRepository.boardState). */
export interface BoardStamp {
  challengeId: string;
  /** The challenge's board generation: PostgreSQL's triggers bump it with every change a board reads. */
  generation: string;
  currentVersion: number;
  status: string;
}

/** A computed board and the instant it stops holding by time alone (a phase opens or closes); null: never. */
export interface Computed<V> {
  value: V;
  validUntil: Date | null;
}

interface Entry<V> {
  stamp: string;
  result: Promise<Computed<V>>;
}

/**
 * Computed boards, one per challenge and query, each kept with the stamp it was computed
 * under. A read serves a kept board only when the challenge's stamp, read fresh from
 * PostgreSQL on that read, is the same (so a change committed by any process shows on
 * the next read of every process) and its time has not run out. Reads that arrive while a
 * board is being computed wait for that computation instead of starting their own; a
 * computation that fails is not kept.
 *
 * A board computed after its stamp was read may already include later changes; it is
 * then kept under the older stamp, which the next read replaces. Never the reverse: the
 * stamp is read before the board's rows, so a kept board is never older than its stamp.
 */
export class BoardCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  async get(stamp: BoardStamp, query: object, now: Date, compute: () => Promise<Computed<V>>): Promise<V> {
    if (this.max === 0) return (await compute()).value;
    const key = `${stamp.challengeId}?${canonicalQuery(query)}`;
    const tag = `${stamp.generation}:${stamp.currentVersion}:${stamp.status}`;
    const kept = this.entries.get(key);
    if (kept?.stamp === tag) {
      const computed = await kept.result;
      if (computed.validUntil === null || now < computed.validUntil) return computed.value;
    }
    const entry: Entry<V> = { stamp: tag, result: compute() };
    keepBounded(this.entries, this.max, key, entry);
    entry.result.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return (await entry.result).value;
  }
}

/** The query's own fields in a fixed order, undefined ones left out: `{phase, version}` and `{version, phase}` are one board. */
function canonicalQuery(query: object): string {
  return Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** Freezes a computed board all the way down, so that no reader can change what the next one is served. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Date)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

import { type FindOptionsWhere, In, type QueryDeepPartialEntity, type Repository } from 'typeorm';

/**
 * A row of work a worker runs under a lease (a submission's evaluation, a rescore): its
 * columns `status`, `attempts`, `lease_owner` and `lease_expires_at`. Leases run on the
 * database's clock, so the workers' clocks do not matter.
 */
export interface Leasable {
  id: string;
  status: string;
  attempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
}

/** SQL: the row is not running under a live lease (the reconciler may act on it). */
const NOT_UNDER_LIVE_LEASE = "(status <> 'running' OR lease_expires_at IS NULL OR lease_expires_at < now())";

/** A lease's end, `leaseMs` from the database's clock. */
function leaseUntil(leaseMs: number): () => string {
  const ms = Math.round(leaseMs);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`a lease must last a positive number of milliseconds, not ${leaseMs}`);
  return () => `now() + interval '${ms} milliseconds'`;
}

/**
 * → running from one of `sources`, counting the attempt, under a lease for `owner`:
 * false when the row is in none of them, running under another owner's live lease, or
 * has had `maxAttempts` already.
 */
export async function takeLease<T extends Leasable>(
  repo: Repository<T>,
  id: string,
  sources: readonly string[],
  lease: { owner: string; leaseMs: number; maxAttempts: number },
  also: QueryDeepPartialEntity<T> = {},
): Promise<boolean> {
  const result = await repo
    .createQueryBuilder()
    .update(repo.target)
    .set({ ...also, status: 'running', attempts: () => 'attempts + 1', leaseOwner: lease.owner, leaseExpiresAt: leaseUntil(lease.leaseMs) } as QueryDeepPartialEntity<T>)
    .where({ id, status: In([...sources]) } as FindOptionsWhere<T>)
    .andWhere("(status <> 'running' OR lease_owner IS NULL OR lease_owner = :owner OR lease_expires_at < now())", { owner: lease.owner })
    .andWhere('attempts < :maxAttempts', { maxAttempts: lease.maxAttempts })
    .execute();
  return (result.affected ?? 0) > 0;
}

/** Extends `owner`'s leases on these running rows; returns the ids it still holds. */
export async function renewLeases<T extends Leasable>(repo: Repository<T>, ids: string[], owner: string, leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await repo
    .createQueryBuilder()
    .update(repo.target)
    .set({ leaseExpiresAt: leaseUntil(leaseMs) } as QueryDeepPartialEntity<T>)
    .where({ id: In(ids), status: 'running', leaseOwner: owner } as FindOptionsWhere<T>)
    .returning(['id'])
    .updateEntity(false)
    .execute();
  return new Set((result.raw as { id: string }[]).map((r) => r.id));
}

/** Lets `owner`'s leases on these rows lapse now, for another worker to take them at once. */
export async function expireLeases<T extends Leasable>(repo: Repository<T>, ids: string[], owner: string): Promise<void> {
  if (ids.length === 0) return;
  await repo.update({ id: In(ids), status: 'running', leaseOwner: owner } as FindOptionsWhere<T>, { leaseExpiresAt: () => 'now()' } as QueryDeepPartialEntity<T>);
}

/**
 * The reconciler's writes: `values`, only while the row is as it was found stale (same
 * status and attempts) and not under a live lease, so a worker that took it meanwhile wins.
 */
export async function updateIfStale<T extends Leasable>(repo: Repository<T>, stale: Leasable, values: QueryDeepPartialEntity<T>): Promise<boolean> {
  const result = await repo
    .createQueryBuilder()
    .update(repo.target)
    .set(values)
    .where({ id: stale.id, status: stale.status, attempts: stale.attempts } as FindOptionsWhere<T>)
    .andWhere(NOT_UNDER_LIVE_LEASE)
    .execute();
  return (result.affected ?? 0) > 0;
}

/** Unfinished rows (in `statuses`) untouched for `graceMs` and not under a live lease, oldest first: the reconciler's candidates. */
export async function findStale<T extends Leasable>(repo: Repository<T>, statuses: readonly string[], graceMs: number, limit: number): Promise<T[]> {
  return repo
    .createQueryBuilder('row')
    .where('row.status IN (:...statuses)', { statuses })
    .andWhere('row.updated_at < :before', { before: new Date(Date.now() - graceMs) })
    .andWhere("(row.status <> 'running' OR row.lease_expires_at IS NULL OR row.lease_expires_at < now())")
    .orderBy('row.updated_at', 'ASC')
    .take(limit)
    .getMany();
}

/** What a lease's release leaves: no owner, no expiry (a row back in the queue, or finished). */
export const NO_LEASE = { leaseOwner: null, leaseExpiresAt: null } as const;

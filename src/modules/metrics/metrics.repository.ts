import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { BucketCount } from './histogram-series.js';

/** Submissions of one challenge in one status (and failure code). */
export interface SubmissionCount {
  challenge: string;
  status: string;
  code: string | null;
  count: number;
}

/**
 * The aggregates /metrics reads from PostgreSQL at each scrape: two grouped queries over
 * all submissions, whatever process or machine evaluated them. Challenges still in draft
 * are left out: their slugs must not appear anywhere public.
 */
@Injectable()
export class MetricsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async submissionCounts(): Promise<SubmissionCount[]> {
    const rows = await this.dataSource.query<{ challenge: string; status: string; code: string | null; count: number }[]>(
      `SELECT c.slug AS challenge, s.status, s.error_code AS code, count(*)::int AS count
         FROM submissions s
         JOIN challenges c ON c.id = s.challenge_id
        WHERE c.status <> 'draft'
        GROUP BY c.slug, s.status, s.error_code`,
    );
    return rows.map((r) => ({ challenge: r.challenge, status: r.status, code: r.code, count: Number(r.count) }));
  }

  /**
   * How long scored submissions took, from the first time a worker started one to its
   * score, grouped by challenge, trainer and histogram bucket. A row's bucket is the number
   * of `bounds` below its duration (Prometheus' `le`; see bucketIndex). The trainer is the
   * one of the score under the submission's own version (rescores are not evaluations of it).
   */
  async evaluationBuckets(bounds: readonly number[]): Promise<BucketCount<'challenge' | 'trainer'>[]> {
    const rows = await this.dataSource.query<{ challenge: string; trainer: string; bucket: number; count: number; sum: number }[]>(
      `SELECT c.slug AS challenge, sc.trainer_name AS trainer, b.bucket, count(*)::int AS count, sum(d.seconds)::float8 AS sum
         FROM submissions s
         JOIN challenges c ON c.id = s.challenge_id
         JOIN scores sc ON sc.submission_id = s.id AND sc.challenge_version = s.challenge_version
         -- finished_at comes from the worker's clock, started_at from the database's: never below 0.
         CROSS JOIN LATERAL (SELECT GREATEST(extract(epoch FROM s.finished_at - s.started_at)::float8, 0) AS seconds) d
         CROSS JOIN LATERAL (SELECT count(*)::int AS bucket FROM unnest($1::float8[]) AS bound WHERE bound < d.seconds) b
        WHERE s.status = 'scored' AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL AND c.status <> 'draft'
        GROUP BY c.slug, sc.trainer_name, b.bucket`,
      [bounds],
    );
    return rows.map((r) => ({ labels: { challenge: r.challenge, trainer: r.trainer }, bucket: Number(r.bucket), count: Number(r.count), sum: Number(r.sum) }));
  }
}

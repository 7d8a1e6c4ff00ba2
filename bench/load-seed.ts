import pg from 'pg';
import { macroF1, accuracy } from '../src/core/metrics/classification.js';
import { Xoshiro128 } from '../src/core/random/random.js';
import { uncertaintyOf } from '../src/modules/challenges/spec-parts.js';
import type { ChallengeSpec } from '../src/modules/challenges/challenge-bundle.schema.js';
import { intervalOf, resampledScore } from '../src/modules/leaderboards/statistics.js';
import { encodePredictions, encodeResampled } from '../src/modules/submissions/score-predictions.entity.js';
import { readChallengeCsv } from '../workers/trainers/testing/datasets.js';

export interface SeedSize {
  challenges: number;
  submissions: number;
  /** Participants in all; each challenge draws its own `perChallenge` of them. */
  participants: number;
  perChallenge: number;
}

export interface SeedResult {
  slugs: string[];
  seconds: number;
  /** Rows of score_predictions written: each board's leading entries (TIE_GROUP_LIMIT and a margin). */
  predictions: number;
}

/** Distinct prediction sets the scores are drawn from, worst to best (at most; fewer for small boards: each costs ~40 ms to resample). */
const POOL = 160;
/** Entries per board given stored predictions (the board compares the first 50). */
const WITH_PREDICTIONS = 60;

interface PoolEntry {
  metrics: Record<string, number>;
  data: Buffer;
  resampled: Buffer;
}

/**
 * Seeds `size.challenges` copies of a published challenge (`template`, a selection
 * challenge scored by macro-F1) with scored submissions, straight in SQL: accounts,
 * challenges and versions (the template's spec under a new slug), submissions and
 * scores by INSERT … SELECT generate_series, and the stored predictions and resampled
 * values the board's tie groups read for each board's leading entries.
 *
 * Each score is one of up to POOL real prediction sets on the template's test labels (labels
 * replaced at random with a share that sets its quality), with the metrics, interval and
 * resampled values the worker would store for it; a participant's submissions are drawn
 * around a skill of their own, so boards have leaders, a pack and a tail.
 */
export async function seedBoards(databaseUrl: string, template: string, testCsv: string, size: SeedSize): Promise<SeedResult> {
  const started = performance.now();
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const [{ spec }] = (
      await db.query<{ spec: ChallengeSpec }>('SELECT v.spec FROM challenges c JOIN challenge_versions v ON v.challenge_id = c.id AND v.version = c.current_version WHERE c.slug = $1', [template])
    ).rows;
    if (!spec) throw new Error(`seed: challenge "${template}" is not published`);
    const pool = predictionPool(readChallengeCsv(testCsv).y, spec, Math.min(POOL, Math.max(16, size.perChallenge)));
    const slugs = Array.from({ length: size.challenges }, (_, c) => `load-${String(c).padStart(3, '0')}`);
    const perChallenge = Math.floor(size.submissions / size.challenges);

    await db.query('BEGIN');
    // A fresh database that nothing reads yet: no triggers (the boards' change counters) and no foreign-key checks row by row.
    await db.query("SET LOCAL session_replication_role = 'replica'");
    await db.query('SELECT setseed(0.42)');
    await db.query(
      `INSERT INTO accounts (name, name_key) SELECT 'bench-' || lpad(a::text, 5, '0'), 'bench-' || lpad(a::text, 5, '0') FROM generate_series(0, $1 - 1) a`,
      [size.participants],
    );
    await db.query(
      `INSERT INTO challenges (slug, title, protocol, status, current_version)
       SELECT s, 'Load test board ' || s, t.protocol, 'open', 1 FROM unnest($1::text[]) s, challenges t WHERE t.slug = $2`,
      [slugs, template],
    );
    await db.query(
      `INSERT INTO challenge_versions (challenge_id, version, content_hash, spec, data_keys, data_summary)
       SELECT c.id, 1, v.content_hash, jsonb_set(v.spec, '{slug}', to_jsonb(c.slug)), v.data_keys, v.data_summary
         FROM challenges c, challenges t JOIN challenge_versions v ON v.challenge_id = t.id AND v.version = t.current_version
        WHERE t.slug = $2 AND c.slug = ANY($1)`,
      [slugs, template],
    );
    await db.query(`CREATE TEMP TABLE bench_pool (k int PRIMARY KEY, metrics jsonb, data bytea, resampled bytea) ON COMMIT DROP`);
    await db.query(`INSERT INTO bench_pool SELECT * FROM unnest($1::int[], $2::jsonb[], $3::bytea[], $4::bytea[])`, [
      pool.map((_, k) => k),
      pool.map((p) => JSON.stringify(p.metrics)),
      pool.map((p) => p.data),
      pool.map((p) => p.resampled),
    ]);
    // Which participants enter each challenge (a contiguous run of `perChallenge` accounts from an offset of its own), and their skill.
    await db.query(
      `CREATE TEMP TABLE bench_entrants ON COMMIT DROP AS
       SELECT c.id AS challenge_id, e AS slot, a.id AS account_id, random() AS skill
         FROM (SELECT id, row_number() OVER (ORDER BY slug) - 1 AS n FROM challenges WHERE slug = ANY($1)) c
         CROSS JOIN generate_series(0, $2 - 1) e
         JOIN (SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM accounts WHERE name LIKE 'bench-%') a ON a.n = (c.n * 7919 + e) % $3`,
      [slugs, size.perChallenge, size.participants],
    );
    await db.query(`CREATE INDEX ON bench_entrants (challenge_id, slot)`);
    // Submission i of a challenge is made by entrant i % perChallenge, at a time spread over the last 30 days.
    await db.query(
      `CREATE TEMP TABLE bench_subs ON COMMIT DROP AS
       SELECT gen_random_uuid() AS id, e.challenge_id, e.account_id,
              least($3 - 1, greatest(0, floor((0.75 * e.skill + 0.25 * random()) * $3)))::int AS k,
              now() - interval '30 days' + (i::float8 / $1) * interval '30 days' AS created_at
         FROM (SELECT id FROM challenges WHERE slug = ANY($2)) c
         CROSS JOIN generate_series(0, $1 - 1) i
         JOIN bench_entrants e ON e.challenge_id = c.id AND e.slot = i % $4`,
      [perChallenge, slugs, pool.length, size.perChallenge],
    );
    await db.query(
      `INSERT INTO submissions (id, challenge_id, challenge_version, account_id, status, queue, phase, file_key, file_bytes, file_sha256, item_count, attempts, created_at, started_at, finished_at, updated_at)
       SELECT id, challenge_id, 1, account_id, 'scored', 'evaluate-cpu', 'open', 'bench/' || id || '.csv', 1400, md5(id::text) || md5(k::text), 100, 1,
              created_at, created_at + interval '2 seconds', created_at + interval '3 seconds', created_at + interval '3 seconds'
         FROM bench_subs`,
    );
    await db.query(
      `INSERT INTO scores (submission_id, challenge_id, challenge_version, account_id, metric, value, metrics, trainer_name, trainer_version, submitted_at, created_at)
       SELECT s.id, s.challenge_id, 1, s.account_id, 'macro_f1', (p.metrics->>'macro_f1')::float8, p.metrics, 'logreg', '1', s.created_at, s.created_at + interval '3 seconds'
         FROM bench_subs s JOIN bench_pool p ON p.k = s.k`,
    );
    // What the board's tie groups read: each board's leading entries (each participant's best, earlier first on equal scores).
    const predictions = await db.query(
      `INSERT INTO score_predictions (score_id, seeds, examples, width, data, resampled_all, resample_seed, resample_count)
       SELECT b.score_id, 1, $2, 1, p.data, p.resampled, $3, $4
         FROM (SELECT *, row_number() OVER (PARTITION BY challenge_id ORDER BY value DESC, submitted_at) AS place
                 FROM (SELECT DISTINCT ON (sc.challenge_id, sc.account_id) sc.id AS score_id, sc.challenge_id, sc.value, sc.submitted_at, s.k
                         FROM scores sc JOIN bench_subs s ON s.id = sc.submission_id
                        ORDER BY sc.challenge_id, sc.account_id, sc.value DESC, sc.submitted_at) best) b
         JOIN bench_pool p ON p.k = b.k
        WHERE b.place <= $1`,
      [WITH_PREDICTIONS, pool[0].data.length, uncertaintyOf(spec).seed, uncertaintyOf(spec).resamples],
    );
    await db.query('COMMIT');
    await db.query('ANALYZE');
    return { slugs, seconds: (performance.now() - started) / 1000, predictions: predictions.rowCount ?? 0 };
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await db.end();
  }
}

/**
 * `size` prediction sets on the test labels, from a quarter to nearly all of the labels
 * right (each label kept or replaced at random), with what the worker stores for each: the
 * metrics and interval, the predictions, and the resampled values under the spec's draws.
 */
function predictionPool(truth: Int32Array, spec: ChallengeSpec, size: number): PoolEntry[] {
  const classes = Math.max(...truth) + 1;
  const random = new Xoshiro128(7);
  const settings = uncertaintyOf(spec);
  return Array.from({ length: size }, (_, k) => {
    const keep = 0.25 + (0.72 * k) / (size - 1);
    const predictions = Int32Array.from(truth, (y) => (random.nextDouble() < keep ? y : random.nextBelow(classes)));
    const values = resampledScore(macroF1, truth, [predictions], settings);
    const ci = intervalOf(values, settings.level);
    return {
      metrics: { accuracy: accuracy(truth, predictions), macro_f1: macroF1(truth, predictions), macro_f1_ci_low: ci.low, macro_f1_ci_high: ci.high },
      data: encodePredictions([predictions]).data,
      resampled: encodeResampled({ resamples: settings.resamples, seed: settings.seed, all: values }).resampledAll!,
    };
  });
}

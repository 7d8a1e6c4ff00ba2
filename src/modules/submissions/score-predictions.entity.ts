import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Score } from './score.entity.js';

/**
 * A score's predictions on the hidden test set, one row of labels per model seed, kept
 * for the board's paired comparisons and the Ladder. Derived from hidden data: no route
 * returns them.
 */
@Entity({ name: 'score_predictions' })
export class ScorePredictions {
  @PrimaryColumn({ name: 'score_id', type: 'uuid' })
  scoreId!: string;

  @OneToOne(() => Score, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'score_id' })
  score?: Relation<Score>;

  @Column({ type: 'smallint' })
  seeds!: number;

  @Column({ type: 'integer' })
  examples!: number;

  /** Bytes per label: 1 (fewer than 256 classes) or 4. */
  @Column({ type: 'smallint' })
  width!: number;

  @Column({ type: 'bytea' })
  data!: Buffer;

  /**
   * The score on each bootstrap resample of the test set, and of its public and private
   * parts (float64 little-endian), drawn with `resampleSeed` and `resampleCount`: what the
   * board's paired comparisons read.
   */
  @Column({ name: 'resampled_all', type: 'bytea', nullable: true })
  resampledAll!: Buffer | null;

  @Column({ name: 'resampled_public', type: 'bytea', nullable: true })
  resampledPublic!: Buffer | null;

  @Column({ name: 'resampled_private', type: 'bytea', nullable: true })
  resampledPrivate!: Buffer | null;

  @Column({ name: 'resample_seed', type: 'integer', nullable: true })
  resampleSeed!: number | null;

  @Column({ name: 'resample_count', type: 'integer', nullable: true })
  resampleCount!: number | null;
}

/** A score's resampled values by part, and the draws they were made with. */
export interface ResampledScores {
  resamples: number;
  seed: number;
  all?: Float64Array;
  public?: Float64Array;
  private?: Float64Array;
}

/** The resampled columns of a score_predictions row. */
export function encodeResampled(r: ResampledScores | undefined): Pick<ScorePredictions, 'resampledAll' | 'resampledPublic' | 'resampledPrivate' | 'resampleSeed' | 'resampleCount'> {
  const bytes = (v?: Float64Array) => {
    if (!v) return null;
    const out = Buffer.alloc(v.length * 8);
    v.forEach((x, i) => out.writeDoubleLE(x, i * 8));
    return out;
  };
  return {
    resampledAll: bytes(r?.all),
    resampledPublic: bytes(r?.public),
    resampledPrivate: bytes(r?.private),
    resampleSeed: r ? r.seed : null,
    resampleCount: r ? r.resamples : null,
  };
}

/** One part's resampled values from a stored column. */
export function decodeResampled(bytes: Buffer): Float64Array {
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

/** Predictions (one array per seed, all the same length) as stored: uint8 when they fit, else int32 little-endian. */
export function encodePredictions(predictions: readonly Int32Array[]): Pick<ScorePredictions, 'seeds' | 'examples' | 'width' | 'data'> {
  const examples = predictions[0].length;
  const width = predictions.every((p) => p.every((v) => v >= 0 && v < 256)) ? 1 : 4;
  const data = Buffer.alloc(predictions.length * examples * width);
  predictions.forEach((p, s) => {
    if (p.length !== examples) throw new Error(`predictions: seed ${s} has ${p.length} labels, seed 0 has ${examples}`);
    for (let i = 0; i < examples; i++) {
      if (width === 1) data[s * examples + i] = p[i];
      else data.writeInt32LE(p[i], (s * examples + i) * 4);
    }
  });
  return { seeds: predictions.length, examples, width, data };
}

export function decodePredictions(row: Pick<ScorePredictions, 'seeds' | 'examples' | 'width' | 'data'>): Int32Array[] {
  return Array.from({ length: row.seeds }, (_, s) => {
    const out = new Int32Array(row.examples);
    for (let i = 0; i < row.examples; i++) out[i] = row.width === 1 ? row.data[s * row.examples + i] : row.data.readInt32LE((s * row.examples + i) * 4);
    return out;
  });
}

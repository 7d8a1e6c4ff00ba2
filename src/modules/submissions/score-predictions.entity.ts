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

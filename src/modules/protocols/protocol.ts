import type { DataSummary } from '../challenges/challenge-version.entity.js';
import type { Direction } from '../challenges/spec-parts.js';
import type { Dataset } from '../challenges/dataset.js';

/** One data file a challenge.yaml names, and what it is for. */
export interface DataFile {
  /** Its name within the challenge: "pool", "test", "seller:atelier", "footwear/pool"… */
  role: string;
  /** Where the bundle keeps it (a path in the folder or an s3:// URI). */
  ref: string;
  /** The labels its label column is read with. */
  labels: readonly string[];
  /** Hidden files (test sets, true labels, sellers' rows) are never served by the API. */
  hidden: boolean;
}

/** A challenge version's data files, parsed on first use, by role. */
export interface ChallengeData {
  has(role: string): boolean;
  get(role: string): Promise<Dataset>;
}

/** The data files of a bundle being published, parsed, by role. */
export type BundleData = ReadonlyMap<string, Dataset>;

/**
 * A protocol: what a participant submits and how it is checked, as one module. The
 * worker side (training and scoring) is its evaluator in workers/evaluation/protocols/.
 * Adding a protocol adds one of each and a line in each registry; nothing else changes.
 */
export interface ProtocolDefinition<S, Parsed = unknown> {
  /** Every data file the spec names, in a fixed order (it enters the content hash). */
  dataFiles(spec: S): DataFile[];
  /**
   * Checks a bundle's parsed data beyond what parsing each file checks (shapes, ids,
   * budgets) and returns the problems, said for the bundle's author, and the public facts
   * the challenge page shows.
   */
  checkData(spec: S, data: BundleData): { problems: string[]; summary: DataSummary };
  /** What decides a score besides the data files; a change to it needs a new version. */
  scoringPart(spec: S): unknown;
  /** The ranking metric's name and direction. */
  ranking(spec: S): { metric: string; direction: Direction };
  /** Parts of the score the leaderboard shows beside it (a multi-task challenge's tasks), by metric name. */
  breakdown?(spec: S): { name: string; metric: string }[];
  /** The protocol's part of GET /challenges/:slug: budget, metric, submission format… (never hidden data). */
  describe(spec: S, summary: DataSummary): Record<string, unknown>;
  /**
   * Parses and validates a submission file completely. A problem throws an AppError whose
   * details name lines or files; nothing is stored before this passes. The worker
   * validates again with the same code. `data` may lack hidden files (offline scoring).
   */
  validate(file: Buffer, spec: S, data: ChallengeData): Promise<Parsed>;
  /** How many items the submission holds (shown on the submission). */
  itemCount(parsed: Parsed): number;
}

/** Public facts about one data file. */
export function fileSummary(ds: Dataset, labels: readonly string[]): { rows: number; features: number; labeled: boolean; classCounts: Record<string, number> } {
  const classCounts: Record<string, number> = {};
  if (ds.labeled) {
    for (const label of labels) classCounts[label] = 0;
    for (const y of ds.labels) classCounts[labels[y]]++;
  }
  return { rows: ds.n, features: ds.d, labeled: ds.labeled, classCounts };
}

/** Problems when `b` has other feature columns than `a`. */
export function sameFeatures(a: { ds: Dataset; ref: string }, b: { ds: Dataset; ref: string }): string[] {
  return a.ds.featureNames.join(',') === b.ds.featureNames.join(',')
    ? []
    : [`${a.ref} and ${b.ref} must have the same feature columns in the same order`];
}

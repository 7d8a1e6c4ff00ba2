import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import type { PoolData } from '../challenges/challenge-data.service.js';
import { cleaningProtocol } from './cleaning.protocol.js';
import { selectionProtocol } from './selection.protocol.js';

/** The public data a submission is checked against (never the hidden test set). */
export interface PublicData {
  spec: ChallengeSpec;
  pool: PoolData;
}

/**
 * The API side of a protocol: parse and validate a submission file completely and
 * synchronously. A problem throws an AppError whose details name lines; nothing is
 * stored before this passes. The worker validates again with the same code.
 */
export interface SubmissionValidator<Parsed> {
  readonly protocol: ChallengeSpec['protocol'];
  validate(file: Buffer, data: PublicData): Parsed;
  /** How many items the submission holds (shown on the submission). */
  itemCount(parsed: Parsed): number;
}

const VALIDATORS: { [P in ChallengeSpec['protocol']]: SubmissionValidator<unknown> } = {
  selection: selectionProtocol,
  cleaning: cleaningProtocol,
};

export function validatorFor(spec: ChallengeSpec): SubmissionValidator<unknown> {
  return VALIDATORS[spec.protocol];
}

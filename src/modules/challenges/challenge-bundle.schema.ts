import { z } from 'zod';
import { AcquisitionSpec, type AcquisitionChallengeSpec } from '../protocols/acquisition.protocol.js';
import { DatasetSpec, type DatasetChallengeSpec } from '../protocols/dataset.protocol.js';
import { MultitaskSpec, type MultitaskChallengeSpec } from '../protocols/multitask.protocol.js';
import { CleaningSpec, type CleaningChallengeSpec } from '../protocols/cleaning.protocol.js';
import { SelectionSpec, type SelectionChallengeSpec } from '../protocols/selection.protocol.js';

export { METRICS, type MetricName, type ModelSpec } from './spec-parts.js';
export type { AcquisitionChallengeSpec, CleaningChallengeSpec, DatasetChallengeSpec, MultitaskChallengeSpec, SelectionChallengeSpec };

/** challenge.yaml: one schema per protocol, told apart by `protocol`. */
export const ChallengeSpecSchema = z.discriminatedUnion('protocol', [SelectionSpec, CleaningSpec, AcquisitionSpec, DatasetSpec, MultitaskSpec]);

export type ChallengeSpec = z.infer<typeof ChallengeSpecSchema>;
export type Protocol = ChallengeSpec['protocol'];

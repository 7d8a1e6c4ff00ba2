import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { multitaskProtocol, taskProtocol } from './multitask.protocol.js';
import type { DataFile, ProtocolDefinition } from './protocol.js';

/** The API side of the challenge's protocol. */
export function protocolFor(spec: ChallengeSpec): ProtocolDefinition<ChallengeSpec> {
  return (spec.protocol === 'multitask' ? multitaskProtocol : taskProtocol(spec)) as unknown as ProtocolDefinition<ChallengeSpec>;
}

/**
 * Every data file of a challenge version in a fixed order (it enters the content hash):
 * the protocol's, then each round's hidden test set (role `round.<name>`).
 */
export function dataFilesOf(spec: ChallengeSpec): DataFile[] {
  const files = protocolFor(spec).dataFiles(spec);
  if (!spec.rounds?.length || !('data' in spec)) return files;
  return [...files, ...spec.rounds.map((r) => ({ role: roundRole(r.name), ref: r.test, labels: spec.data.labels, hidden: true }))];
}

/** The data role of a round's test set. */
export function roundRole(name: string): string {
  return `round.${name}`;
}

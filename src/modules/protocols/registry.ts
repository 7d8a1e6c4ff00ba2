import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { multitaskProtocol, taskProtocol } from './multitask.protocol.js';
import type { ProtocolDefinition } from './protocol.js';

/** The API side of the challenge's protocol. */
export function protocolFor(spec: ChallengeSpec): ProtocolDefinition<ChallengeSpec> {
  return (spec.protocol === 'multitask' ? multitaskProtocol : taskProtocol(spec)) as unknown as ProtocolDefinition<ChallengeSpec>;
}

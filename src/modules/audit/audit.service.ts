import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../accounts/access.js';
import type { AuditEntry } from './audit-entry.entity.js';
import { AuditRepository } from './audit.repository.js';

/** Who acted: an account through the API, or the operator's command line. */
export type Actor = Principal | { system: string };

export interface AuditEvent {
  action: string;
  challengeId?: string | null;
  target: { type: string; id: string };
  before?: object | null;
  after?: object | null;
  reason?: string | null;
}

export const AUDIT_COLUMNS = ['id', 'at', 'actorId', 'actorName', 'action', 'challengeId', 'targetType', 'targetId', 'before', 'after', 'reason'] as const satisfies (keyof AuditEntry)[];

const EXPORT_LIMIT = 100_000;

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** Appends one entry; pass the action's transaction so both land or neither does. */
  async record(actor: Actor, event: AuditEvent, em?: EntityManager): Promise<void> {
    await this.audit.append(
      {
        actorId: 'system' in actor ? null : actor.id,
        actorName: 'system' in actor ? actor.system : actor.name,
        action: event.action,
        challengeId: event.challengeId ?? null,
        targetType: event.target.type,
        targetId: event.target.id,
        before: event.before ?? null,
        after: event.after ?? null,
        reason: event.reason ?? null,
      },
      em,
    );
  }

  list(challengeId: string | null): Promise<AuditEntry[]> {
    return this.audit.list(challengeId, EXPORT_LIMIT);
  }
}

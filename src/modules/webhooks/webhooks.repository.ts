import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Webhook, WebhookDelivery, type WebhookEvent } from './webhook.entity.js';

export interface DueDelivery {
  id: string;
  event: WebhookEvent;
  payload: object;
  attempts: number;
  url: string;
  secret: string;
}

/** The delay before try n + 1: 2 s, 4 s, 8 s… at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** attempts);
}

@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get hooks() {
    return this.dataSource.getRepository(Webhook);
  }

  async create(row: Pick<Webhook, 'accountId' | 'challengeId' | 'url' | 'secret' | 'events'>): Promise<Webhook> {
    return this.hooks.save(this.hooks.create(row));
  }

  listFor(accountId: string, challengeId: string): Promise<Webhook[]> {
    return this.hooks.find({ where: { accountId, challengeId }, order: { createdAt: 'ASC' } });
  }

  findOwn(id: string, accountId: string): Promise<Webhook | null> {
    return this.hooks.findOneBy({ id, accountId });
  }

  async delete(id: string): Promise<void> {
    await this.hooks.delete({ id });
  }

  deliveries(webhookId: string, limit = 100): Promise<WebhookDelivery[]> {
    return this.dataSource.getRepository(WebhookDelivery).find({ where: { webhookId }, order: { createdAt: 'DESC' }, take: limit });
  }

  /**
   * Queues `event` about a finished submission for every hook that may hear of it: the
   * author's and their team's, the challenge's organizers', and admins'. One statement, so
   * the deliveries exist exactly when the event does.
   */
  async emitSubmission(event: WebhookEvent, submissionId: string): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO webhook_deliveries (webhook_id, event, payload)
       SELECT w.id, $2::varchar, json_build_object('event', $2::varchar, 'challenge', c.slug, 'submission', json_build_object('id', s.id, 'status', s.status), 'occurredAt', now())
         FROM submissions s
         JOIN challenges c ON c.id = s.challenge_id
         JOIN webhooks w ON w.challenge_id = s.challenge_id AND $2::varchar = ANY(w.events)
         JOIN accounts a ON a.id = w.account_id
        WHERE s.id = $1
          AND (a.role = 'admin'
               OR EXISTS (SELECT 1 FROM challenge_organizers o WHERE o.challenge_id = s.challenge_id AND o.account_id = w.account_id)
               OR (NOT s.dry_run AND (w.account_id = s.account_id
                   OR (s.team_id IS NOT NULL AND EXISTS (SELECT 1 FROM challenge_participants p WHERE p.challenge_id = s.challenge_id AND p.account_id = w.account_id AND p.team_id = s.team_id)))))
       RETURNING id`,
      [submissionId, event],
    );
    return rows.length;
  }

  /** Records that a phase closed; queues phase.closed for the challenge's hooks the first time only. */
  async emitPhaseClosed(challengeId: string, phase: string, closedAt: Date): Promise<number> {
    return this.dataSource.transaction(async (em) => {
      const inserted: unknown[] = await em.query(
        `INSERT INTO phase_closings (challenge_id, phase, closed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING phase`,
        [challengeId, phase, closedAt],
      );
      if (inserted.length === 0) return 0;
      const rows: unknown[] = await em.query(
        `INSERT INTO webhook_deliveries (webhook_id, event, payload)
         SELECT w.id, 'phase.closed', json_build_object('event', 'phase.closed', 'challenge', c.slug, 'phase', json_build_object('name', $2::text, 'closedAt', $3::timestamptz), 'occurredAt', now())
           FROM webhooks w JOIN challenges c ON c.id = w.challenge_id
          WHERE w.challenge_id = $1 AND 'phase.closed' = ANY(w.events)
         RETURNING id`,
        [challengeId, phase, closedAt],
      );
      return rows.length;
    });
  }

  /**
   * Takes up to `limit` deliveries that are due, and holds each for a minute (another
   * worker skips them meanwhile), so one delivery is sent by one worker at a time.
   */
  async claimDue(limit: number): Promise<DueDelivery[]> {
    // For an UPDATE, TypeORM's query() answers [rows, affected].
    const [rows]: [{ id: string; event: WebhookEvent; payload: object; attempts: number; url: string; secret: string }[], number] = await this.dataSource.query(
      `UPDATE webhook_deliveries d SET next_attempt_at = now() + interval '1 minute'
         FROM webhooks w
        WHERE w.id = d.webhook_id
          AND d.id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.id, d.event, d.payload, d.attempts, w.url, w.secret`,
      [limit],
    );
    return rows;
  }

  /** The outcome of one try: delivered, or tried again after a backoff, or failed for good. */
  async recordAttempt(id: string, outcome: { ok: boolean; status: number | null; error: string | null }, attempts: number, maxAttempts: number): Promise<void> {
    const status = outcome.ok ? 'delivered' : attempts >= maxAttempts ? 'failed' : 'pending';
    await this.dataSource.query(
      `UPDATE webhook_deliveries
          SET attempts = $2, status = $3::varchar, response_status = $4, last_error = $5,
              delivered_at = CASE WHEN $3::varchar = 'delivered' THEN now() ELSE NULL END,
              next_attempt_at = now() + ($6::int * interval '1 millisecond')
        WHERE id = $1`,
      [id, attempts, status, outcome.status, outcome.error, backoffMs(attempts)],
    );
  }
}

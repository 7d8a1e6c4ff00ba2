import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { ChallengesRepository } from '../../src/modules/challenges/challenges.repository.js';
import { phasesOf } from '../../src/modules/challenges/phases.js';
import { postJson, signature } from '../../src/modules/webhooks/webhook-http.js';
import { type DueDelivery, WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository.js';
import { Periodic } from './periodic.js';

const BATCH = 20;
/** A phase that closed longer ago than this when first seen is not announced (no flood on a first start). */
const PHASE_LOOKBACK_MS = 24 * 60 * 60 * 1000;

/**
 * Sends webhook deliveries: the outbox is the webhook_deliveries table (PostgreSQL, the
 * truth), so a delivery queued by any process is sent by whichever worker claims it
 * first; a failed try is retried with backoff up to WEBHOOK_ATTEMPTS. Also notices
 * phases that have closed and queues their phase.closed event, once per phase.
 */
@Injectable()
export class WebhookDeliverer {
  private readonly periodic: Periodic;
  private phasesCheckedAt = 0;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly challenges: ChallengesRepository,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.periodic = new Periodic(() => this.pass(), config.webhooks.pollMs, (err) => this.logger.warn({ err }, 'webhook pass failed; will retry'));
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass: announce newly closed phases (at the reconciler's pace: it reads every challenge), then send what is due. */
  async pass(): Promise<void> {
    if (Date.now() - this.phasesCheckedAt >= this.config.worker.reconcileIntervalMs) {
      this.phasesCheckedAt = Date.now();
      await this.announceClosedPhases();
    }
    const due = await this.webhooks.claimDue(BATCH);
    await Promise.all(due.map((d) => this.send(d)));
  }

  private async announceClosedPhases(): Promise<void> {
    const now = Date.now();
    for (const { challenge, version } of await this.challenges.list()) {
      if (challenge.status === 'draft') continue;
      for (const phase of phasesOf(version.spec)) {
        const closes = phase.closes === null ? undefined : Date.parse(phase.closes);
        if (closes === undefined || closes > now || closes < now - PHASE_LOOKBACK_MS) continue;
        const queued = await this.webhooks.emitPhaseClosed(challenge.id, phase.name, new Date(closes));
        if (queued > 0) this.logger.info({ challenge: challenge.slug, phase: phase.name, deliveries: queued }, 'phase closed: webhooks queued');
      }
    }
  }

  private async send(d: DueDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const result = await postJson(
      d.url,
      body,
      { 'x-sieve-event': d.event, 'x-sieve-delivery': d.id, 'x-sieve-timestamp': String(timestamp), 'x-sieve-signature': signature(d.secret, timestamp, body), 'user-agent': 'Sieve-Webhooks' },
      { allowPrivate: this.config.webhooks.allowPrivateUrls, timeoutMs: this.config.webhooks.timeoutMs },
    );
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const attempts = d.attempts + 1;
    await this.webhooks.recordAttempt(d.id, { ok, status: result.status, error: ok ? null : (result.error ?? `answered ${result.status}`) }, attempts, this.config.webhooks.attempts);
    const log = { deliveryId: d.id, event: d.event, attempt: attempts, status: result.status };
    if (ok) this.logger.info(log, 'webhook delivered');
    else this.logger.warn({ ...log, error: result.error }, attempts >= this.config.webhooks.attempts ? 'webhook failed for good' : 'webhook not delivered; will retry');
  }
}

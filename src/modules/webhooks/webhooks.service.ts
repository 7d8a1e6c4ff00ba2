import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CONFIG, type Config } from '../../core/config/config.js';
import { AppError } from '../../core/errors/app-error.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { Principal } from '../accounts/access.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { type Webhook, WEBHOOK_EVENTS } from './webhook.entity.js';
import { webhookUrlProblem } from './webhook-http.js';
import { WebhooksRepository } from './webhooks.repository.js';

export const CreateWebhook = z.strictObject({
  url: z.string().max(2048, 'at most 2048 characters'),
  events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .min(1, 'name at least one event')
    .refine((e) => new Set(e).size === e.length, 'lists an event twice'),
});

const MAX_HOOKS = 10;

const view = (w: Webhook) => ({ id: w.id, url: w.url, events: w.events, createdAt: w.createdAt });

/**
 * Webhooks: an account that takes part in a challenge (as a participant or an organizer)
 * registers URLs to be told of its submissions finishing and of phases closing. A
 * delivery says what happened and to which submission; the details are read through the
 * API with the receiver's own token, so a hook never carries more than its owner may see.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly hooks: WebhooksRepository,
    private readonly challenges: ChallengesService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async create(slug: string, principal: Principal, body: unknown) {
    const { url, events } = parseInput(CreateWebhook, body);
    const problem = webhookUrlProblem(url, this.config.webhooks.allowPrivateUrls);
    if (problem) throw AppError.unprocessable('invalid_webhook_url', `The webhook URL ${problem}`, [{ field: 'url', message: problem }]);
    const { challenge } = await this.challenges.asParticipant(slug, principal);
    if ((await this.hooks.listFor(principal.id, challenge.id)).length >= MAX_HOOKS) {
      throw AppError.conflict('too_many_webhooks', `You have ${MAX_HOOKS} webhooks on "${slug}", the most there can be; delete one first`);
    }
    const secret = randomBytes(32).toString('hex');
    const hook = await this.hooks.create({ accountId: principal.id, challengeId: challenge.id, url, events, secret });
    return { ...view(hook), secret };
  }

  async list(slug: string, principal: Principal) {
    const { challenge } = await this.challenges.asParticipant(slug, principal);
    return (await this.hooks.listFor(principal.id, challenge.id)).map(view);
  }

  async delete(id: string, principal: Principal) {
    const hook = await this.own(id, principal);
    await this.hooks.delete(hook.id);
    return { id: hook.id, deleted: true };
  }

  /** A hook's delivery log, newest first: what was sent, how often, and what the receiver answered. */
  async deliveries(id: string, principal: Principal) {
    const hook = await this.own(id, principal);
    return (await this.hooks.deliveries(hook.id)).map((d) => ({
      id: d.id,
      event: d.event,
      status: d.status,
      attempts: d.attempts,
      responseStatus: d.responseStatus,
      lastError: d.lastError,
      payload: d.payload,
      createdAt: d.createdAt,
      deliveredAt: d.deliveredAt,
      nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
    }));
  }

  private async own(id: string, principal: Principal): Promise<Webhook> {
    const hook = z.uuid().safeParse(id).success ? await this.hooks.findOwn(id, principal.id) : null;
    if (!hook) throw AppError.notFound(`Webhook "${id}"`);
    return hook;
  }
}

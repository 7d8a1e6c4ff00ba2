import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { CreateWebhook, WebhooksService } from './webhooks.service.js';

@Controller()
@RequireScope('read')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post('challenges/:slug/webhooks')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Register a webhook',
    description:
      'Participants hear of their own (team\'s) submissions, organizers of every submission, both of phases closing. Each delivery is a POST of `{event, challenge, submission: {id, status} | phase: {name, closedAt}, occurredAt}` with `X-Sieve-Event`, `X-Sieve-Delivery`, `X-Sieve-Timestamp` and `X-Sieve-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with the secret>`; a non-2xx answer is retried with backoff. The secret is shown once.',
    params: { slug: "The challenge's slug" },
    body: CreateWebhook,
    responses: { 201: '`{id, url, events, createdAt, secret}`', 403: 'Not joined (`not_joined`)', 404: 'No such challenge', 409: 'Too many webhooks', 422: 'A URL this server does not call (`invalid_webhook_url`)' },
  })
  create(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.webhooks.create(slug, principal, body);
  }

  @Get('challenges/:slug/webhooks')
  @ApiDoc({ summary: 'Your webhooks on a challenge', params: { slug: "The challenge's slug" }, responses: { 200: '`[{id, url, events, createdAt}]` (never the secrets)', 403: 'Not joined', 404: 'No such challenge' } })
  list(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.webhooks.list(slug, principal);
  }

  @Delete('webhooks/:id')
  @ApiDoc({ summary: 'Delete one of your webhooks', params: { id: "The webhook's id" }, responses: { 200: 'Deleted', 404: 'No such webhook of yours' } })
  delete(@CurrentAccount() principal: Principal, @Param('id') id: string) {
    return this.webhooks.delete(id, principal);
  }

  @Get('webhooks/:id/deliveries')
  @ApiDoc({ summary: "A webhook's delivery log", params: { id: "The webhook's id" }, responses: { 200: 'The deliveries, newest first: event, status, attempts, responseStatus, lastError, payload, times', 404: 'No such webhook of yours' } })
  deliveries(@CurrentAccount() principal: Principal, @Param('id') id: string) {
    return this.webhooks.deliveries(id, principal);
  }
}

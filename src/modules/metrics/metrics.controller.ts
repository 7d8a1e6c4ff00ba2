import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Registry } from 'prom-client';
import { SkipRateLimit } from '../../core/http/rate-limit.guard.js';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { OwnCredential } from '../accounts/access.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsService } from './metrics.service.js';

/** Scrapers poll on their own schedule: never rate limited; METRICS_TOKEN guards it when set. */
@Controller()
@OwnCredential()
@UseGuards(MetricsTokenGuard)
@SkipRateLimit()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus' text format. */
  @Get('metrics')
  @ApiDoc({
    summary: 'Prometheus metrics',
    description: 'The series listed in the README under Observability, in the Prometheus text format. With METRICS_TOKEN set, it needs `Authorization: Bearer <METRICS_TOKEN>`.',
    responses: { 200: 'The metrics', 401: 'METRICS_TOKEN is set and was not sent' },
    media: ['text/plain'],
  })
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}

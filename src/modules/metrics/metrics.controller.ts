import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { Registry } from 'prom-client';
import { SkipRateLimit } from '../../core/http/rate-limit.guard.js';
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
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}

import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsRepository } from './metrics.repository.js';
import { MetricsService } from './metrics.service.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

/** GET /metrics (Prometheus). createApi installs the HTTP latency middleware from MetricsService. */
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsRepository, MetricsTokenGuard],
  exports: [MetricsService],
})
export class MetricsModule {}

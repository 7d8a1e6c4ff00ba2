import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { type CoreOptions, CoreModule } from './core/core.module.js';
import { HttpLimitsModule } from './core/http/http-limits.module.js';
import { OpenApiModule } from './core/openapi/openapi.module.js';
import { AccountsModule } from './modules/accounts/accounts.module.js';
import { ChallengesModule } from './modules/challenges/challenges.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { LeaderboardsModule } from './modules/leaderboards/leaderboards.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { OrganizersModule } from './modules/organizers/organizers.module.js';
import { RescoringModule } from './modules/rescoring/rescoring.module.js';
import { SubmissionsModule } from './modules/submissions/submissions.module.js';
import { TeamsModule } from './modules/teams/teams.module.js';
import { WebModule } from './modules/web/web.module.js';
import { WebhooksModule } from './modules/webhooks/webhooks.module.js';
import { WorkersModule } from './modules/workers/workers.module.js';

@Module({})
export class AppModule {
  static forRoot(core: CoreOptions, extra: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(core),
        // First: its guards (rate limits, request shape) run before authentication.
        HttpLimitsModule,
        AccountsModule,
        ChallengesModule,
        SubmissionsModule,
        TeamsModule,
        WebhooksModule,
        OrganizersModule,
        LeaderboardsModule,
        RescoringModule,
        HealthModule,
        MetricsModule,
        WorkersModule,
        OpenApiModule,
        WebModule,
        ...extra,
      ],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { type CoreOptions, CoreModule } from '../core/core.module.js';
import { AccountsModule } from '../modules/accounts/accounts.module.js';
import { AuditModule } from '../modules/audit/audit.module.js';
import { ChallengesModule } from '../modules/challenges/challenges.module.js';
import { RescoringModule } from '../modules/rescoring/rescoring.module.js';

/** What the administrative commands need: no HTTP, no queue workers (publishing may queue rescores). */
@Module({})
export class CliModule {
  static forRoot(core: CoreOptions): DynamicModule {
    return { module: CliModule, imports: [CoreModule.forRoot(core), AccountsModule, AuditModule, ChallengesModule, RescoringModule] };
  }
}

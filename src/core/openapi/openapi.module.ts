import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { OpenApiController } from './openapi.controller.js';
import { OpenApiService } from './openapi.service.js';
import { RouteExplorer } from './route-explorer.js';

/** GET /api/v1/openapi.json and GET /docs. Swagger UI's files are mounted in src/api.ts (plain Express static files, not routes). */
@Module({
  imports: [DiscoveryModule],
  controllers: [OpenApiController],
  providers: [RouteExplorer, OpenApiService],
  exports: [OpenApiService],
})
export class OpenApiModule {}

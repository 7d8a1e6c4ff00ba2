import { Controller, Get, Res } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { Response } from 'express';
import { Public } from '../../modules/accounts/access.js';
import { ApiDoc } from './api-doc.js';
import { OpenApiService } from './openapi.service.js';
import { swaggerUiPage, type SwaggerUiPage } from './swagger-ui.js';

/** The API described: the OpenAPI document under the prefix, and a page to browse it at /docs (excluded from the prefix in src/api.ts). */
@Controller()
@Public()
export class OpenApiController {
  private page: SwaggerUiPage | null = null;

  constructor(
    private readonly openapi: OpenApiService,
    private readonly config: ApplicationConfig,
  ) {}

  @Get('openapi.json')
  @ApiDoc({
    summary: 'This document',
    description: 'The OpenAPI 3.1 description of every route, generated from the same zod schemas that validate requests.',
    responses: { 200: 'The OpenAPI document' },
    response: { type: 'object', required: ['openapi', 'info', 'paths'] },
  })
  document() {
    return this.openapi.document();
  }

  @Get('docs')
  @ApiDoc({
    summary: 'Browse the API (Swagger UI)',
    description: 'An HTML page that shows this document with Swagger UI, served from local files (works offline).',
    responses: { 200: 'The page' },
    media: ['text/html'],
  })
  docs(@Res() res: Response): void {
    // The document's URL follows the global prefix the router serves it under.
    const prefix = this.config.getGlobalPrefix().replace(/^\/+|\/+$/g, '');
    this.page ??= swaggerUiPage(prefix ? `/${prefix}/openapi.json` : '/openapi.json');
    res.setHeader('Content-Security-Policy', this.page.contentSecurityPolicy);
    res.type('html').send(this.page.html);
  }
}

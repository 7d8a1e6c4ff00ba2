import { applyDecorators, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor, UseFilters, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { ApiExcluded } from '../../core/openapi/api-doc.js';
import { PAGE_CSP } from './layout.js';
import { WebErrorFilter } from './web-error.filter.js';

/**
 * The paths the pages are served at, left out of the API's /api/v1 prefix (none of them
 * is a path of the API's routes, so the prefix still applies to every API route).
 */
export const WEB_PATHS = ['/', 'login', 'logout', 'register', 'assets/*path', 'c/*path'];

/** Every page answer: the pages' Content-Security-Policy, and never cached (pages show who is signed in). */
@Injectable()
class PageHeaders implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('Content-Security-Policy', PAGE_CSP);
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'same-origin');
    return next.handle();
  }
}

/** A controller of web pages (HTML for people, outside /api/v1 and the OpenAPI document): its errors are pages too, and its answers carry the pages' headers. */
export const WebPages = (): ClassDecorator => applyDecorators(ApiExcluded(), UseFilters(WebErrorFilter), UseInterceptors(PageHeaders));

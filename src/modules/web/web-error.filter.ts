import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { errorBodyOf } from '../../core/errors/app-error.filter.js';
import { LOGGER } from '../../core/logger/logger.js';
import type { Principal } from '../accounts/access.js';
import { html } from './html.js';
import { errorBox, layout, PAGE_CSP } from './layout.js';

const TITLES: Record<number, string> = { 400: 'Not a valid request', 401: 'Sign in first', 403: 'Not allowed', 404: 'Not found', 409: 'Not now', 413: 'Too large', 415: 'Not a form this page takes', 422: 'Not valid', 429: 'Too many requests' };

/**
 * The web pages' errors: the same error as the API's, as a page. Signing in is offered
 * where it would help (a page that needs an account, an expired session); a form that
 * failed says what was wrong and where (the lines of a refused file), and nothing was kept.
 */
@Catch()
export class WebErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { principal?: Principal }>();
    const response = http.getResponse<Response>();
    if (response.headersSent) {
      response.end();
      return;
    }
    const [status, { error }] = errorBodyOf(exception, this.logger);
    if (status === 401 && request.method === 'GET') {
      response.redirect(303, `/login?next=${encodeURIComponent(request.originalUrl)}`);
      return;
    }
    const viewer = { principal: request.principal, path: request.originalUrl };
    const back = request.method === 'GET' ? null : request.get('referer');
    const content = html`<h1>${TITLES[status] ?? 'Something went wrong'}</h1>
${errorBox(error.message, error.details)}
<p>${status === 401 && html`<a href="/login">Sign in</a> · `}${back && html`<a href="${sameSiteReferer(back, request)}">Go back</a> · `}<a href="/">All challenges</a></p>
${error.errorId && html`<p class="hint">Error id: <code>${error.errorId}</code></p>`}`;
    response.status(status).setHeader('Content-Security-Policy', PAGE_CSP);
    response.type('html').send(layout(viewer, TITLES[status] ?? 'Error', content));
  }
}

/** The page a form was sent from, when it is one of ours (never a link to elsewhere). */
function sameSiteReferer(referer: string, request: Request): string {
  try {
    const url = new URL(referer);
    return url.host === request.headers.host ? url.pathname + url.search : '/';
  } catch {
    return '/';
  }
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { methodLabel, routeLabel, statusLabel } from '../../core/http/http-labels.js';
import type { MetricsService } from './metrics.service.js';

/**
 * Times every request from its arrival to the last byte of its response, labelled by
 * the route pattern Express matched (never the raw URL). Installed before the body
 * parser and the router (see createApi), so refusals by the guards, the body limits and
 * unknown routes are timed too.
 */
export function httpLatency(metrics: MetricsService): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      const labels = { method: methodLabel(req.method), route: routeLabel(req.route, req.baseUrl), status: statusLabel(res.statusCode) };
      metrics.observeHttp(labels, (performance.now() - started) / 1000);
    });
    next();
  };
}

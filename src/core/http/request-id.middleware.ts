import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { acceptRequestId, REQUEST_ID_HEADER, runWithRequestId } from '../logger/request-context.js';
import { methodLabel, routeLabel, statusLabel } from './http-labels.js';

/**
 * Gives every request an id: the client's X-Request-Id when it is a sane value (so a
 * caller can follow its own request), else a fresh one. The id goes back in the
 * response's X-Request-Id, onto every log line written while serving the request (see
 * createLogger), and into the jobs the request adds (see EvaluationQueue), so the
 * worker's lines for a submission can be found from the API's. Installed first, before
 * the body parser (whose callbacks keep the context: raw-body binds them).
 */
export function requestIds(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = acceptRequestId(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    res.once('finish', () =>
      runWithRequestId(requestId, () =>
        logger.debug(
          { method: methodLabel(req.method), route: routeLabel(req.route, req.baseUrl), status: statusLabel(res.statusCode), ms: Math.round(performance.now() - started) },
          'request finished',
        ),
      ),
    );
    runWithRequestId(requestId, next);
  };
}

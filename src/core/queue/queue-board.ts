import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type Express, type NextFunction, type Request, type Response, Router } from 'express';
import { AppError } from '../errors/app-error.js';
import { QUEUES } from './jobs.js';
import type { QueueBackend } from './queue-backend.js';

/** Where the API mounts the board (outside the API prefix, like /docs and /metrics). */
export const QUEUE_BOARD_PATH = '/admin/queues';

/** Resolves when the request may see the board; throws an AppError (401, 403, 429…) when it may not. */
export type Authorize = (req: Request) => Promise<void>;

/** Writes an error in the one error shape (AppErrorFilter.reply). */
export type ErrorReply = (error: unknown, res: Response) => void;

/**
 * What the board's page may load: its own scripts, styles, images and highlight worker,
 * and its API. The page also links Google Fonts; that is refused (the board falls back
 * to system fonts) so that opening it tells no one else who looks at the queues. The
 * page's `<base href>` needs `base-uri 'self'`; its inline `<style>` and React's style
 * attributes need `'unsafe-inline'` styles. Its only inline script is a JSON data block,
 * which CSP does not run.
 */
export const QUEUE_BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The board's static files (its JS bundle, CSS, icons and translations: the package's own, nothing of Sieve). */
const STATIC_FILE = /^\/static\/[\w.-]+(?:\/[\w.-]+)*$/;

/** @bull-board/ui's folder, found the way Node resolves it (bull-board's own lookup runs `require.resolve` through eval). */
function bullBoardUiDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json'));
}

/**
 * A read-only view of the evaluation queues (bull-board): counts, jobs, their data, errors
 * and logs, for an operator to see what waits and what failed. Read-only on purpose:
 * PostgreSQL is the source of truth of submissions, and the reconciler and the workers
 * keep the queues in step with it; a job retried, removed or cleaned behind their back
 * would leave a submission's status saying otherwise. So every queue is in bull-board's
 * read-only mode, and this router also refuses any method but GET and HEAD (405) before
 * bull-board sees the request.
 *
 * `authorize` runs before every request but those for the package's static files; a
 * refusal is answered by `reply` in the one error shape with the AppError's status.
 * Mount the router at `basePath` (the page's links are relative to it).
 */
export function queueBoard(backend: QueueBackend, basePath: string, authorize: Authorize, reply: ErrorReply): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({
    queues: Object.values(QUEUES).map((name) => new BullMQAdapter(backend.queue(name), { readOnlyMode: true, allowRetries: false })),
    serverAdapter,
    options: { uiBasePath: bullBoardUiDir(), uiConfig: { boardTitle: 'Sieve queues', hideDocsLink: true } },
  });
  const board = serverAdapter.getRouter() as Express;
  // A sub-app keeps its own settings: the API's disable('x-powered-by') does not reach it.
  board.disable('x-powered-by');

  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(new AppError(405, 'method_not_allowed', `The queue board is read-only: ${req.method} is not allowed (PostgreSQL is the source of truth of submissions)`), res);
    }
    res.setHeader('Content-Security-Policy', QUEUE_BOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (STATIC_FILE.test(req.path) && !req.path.includes('..')) return next();
    // What the board shows is for its admins only: no shared cache keeps a copy.
    res.setHeader('Cache-Control', 'no-store');
    authorize(req).then(
      () => next(),
      (err: unknown) => reply(err, res),
    );
  });
  router.use(board);
  // Outside the API prefix Nest's not-found handler and error filter do not run: both are answered here.
  router.use((req: Request, res: Response) => reply(AppError.notFound(`${basePath}${req.path}`), res));
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => reply(err, res));
  return router;
}

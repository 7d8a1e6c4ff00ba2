import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Where Swagger UI's files are served from (outside the API prefix, like the page). */
export const DOCS_ASSETS_PATH = '/docs/assets';

/** The files the page loads; nothing else of the package is served (its index.html points at the public petstore). */
export const SWAGGER_UI_ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'favicon-16x16.png'] as const;

/**
 * swagger-ui-dist's folder. Its `absolute-path.js` is the package's documented way to
 * find it; requiring the package's index instead would load the 1.5 MB browser bundle
 * into the server for nothing.
 */
export function swaggerUiDir(): string {
  const absolutePath = createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js') as () => string;
  return absolutePath();
}

export interface SwaggerUiPage {
  html: string;
  /** Only this page's own script and the local assets run; nothing is fetched from elsewhere. */
  contentSecurityPolicy: string;
}

/**
 * The /docs page: Swagger UI from local files, reading the document at `specUrl`. Works
 * offline. The online validator Swagger UI calls by default is turned off (it would send
 * the document to swagger.io), and the standalone preset's top bar, which loads any URL
 * typed into it, is left out.
 */
export function swaggerUiPage(specUrl: string, title = 'Sieve API'): SwaggerUiPage {
  // JSON.stringify quotes the URL; "<" escaped so it cannot close the script element.
  const script = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl).replace(/</g, '\\u003c')}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null });`;
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<link rel="icon" type="image/png" sizes="32x32" href="${DOCS_ASSETS_PATH}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${DOCS_ASSETS_PATH}/favicon-16x16.png">
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script>${script}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${hash}'`,
    // Swagger UI sets inline styles and draws some icons as data: images.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}

/**
 * Express middleware serving SWAGGER_UI_ASSETS from `dir` (mounted at DOCS_ASSETS_PATH).
 * Anything else is a 404 in the one error shape, written here: outside the API prefix,
 * Nest's not-found handler and error filter do not run, and Express's own 404 is HTML.
 */
export function swaggerUiAssets(dir = swaggerUiDir()): (req: Request, res: Response, next: NextFunction) => void {
  const served = new Set<string>(SWAGGER_UI_ASSETS);
  const notFound = (res: Response) =>
    res.status(404).json({ error: { code: 'not_found', message: `Not a file of the API docs page; it loads ${SWAGGER_UI_ASSETS.map((a) => `${DOCS_ASSETS_PATH}/${a}`).join(', ')}`, details: [] } });
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.slice(1);
    if (!served.has(name)) return void notFound(res);
    res.sendFile(join(dir, name), { maxAge: '1h' }, (err?: Error) => {
      // A client that went away mid-file, or a package missing a file: nothing more to send, or a 404.
      if (err && !res.headersSent) notFound(res);
    });
  };
}

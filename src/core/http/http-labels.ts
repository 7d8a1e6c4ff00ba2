/**
 * Label values of the HTTP latency histogram. Every value comes from a small fixed set:
 * a raw URL (ids, slugs, query strings) would make one series per request and could
 * name a draft challenge, so a request is labelled by the route pattern it matched.
 */

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Requests no route matched (404s, bodies refused before routing) share one label. */
export const UNMATCHED_ROUTE = 'unmatched';

export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : 'OTHER';
}

/**
 * The pattern of the route that served the request (`/api/v1/challenges/:slug/submissions`),
 * as Express leaves it on `req.route` (and `req.baseUrl` for a mounted router).
 */
export function routeLabel(route: unknown, baseUrl = ''): string {
  const path = typeof route === 'object' && route !== null ? (route as { path?: unknown }).path : undefined;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  // No controller route has a wildcard; Nest answers unknown paths under the global
  // prefix with a catch-all of its own (`/api/v1*path`), which is no route of ours either.
  return path.includes('*') ? UNMATCHED_ROUTE : `${baseUrl}${path}`;
}

/** The status code as a label; anything outside 100-599 is a bug in the label, not a status. */
export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : 'other';
}

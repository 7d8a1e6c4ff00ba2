import { parse } from 'cookie';
import type { Request, Response } from 'express';

/**
 * The web pages' sign-in: a token of its own (named "web session", 7 days) in an
 * HttpOnly cookie. Browsers cannot send an Authorization header with a link, a form or
 * an EventSource, so the pages and GET routes of the API read the cookie when no header
 * came; a request that changes something must also come from this site (see sameOrigin).
 */
export const SESSION_COOKIE = 'sieve_session';
export const SESSION_DAYS = 7;

/** The session cookie's token, when the request has one. */
export function sessionToken(request: Request): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return parse(header)[SESSION_COOKIE] || undefined;
}

export function setSessionCookie(response: Response, request: Request, token: string): void {
  response.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: request.secure, path: '/', maxAge: SESSION_DAYS * 24 * 3600 * 1000 });
}

export function clearSessionCookie(response: Response, request: Request): void {
  response.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: request.secure, path: '/' });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Whether a browser sent this request from one of this site's own pages: the defence
 * against cross-site request forgery for cookie-signed requests, by the headers every
 * current browser sets (Sec-Fetch-Site, else Origin), as Go's http.CrossOriginProtection
 * does. A request with neither is refused: a browser old enough to send neither is not
 * trusted with a cookie that can submit.
 */
export function sameOrigin(request: Request): boolean {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

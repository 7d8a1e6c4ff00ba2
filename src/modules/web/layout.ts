import type { Principal } from '../accounts/access.js';
import { assetUrl } from './assets.js';
import { html, type HtmlValue, type SafeHtml } from './html.js';

/** Who is looking and where: what every page's frame needs. */
export interface Viewer {
  principal?: Principal;
  /** The page's own path and query, for "sign in and come back". */
  path: string;
}

/** What the pages allow themselves: their own files, no inline script or style, no framing, forms only to this site. */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

export function signInLink(viewer: Viewer): string {
  return `/login?next=${encodeURIComponent(viewer.path)}`;
}

/** A whole page: the site's header and navigation, the content in <main>, the footer. */
export function layout(viewer: Viewer, title: string, content: SafeHtml, opts: { scripts?: string[]; head?: HtmlValue } = {}): string {
  const who = viewer.principal
    ? html`<span>Signed in as <strong>${viewer.principal.name}</strong> (${viewer.principal.role})</span>
        <form method="post" action="/logout"><button type="submit">Sign out</button></form>`
    : html`<a href="${signInLink(viewer)}">Sign in</a> <a href="/register">Register</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Sieve</title>
<link rel="stylesheet" href="${assetUrl('sieve.css')}">
${opts.head}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div class="bar">
  <a class="brand" href="/">Sieve</a>
  <nav aria-label="Site"><ul><li><a href="/">Challenges</a></li><li><a href="/docs">API</a></li>${viewer.principal?.role === 'admin' && html`<li><a href="/admin/queues">Queues</a></li>`}</ul></nav>
  <div class="who">${who}</div>
</div></header>
<main id="main" tabindex="-1">
${content}
</main>
<footer class="site">Sieve: the model is fixed, the data competes. Every page here has an API route under <code>/api/v1</code>; see <a href="/docs">the API docs</a>.</footer>
${(opts.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
</body>
</html>`.value;
}

/** An error's message and its details (line, field), for a page or a form. */
export function errorBox(message: string, details: readonly { line?: number; field?: string; file?: string; message: string }[] = []): SafeHtml {
  return html`<div class="alert" role="alert"><p><strong>${message}</strong></p>${
    details.length > 0 &&
    html`<ul>${details.slice(0, 50).map((d) => html`<li>${d.line !== undefined ? `line ${d.line}: ` : d.field ? `${d.field}: ` : ''}${d.message}</li>`)}</ul>${
      details.length > 50 && html`<p>… and ${details.length - 50} more.</p>`
    }`
  }</div>`;
}

export function formatTime(at: Date | string | null | undefined): string {
  if (at === null || at === undefined) return '—';
  const d = typeof at === 'string' ? new Date(at) : at;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A score as the board prints it: enough digits to tell entries apart. */
export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Math.abs(value) >= 1000 ? value.toFixed(1) : value.toFixed(4);
}

/** A time element a reader's software understands. */
export function time(at: Date | string | null | undefined): SafeHtml {
  if (at === null || at === undefined) return html`—`;
  const iso = typeof at === 'string' ? at : at.toISOString();
  return html`<time datetime="${iso}">${formatTime(at)}</time>`;
}

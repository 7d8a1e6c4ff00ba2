import type { AuditEntry } from '../../audit/audit-entry.entity.js';
import type { RescoreProgress } from '../../rescoring/rescores.repository.js';
import { html } from '../html.js';
import { layout, time, type Viewer } from '../layout.js';
import { type ChallengeView, limitsText } from './challenge.page.js';
import { challengeTabs } from './challenge-nav.js';

/** How many audit entries the page shows (the newest); the CSV export has them all. */
export const AUDIT_SHOWN = 200;

function change(value: unknown): string {
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

/** An organizer's page: the phases (close the open one), rescoring runs, and the audit log. */
export function organizePage(viewer: Viewer, c: ChallengeView, rescores: readonly RescoreProgress[], audit: readonly AuditEntry[]): string {
  const slug = c.slug;
  const newest = [...audit].reverse().slice(0, AUDIT_SHOWN);
  const content = html`<p class="crumbs"><a href="/">Challenges</a> › <a href="/c/${slug}">${c.title}</a> ›</p>
<h1>Organize: ${c.title} <span class="badge ${c.status}">${c.status}</span></h1>
${challengeTabs(slug, 'organize', { signedIn: true, organizer: true })}
<nav aria-label="On this page"><p><a href="#phases">Phases</a> · <a href="#rescoring">Rescoring</a> · <a href="#audit">Audit log</a></p></nav>

<section aria-labelledby="phases"><h2 id="phases">Phases</h2>
<div class="table-wrap" tabindex="0"><table>
<caption>Closing the open phase ends its submissions now and reveals its private board; it is recorded in the audit log.</caption>
<thead><tr><th scope="col">Phase</th><th scope="col">Opens</th><th scope="col">Closes</th><th scope="col">Limits</th><th scope="col">Action</th></tr></thead>
<tbody>${c.phases.map(
    (p) => html`<tr><th scope="row">${p.title} <span class="hint">(${p.name})</span>${p.name === c.currentPhase && html` <span class="badge open">open now</span>`}</th><td>${p.opens ? time(p.opens) : 'from the start'}</td><td>${p.closes ? time(p.closes) : 'open-ended'}</td><td>${limitsText(p.limits)}</td><td>${
      p.name === c.currentPhase
        ? html`<form class="inline" method="post" action="/c/${slug}/organize/phases/${p.name}/close"><button type="submit" class="danger">Close “${p.title}” now</button></form>`
        : '—'
    }</td></tr>`,
  )}</tbody></table></div>
<p class="hint">Other schedule changes: <code>PATCH /api/v1/challenges/${slug}</code> with <code>{"phases": […]}</code>.</p>
</section>

<section aria-labelledby="rescoring"><h2 id="rescoring">Rescoring</h2>
<form class="stack" method="post" action="/c/${slug}/organize/rescore">
  <p>Score every scored submission again under version ${c.version} (those already scored under it are skipped), through the evaluation queues.</p>
  <div><button type="submit">Rescore under version ${c.version}</button></div>
</form>
${
  rescores.length === 0
    ? html`<p>No rescoring runs yet.</p>`
    : html`<div class="table-wrap" tabindex="0"><table><caption>Rescoring runs, newest first.</caption>
<thead><tr><th scope="col">Started</th><th scope="col" class="num">Version</th><th scope="col">Reason</th><th scope="col" class="num">Scored</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Waiting</th><th scope="col">State</th></tr></thead>
<tbody>${rescores.map(
        (r) => html`<tr><td>${time(r.createdAt)}</td><td class="num">${r.version}</td><td>${r.reason}</td><td class="num">${r.scored} of ${r.total}</td><td class="num">${r.failed}</td><td class="num">${r.queued + r.running}</td><td>${r.done ? 'done' : 'running'}</td></tr>`,
      )}</tbody></table></div>`
}
</section>

<section aria-labelledby="audit"><h2 id="audit">Audit log</h2>
${
  newest.length === 0
    ? html`<p>No entries yet.</p>`
    : html`<div class="table-wrap" tabindex="0"><table><caption>The newest ${newest.length} of ${audit.length} entries. Nobody can change or delete them.</caption>
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col" class="hide-narrow">Change</th><th scope="col">Reason</th></tr></thead>
<tbody>${newest.map(
        (e) => html`<tr><td>${time(e.at)}</td><td>${e.actorName}</td><td><code>${e.action}</code></td><td>${e.targetType} <code>${e.targetId}</code></td><td class="hide-narrow"><code>${change(e.before)}</code>${e.after !== null && html` → <code>${change(e.after)}</code>`}</td><td>${e.reason ?? ''}</td></tr>`,
      )}</tbody></table></div>`
}
<p class="hint">The whole log: <a href="/api/v1/challenges/${slug}/audit?format=csv">CSV</a> or <a href="/api/v1/challenges/${slug}/audit">JSON</a>.</p>
</section>`;
  return layout(viewer, `Organize: ${c.title}`, content);
}

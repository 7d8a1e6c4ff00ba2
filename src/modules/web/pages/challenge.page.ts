import type { ChallengesService } from '../../challenges/challenges.service.js';
import type { SubmissionsService } from '../../submissions/submissions.service.js';
import { html, type SafeHtml } from '../html.js';
import { formatScore, layout, signInLink, time, type Viewer } from '../layout.js';
import { challengeTabs } from './challenge-nav.js';

export type ChallengeView = Awaited<ReturnType<ChallengesService['describe']>>;
export type SubmissionView = Awaited<ReturnType<SubmissionsService['get']>>;

/** A value of the challenge's description, readable: numbers with separators, lists joined, objects as small lists. */
export function factValue(value: unknown): SafeHtml {
  if (value === null || value === undefined) return html`—`;
  if (typeof value === 'number') return html`${Number.isInteger(value) ? value.toLocaleString('en-US') : String(value)}`;
  if (typeof value === 'boolean') return html`${value ? 'yes' : 'no'}`;
  if (typeof value === 'string') return html`${value}`;
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object' || v === null) ? html`${value.join(', ')}` : html`<code>${JSON.stringify(value)}</code>`;
  const fields = Object.entries(value as Record<string, unknown>);
  // A small table of counts (per class, per seller) reads best on one line.
  if (fields.length > 0 && fields.every(([, v]) => typeof v === 'number')) return html`${fields.map(([k, v]) => `${k}: ${(v as number).toLocaleString('en-US')}`).join(', ')}`;
  return facts(value as Record<string, unknown>);
}

/** An object's fields as a definition list (camelCase keys spelled out). */
export function facts(fields: Record<string, unknown>): SafeHtml {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return html`—`;
  return html`<dl class="facts">${entries.map(([k, v]) => html`<dt>${spelled(k)}</dt><dd>${factValue(v)}</dd>`)}</dl>`;
}

function spelled(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function standing(viewer: Viewer, c: ChallengeView, submitKey: string): SafeHtml {
  const slug = c.slug;
  if (!viewer.principal) {
    return html`<div class="panel"><p><a href="${signInLink(viewer)}">Sign in</a> or <a href="/register">register</a> to join this challenge, download its data and submit.</p></div>`;
  }
  if (c.you?.organizer) {
    return html`<div class="panel"><p>You organize this challenge (${c.you.organizer}). <a href="/c/${slug}/organize">Phases, rescoring and the audit log</a>.</p></div>`;
  }
  if (viewer.principal.role !== 'participant') {
    return html`<div class="panel"><p>Organizers and admins do not compete; join with a participant account.</p></div>`;
  }
  if (!c.you?.joinedAt) {
    return html`<section class="panel" aria-labelledby="join-title">
<h2 id="join-title">Join</h2>
<p>Joining accepts the rules and the license below (version ${c.version}); then you can download the data and submit.</p>
<form class="stack" method="post" action="/c/${slug}/join">
  <label class="check"><input type="checkbox" name="acceptRules" value="yes" required> <span>I accept the rules and the license of this challenge</span></label>
  <div><button type="submit">Join the challenge</button></div>
</form></section>`;
  }
  const format = (c as { submissionFormat?: { description?: string; maxFileBytes?: number } }).submissionFormat;
  return html`<section class="panel" aria-labelledby="submit-title">
<p>You joined on ${time(c.you.joinedAt)}${c.you.teamId && ' (in a team)'}.</p>
<h2 id="data-title">Data</h2>
${c.files.length === 0 ? html`<p>This challenge has no files to download.</p>` : html`<ul>${c.files.map((f) => html`<li><a href="${f.url}" download>Download the ${f.role} (CSV)</a></li>`)}</ul>`}
<h2 id="submit-title">Submit</h2>
${
  c.currentPhase === null || c.status !== 'open'
    ? html`<p>No phase is taking submissions now.</p>`
    : html`<form class="stack" method="post" action="/c/${slug}/submit" enctype="multipart/form-data">
  <input type="hidden" name="idempotencyKey" value="${submitKey}">
  <div><label for="file">Your submission</label><br><span class="hint" id="file-hint">${format?.description ?? 'The file this challenge takes.'}${format?.maxFileBytes !== undefined && ` At most ${format.maxFileBytes.toLocaleString('en-US')} bytes.`}</span>
  <input type="file" id="file" name="file" required aria-describedby="file-hint"></div>
  <div><button type="submit">Submit</button></div>
</form>`
}
<p><a href="/c/${slug}/submissions">Your submissions</a></p>
</section>`;
}

function phasesTable(c: ChallengeView): SafeHtml {
  return html`<div class="table-wrap" tabindex="0"><table>
<caption>Phases: submissions go to the phase open at the time; limits count per team or lone participant.</caption>
<thead><tr><th scope="col">Phase</th><th scope="col">Opens</th><th scope="col">Closes</th><th scope="col">Limits</th></tr></thead>
<tbody>${c.phases.map(
    (p) => html`<tr><th scope="row">${p.title}${p.name === c.currentPhase && html` <span class="badge open">open now</span>`}</th><td>${p.opens ? time(p.opens) : 'from the start'}</td><td>${p.closes ? time(p.closes) : 'open-ended'}</td><td>${limitsText(p.limits)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function limitsText(limits: { perDay?: number; total?: number; concurrent?: number }): string {
  const parts = [limits.perDay !== undefined && `${limits.perDay} a day`, limits.total !== undefined && `${limits.total} in all`, limits.concurrent !== undefined && `${limits.concurrent} at a time`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

function baselines(baseline: SubmissionView | null, c: ChallengeView): SafeHtml {
  if (!baseline || baseline.status !== 'scored') {
    return html`<p>No baseline has been scored on this server under version ${c.version} yet; the challenge's README lists its baselines.</p>`;
  }
  const low = baseline.metrics?.[`${baseline.metric}_ci_low`];
  const high = baseline.metrics?.[`${baseline.metric}_ci_high`];
  return html`<div class="table-wrap" tabindex="0"><table>
<caption>The organizers' baseline, scored by this server like any submission (the dry run of version ${c.version}).</caption>
<thead><tr><th scope="col">Baseline</th><th scope="col" class="num">${baseline.metric}</th><th scope="col" class="num">95% interval</th><th scope="col">Scored</th></tr></thead>
<tbody><tr><th scope="row">Dry run</th><td class="num">${formatScore(baseline.score)}</td><td class="num">${low === undefined ? '—' : `${formatScore(low)} – ${formatScore(high)}`}</td><td>${time(baseline.finishedAt)}</td></tr></tbody>
</table></div>`;
}

/** A challenge: what it is, its rules, data, model, metric and phases; join, download and submit. */
/** `submitKey`: the submit form's Idempotency-Key (a new one each time the page is shown). */
export function challengePage(viewer: Viewer, c: ChallengeView, baseline: SubmissionView | null, submitKey: string): string {
  const described = c as ChallengeView & { data?: Record<string, unknown>; budget?: Record<string, unknown>; metric?: { name: string; direction: string } };
  const content = html`<p class="crumbs"><a href="/">Challenges</a> ›</p>
<h1>${c.title} <span class="badge ${c.status}">${c.status}</span></h1>
<p class="lead">${c.summary}</p>
${challengeTabs(c.slug, 'overview', { signedIn: Boolean(viewer.principal), organizer: Boolean(c.you?.organizer) })}
${standing(viewer, c, submitKey)}
<h2>Rules</h2>
<p class="rules">${c.rules}</p>
<p><strong>License:</strong> ${c.license ?? 'not stated'}</p>
<h2>Data</h2>
${described.data ? facts(described.data) : html`<p>—</p>`}
<p class="hint">The test set is hidden: no page or route serves it, and scores come from the workers only.</p>
<h2>Model</h2>
${facts({ kind: c.model.kind, ...c.model.params, seeds: c.model.seedInvariant ? 'one run (the model does not depend on a seed)' : c.model.seeds, runsOn: `${c.resources.class.toUpperCase()} workers${c.resources.waiting ? ` (${c.resources.waiting})` : ''}` })}
${described.budget && html`<h2>Budget</h2>${facts(described.budget)}`}
${described.metric && html`<h2>Metric</h2>
<p><strong>${described.metric.name}</strong>, ${described.metric.direction === 'maximize' ? 'higher is better' : 'lower is better'}. ${c.uncertainty.note}</p>`}
<h2>Phases</h2>
${phasesTable(c)}
<h2>Baselines</h2>
${baselines(baseline, c)}
<p class="hint">Version ${c.version}, published ${time(c.publishedAt)}. Also as JSON: <a href="/api/v1/challenges/${c.slug}"><code>/api/v1/challenges/${c.slug}</code></a>.</p>`;
  return layout(viewer, c.title, content);
}

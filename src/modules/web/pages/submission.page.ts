import { COUNTED_FAILURES, type FailureCode } from '../../submissions/submission-status.js';
import { assetUrl } from '../assets.js';
import { html, type SafeHtml } from '../html.js';
import { errorBox, formatScore, layout, time, type Viewer } from '../layout.js';
import type { SubmissionView } from './challenge.page.js';
import { challengeTabs } from './challenge-nav.js';

const LIVE = new Set(['queued', 'running']);

function result(s: SubmissionView): SafeHtml {
  if (s.status === 'scored') {
    const low = s.metrics?.[`${s.metric}_ci_low`];
    const high = s.metrics?.[`${s.metric}_ci_high`];
    return html`<section aria-labelledby="score-title"><h2 id="score-title">Score</h2>
<p><span class="score">${formatScore(s.score)}</span> ${s.metric}${low !== undefined && high !== undefined && html` <span class="hint">(95% interval ${formatScore(low)} – ${formatScore(high)})</span>`}</p>
${!s.revealed && html`<p class="note">This is the score on the public part of the test set; the private part is revealed ${s.revealsAt ? html`on ${time(s.revealsAt)}` : 'when the phase closes'}.</p>`}
<p><a href="/c/${s.challenge}/leaderboard">See it on the leaderboard</a></p></section>`;
  }
  if (s.status === 'failed' && s.error) {
    return html`<section aria-labelledby="error-title"><h2 id="error-title">Why it failed</h2>
${errorBox(`${s.error.code}: ${s.error.message ?? ''}`, s.error.details)}
<p>${COUNTED_FAILURES.includes(s.error.code as FailureCode) ? 'This submission counts against your limits.' : 'This failure does not count against your limits.'}</p></section>`;
  }
  return html``;
}

/** One submission: its status live while it is evaluated, then its score, or why it failed. */
export function submissionPage(viewer: Viewer, title: string, s: SubmissionView, organizer: boolean): string {
  const live = LIVE.has(s.status);
  const content = html`<p class="crumbs"><a href="/">Challenges</a> › <a href="/c/${s.challenge}">${title}</a> ›</p>
<h1>Submission <code>${s.id.slice(0, 8)}</code></h1>
${challengeTabs(s.challenge, organizer ? 'organize' : 'mine', { signedIn: true, organizer })}
<div${live ? html` data-events="/api/v1/submissions/${s.id}/events"` : ''}>
<p>Status: <strong><span id="live-status" class="badge ${s.status}">${s.status}</span></strong>${s.disqualified && html` · <strong>disqualified</strong>: ${s.disqualified.reason}`}</p>
${
  live &&
  html`<p id="live-stage" aria-live="polite">${s.waiting ?? (s.status === 'queued' ? 'Waiting for a worker' : 'Running')}</p>
<label for="live-progress" class="visually-hidden">Progress</label>
<progress id="live-progress" max="100" value="0">0%</progress>`
}
</div>
${result(s)}
<h2>Details</h2>
${html`<dl class="facts">
<dt>Challenge</dt><dd><a href="/c/${s.challenge}">${s.challenge}</a>, version ${s.challengeVersion}</dd>
<dt>Phase</dt><dd>${s.phase}</dd>
<dt>Items</dt><dd>${s.items ?? '—'}</dd>
<dt>Submitted</dt><dd>${time(s.createdAt)}</dd>
<dt>Started</dt><dd>${time(s.startedAt)}</dd>
<dt>Finished</dt><dd>${time(s.finishedAt)}</dd>
<dt>Attempts</dt><dd>${s.attempts}</dd>
<dt>Trainer</dt><dd>${s.trainer ? `${s.trainer.name} ${s.trainer.version}` : '—'}</dd>
${s.final && html`<dt>Final pick</dt><dd>yes</dd>`}
</dl>`}
<p class="hint">Also as <a href="/api/v1/submissions/${s.id}">JSON</a>.</p>`;
  const head = live ? html`<noscript><meta http-equiv="refresh" content="5"></noscript>` : undefined;
  return layout(viewer, `Submission ${s.id.slice(0, 8)}`, content, { scripts: live ? [assetUrl('submission.js')] : [], head });
}

/** A participant's (or team's) submissions to one challenge, newest first. */
export function mySubmissionsPage(viewer: Viewer, title: string, slug: string, submissions: readonly SubmissionView[]): string {
  const content = html`<p class="crumbs"><a href="/">Challenges</a> › <a href="/c/${slug}">${title}</a> ›</p>
<h1>My submissions: ${title}</h1>
${challengeTabs(slug, 'mine', { signedIn: true, organizer: false })}
${
  submissions.length === 0
    ? html`<p>None yet. <a href="/c/${slug}#submit-title">Submit a file</a>.</p>`
    : html`<div class="table-wrap" tabindex="0"><table>
<caption>Newest first; in a team, the team's.</caption>
<thead><tr><th scope="col">Submission</th><th scope="col">Status</th><th scope="col" class="num">Score</th><th scope="col" class="hide-narrow">Phase</th><th scope="col">Submitted</th></tr></thead>
<tbody>${submissions.map(
        (s) => html`<tr><th scope="row"><a href="/c/${slug}/submissions/${s.id}"><code>${s.id.slice(0, 8)}</code></a></th><td><span class="badge ${s.status}">${s.status}</span>${s.error && html` <span class="hint">${s.error.code}</span>`}</td><td class="num">${formatScore(s.score)}</td><td class="hide-narrow">${s.phase}</td><td>${time(s.createdAt)}</td></tr>`,
      )}</tbody></table></div>
<p class="hint">Also as <a href="/api/v1/challenges/${slug}/submissions?format=csv">CSV</a>.</p>`
}`;
  return layout(viewer, `My submissions: ${title}`, content);
}

import { html } from '../html.js';
import { layout, type Viewer } from '../layout.js';

export interface ChallengeSummary {
  slug: string;
  title: string;
  summary: string;
  protocol: string;
  status: string;
  version: number;
}

/** The front page: every listed challenge. */
export function challengesPage(viewer: Viewer, challenges: readonly ChallengeSummary[]): string {
  const content = html`<h1>Challenges</h1>
<p class="lead">The model is fixed; the data competes. Pick a challenge, download its pool, and submit the data you would train on.</p>
${
  challenges.length === 0
    ? html`<p>No challenges are open yet.</p>`
    : html`<ul class="cards">${challenges.map(
        (c) => html`<li class="card">
  <h2><a href="/c/${c.slug}">${c.title}</a></h2>
  <p>${c.summary}</p>
  <p><span class="badge ${c.status}">${c.status}</span> · ${c.protocol} · version ${c.version} · <a href="/c/${c.slug}/leaderboard">Leaderboard<span class="visually-hidden"> of ${c.title}</span></a></p>
</li>`,
      )}</ul>`
}`;
  return layout(viewer, 'Challenges', content);
}

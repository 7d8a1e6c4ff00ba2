import { html, type SafeHtml } from '../html.js';

export type ChallengeTab = 'overview' | 'leaderboard' | 'mine' | 'organize';

/** The tabs of a challenge's pages; organizers see theirs, participants their submissions. */
export function challengeTabs(slug: string, current: ChallengeTab, opts: { signedIn: boolean; organizer: boolean }): SafeHtml {
  const tabs: [ChallengeTab, string, string][] = [
    ['overview', 'Overview', `/c/${slug}`],
    ['leaderboard', 'Leaderboard', `/c/${slug}/leaderboard`],
    ...(opts.signedIn && !opts.organizer ? [['mine', 'My submissions', `/c/${slug}/submissions`] as [ChallengeTab, string, string]] : []),
    ...(opts.organizer ? [['organize', 'Organize', `/c/${slug}/organize`] as [ChallengeTab, string, string]] : []),
  ];
  return html`<nav aria-label="Challenge"><ul class="tabs">${tabs.map(
    ([tab, label, href]) => html`<li><a href="${href}"${tab === current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>`;
}

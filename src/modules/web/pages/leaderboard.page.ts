import type { LeaderboardsService } from '../../leaderboards/leaderboards.service.js';
import { html, trusted } from '../html.js';
import { formatScore, layout, time, type Viewer } from '../layout.js';
import { scorePlot } from '../score-plot.js';
import { challengeTabs } from './challenge-nav.js';

export type Board = Awaited<ReturnType<LeaderboardsService['get']>>;
export type BoardHistory = Awaited<ReturnType<LeaderboardsService['withHistory']>>['history'];

/** The board with its tie groups and intervals, and the best score over time. */
export function leaderboardPage(viewer: Viewer, title: string, board: Board, history: BoardHistory, organizer: boolean): string {
  const better = board.direction === 'maximize' ? 'higher is better' : 'lower is better';
  const part = board.split === null ? 'the whole hidden test set' : `the ${board.split} part of the hidden test set`;
  const hasCi = board.entries.some((e) => e.ci !== null);
  const content = html`<p class="crumbs"><a href="/">Challenges</a> › <a href="/c/${board.challenge}">${title}</a> ›</p>
<h1>Leaderboard: ${title}</h1>
${challengeTabs(board.challenge, 'leaderboard', { signedIn: Boolean(viewer.principal), organizer })}
<p>Phase <strong>${board.phase}</strong>, version ${board.version}: ${board.metric} on ${part}, ${better}.${board.ladder && ' Scores are released by the Ladder: a new score shows only when it beats your last one by a significant margin.'}</p>
${
  board.entries.length === 0
    ? html`<p>No scored submissions yet.</p>`
    : html`<div class="table-wrap" tabindex="0"><table>
<caption>Each competitor's best submission. Entries whose difference is not significant (paired bootstrap, 95%) share a tie group and a rank range; a thick line starts a new group.</caption>
<thead><tr><th scope="col" class="num">Rank</th><th scope="col">Competitor</th><th scope="col" class="num">${board.metric}</th>${hasCi && html`<th scope="col" class="num">95% interval</th>`}<th scope="col" class="num hide-narrow">Tie group</th><th scope="col" class="hide-narrow">Submitted</th></tr></thead>
<tbody>${board.entries.map((e, i) => {
        const starts = i > 0 && e.tieGroup !== board.entries[i - 1].tieGroup;
        const range = e.rankRange && e.rankRange[0] !== e.rankRange[1] ? `${e.rankRange[0]}–${e.rankRange[1]}` : String(e.rank);
        return html`<tr${starts ? html` class="group-start"` : ''}><td class="num">${range}</td><th scope="row">${e.participant}${e.team && html` <span class="badge">team</span>`}</th><td class="num">${formatScore(e.score)}${e.spread !== null && html` <span class="hint">± ${formatScore(e.spread)}</span>`}</td>${hasCi && html`<td class="num">${e.ci ? `${formatScore(e.ci.low)} – ${formatScore(e.ci.high)}` : '—'}</td>`}<td class="num hide-narrow">${e.tieGroup === null ? '—' : e.tieGroup + 1}</td><td class="hide-narrow">${time(e.submittedAt)}</td></tr>`;
      })}</tbody></table></div>`
}
<h2 id="plot-title">Best score over time</h2>
<figure class="plot" aria-labelledby="plot-title">
${trusted(scorePlot(history.points, { direction: history.direction, metric: history.metric, title: `Best ${history.metric} over time` }))}
<figcaption>Each dot is a scored submission; the line is the best score on the board at each moment (${better}).</figcaption>
</figure>
<p class="hint">Also as <a href="/api/v1/challenges/${board.challenge}/leaderboard">JSON</a> or <a href="/api/v1/challenges/${board.challenge}/leaderboard?format=csv">CSV</a>.</p>`;
  return layout(viewer, `Leaderboard: ${title}`, content);
}

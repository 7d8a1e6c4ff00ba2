import { createHash } from 'node:crypto';

/**
 * The pages' only stylesheet and script, served from /assets (the pages' Content-Security-Policy
 * allows no inline style or script). Light, system fonts, readable on a phone; colours
 * keep a contrast of at least 4.5:1 on their backgrounds.
 */
export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #4d5560; --bg: #ffffff; --panel: #f4f6f8; --line: #d0d7de; --accent: #1f4e9c; --ok: #116329; --bad: #a40e26; --warn: #7d4e00; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 100%; line-height: 1.5; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #f2b600; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
header.site { background: var(--fg); color: #fff; }
header.site .bar { max-width: 72rem; margin: 0 auto; padding: .6rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header.site a { color: #fff; }
header.site .brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; }
header.site nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
header.site .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
header.site form { margin: 0; }
header.site button { background: transparent; color: #fff; border: 1px solid #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
footer.site { max-width: 72rem; margin: 2rem auto 1rem; padding: 0 1rem; color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 .75rem; }
h2 { font-size: 1.25rem; margin: 1.75rem 0 .5rem; }
p.lead { color: var(--muted); margin-top: 0; }
.crumbs { font-size: .9rem; color: var(--muted); margin: .25rem 0; }
.tabs { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .5rem 0 1rem; list-style: none; border-bottom: 1px solid var(--line); }
.tabs a { display: inline-block; padding: .4rem 0; text-decoration: none; }
.tabs a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--accent); }
.cards { list-style: none; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.card { border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; background: var(--bg); }
.card h2 { margin-top: 0; font-size: 1.1rem; }
.badge { display: inline-block; font-size: .8rem; padding: .05rem .45rem; border-radius: 1rem; border: 1px solid currentColor; }
.badge.open, .badge.scored { color: var(--ok); }
.badge.closed, .badge.failed { color: var(--bad); }
.badge.draft, .badge.queued, .badge.running { color: var(--warn); }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: .5rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: .5rem .75rem; color: var(--muted); font-size: .9rem; }
th, td { text-align: left; padding: .45rem .75rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); border-top: 0; }
td.num, th.num { text-align: right; }
tr.group-start td { border-top: 2px solid var(--fg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.panel { background: var(--panel); border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
form.stack { display: grid; gap: .75rem; max-width: 36rem; }
label { font-weight: 600; }
.hint { color: var(--muted); font-size: .9rem; font-weight: 400; }
input[type="text"], input[type="password"], input[type="file"], input[type="datetime-local"], select { font: inherit; padding: .45rem .5rem; border: 1px solid #6e7781; border-radius: .35rem; width: 100%; max-width: 36rem; background: #fff; color: var(--fg); }
.check { display: flex; gap: .5rem; align-items: flex-start; font-weight: 400; }
.check input { margin-top: .3rem; width: 1.1rem; height: 1.1rem; }
button, .button { font: inherit; font-weight: 600; cursor: pointer; padding: .5rem 1rem; border-radius: .35rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; text-decoration: none; display: inline-block; min-height: 2.5rem; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
.inline { display: inline; }
.alert { border-left: 4px solid var(--bad); background: #fff0f0; padding: .75rem 1rem; margin: 1rem 0; }
.note { border-left: 4px solid var(--accent); background: #eef4fc; padding: .75rem 1rem; margin: 1rem 0; }
.alert ul, .note ul { margin: .5rem 0 0; padding-left: 1.25rem; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--panel); padding: .75rem; border-radius: .35rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.rules { white-space: pre-line; }
progress { width: 100%; max-width: 36rem; height: 1.25rem; }
time { white-space: nowrap; }
.score { font-size: 2rem; font-weight: 700; }
figure.plot { margin: 1rem 0; }
figure.plot svg { display: block; width: 100%; height: auto; max-width: 48rem; }
figure.plot figcaption { color: var(--muted); font-size: .9rem; }
.plot-best { stroke: #1f4e9c; }
.plot-point { fill: #6e7781; }
.plot-record { fill: #1f4e9c; }
.plot-axis line, .plot-axis path { stroke: #4d5560; }
.plot-axis text { fill: #1b1f24; stroke: none; font-size: 12px; }
.plot-grid { stroke: #d0d7de; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 40rem) {
  h1 { font-size: 1.35rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .5rem; }
  th, td { padding: .4rem .5rem; }
  .hide-narrow { display: none; }
  .plot-axis text { font-size: 15px; }
}
`;

/**
 * The submission page's live progress: follows the submission's server-sent events (the
 * session cookie signs the request) and reloads the page once it is scored or failed,
 * which then shows the score or the error from the server. Without JavaScript the page
 * refreshes itself instead (a <noscript> refresh).
 */
export const SUBMISSION_SCRIPT = `
(function () {
  var root = document.querySelector('[data-events]');
  if (!root || !('EventSource' in window)) return;
  var status = document.getElementById('live-status');
  var stage = document.getElementById('live-stage');
  var bar = document.getElementById('live-progress');
  var source = new EventSource(root.getAttribute('data-events'));
  function describe(p) {
    if (p.stage === 'training') return 'Training run ' + p.step + ' of ' + p.steps + (p.seed === null || p.seed === undefined ? '' : ' (seed ' + p.seed + ')');
    if (p.stage === 'validating') return 'Validating the file';
    if (p.stage === 'evaluating') return 'Evaluating on the hidden test set';
    return p.stage;
  }
  source.addEventListener('progress', function (e) {
    var p = JSON.parse(e.data);
    if (typeof p.percent === 'number') { bar.value = p.percent; bar.textContent = p.percent + '%'; }
    stage.textContent = describe(p);
  });
  source.addEventListener('status', function (e) {
    var s = JSON.parse(e.data);
    status.textContent = s.status;
    status.className = 'badge ' + s.status;
    if (s.status === 'scored' || s.status === 'failed') { source.close(); window.location.reload(); }
  });
})();
`;

function versioned(body: string): { body: string; version: string } {
  return { body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export const ASSETS = {
  'sieve.css': { type: 'text/css; charset=utf-8', ...versioned(STYLESHEET) },
  'submission.js': { type: 'text/javascript; charset=utf-8', ...versioned(SUBMISSION_SCRIPT) },
} as const;
export type AssetName = keyof typeof ASSETS;

/** An asset's URL, with its content hash so a changed file is fetched again. */
export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${ASSETS[name].version}`;
}

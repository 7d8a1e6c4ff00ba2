import escapeHtml from 'escape-html';
import type { Direction } from '../leaderboards/ranking.js';
import { formatTime } from './layout.js';

/** One scored submission on the plot. */
export interface PlotPoint {
  at: Date;
  score: number;
  competitor: string;
}

/** How to draw a {@link scorePlot}. */
export interface ScorePlotOptions {
  direction: Direction;
  /** The score's name: the y axis label. */
  metric: string;
  /** The viewBox's size (default 640 × 320); the SVG itself scales to its container's width. */
  width?: number;
  height?: number;
  /** The accessible name (default "Best <metric> over time"). */
  title?: string;
  /** Where the best line ends (default, and at the earliest: the last submission's time). */
  now?: Date;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Time-axis steps under two days (labels `HH:MM`) and from two days on (labels `YYYY-MM-DD`). */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE).concat([1, 2, 3, 6, 12].map((h) => h * HOUR));
const DATE_STEPS = [1, 2, 7, 14, 30, 60, 91, 182, 365, 730, 1825, 3650].map((d) => d * DAY);
const MAX_TICKS = 6;
/** At most this many dots for submissions that set no record. */
export const MAX_DOTS = 2000;
const MARGIN = { top: 16, right: 40, bottom: 44, left: 64 };
// Fallback colours (CSS classes may override them), readable on white.
const INK = '#333';
const AXIS = '#555';
const GRID = '#e0e0e0';
const BEST = '#1f4e9c';
const POINT = '#666';
const EMPTY = 'No scored submissions yet';

/**
 * The submissions that set a new best score, in time order: the first scored one, then each
 * strictly better than all before it (an equal score is no record). Scores that are not finite
 * numbers are ignored; submissions at the same time keep their input order.
 */
export function bestOverTime(points: readonly PlotPoint[], direction: Direction): PlotPoint[] {
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  const records: PlotPoint[] = [];
  for (const p of scoredInTimeOrder(points)) {
    const best = records.at(-1);
    if (!best || better(p.score, best.score)) records.push(p);
  }
  return records;
}

/**
 * A leaderboard's best score over time as an accessible, self-contained `<svg>` string: a dot
 * per scored submission, a step line for the running best (a larger dot where it improves,
 * with a tooltip), nice axis ticks. Every user-supplied text is XML-escaped; colours come as
 * CSS classes (`plot-best`, `plot-point`, `plot-record`, `plot-axis`, `plot-grid`) with
 * presentation-attribute fallbacks, never inline styles or scripts. Same input, same string.
 */
export function scorePlot(points: readonly PlotPoint[], opts: ScorePlotOptions): string {
  const width = size(opts.width, 640, 240);
  const height = size(opts.height, 320, 160);
  const title = opts.title ?? `Best ${opts.metric} over time`;
  const data = scoredInTimeOrder(points);
  const records = bestOverTime(data, opts.direction);
  const best = records.at(-1);
  if (!best) {
    const message = `<text x="${round(width / 2)}" y="${round(height / 2)}" text-anchor="middle" fill="${INK}" font-family="sans-serif" font-size="14">${EMPTY}</text>`;
    return svg(width, height, title, `${EMPTY}.`, [message]);
  }

  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };

  // Time axis: from the first submission to `now`; a lone instant gets a day either side.
  const first = data[0].at.getTime();
  const last = data[data.length - 1].at.getTime();
  const now = opts.now && Number.isFinite(opts.now.getTime()) ? Math.max(opts.now.getTime(), last) : last;
  const [tLo, tHi] = now > first ? [first, now] : [first - DAY, first + DAY];
  const clock = tHi - tLo < 2 * DAY;
  const xTicks = ticks(tLo, tHi, timeStep(tLo, tHi, clock ? CLOCK_STEPS : DATE_STEPS));
  const x = scale(xTicks, plot.left, plot.right);
  const timeLabel = (t: number) => new Date(t).toISOString().slice(clock ? 11 : 0, clock ? 16 : 10);

  // Score axis: the scores' range (padded when they are all equal), widened to nice ticks.
  let [vLo, vHi] = [data[0].score, data[0].score];
  for (const p of data) [vLo, vHi] = [Math.min(vLo, p.score), Math.max(vHi, p.score)];
  if (vLo === vHi) {
    const pad = Math.abs(vLo) * 0.1 || 1;
    [vLo, vHi] = [vLo - pad, vHi + pad];
  }
  const yTicks = ticks(vLo, vHi, niceStep((vHi - vLo) / 4));
  const y = scale(yTicks, plot.bottom, plot.top);
  const decimals = Math.max(0, -Math.floor(Math.log10(yTicks[1] - yTicks[0]) + 1e-9));
  const scoreLabel = (v: number) => (decimals <= 10 ? v.toFixed(decimals) : formatScore(v));

  const grid = yTicks.map((v) => `<line x1="${plot.left}" y1="${y(v)}" x2="${plot.right}" y2="${y(v)}"/>`);
  const axisLines = [`M${plot.left},${plot.top}V${plot.bottom}H${plot.right}`]
    .concat(yTicks.map((v) => `M${plot.left - 4},${y(v)}H${plot.left}`))
    .concat(xTicks.map((t) => `M${x(t)},${plot.bottom}V${plot.bottom + 4}`));
  const yLabels = yTicks.map((v) => `<text x="${plot.left - 7}" y="${round(y(v) + 4)}" text-anchor="end">${scoreLabel(v)}</text>`);
  const xLabels = xTicks.map((t) => `<text x="${x(t)}" y="${plot.bottom + 17}" text-anchor="middle">${timeLabel(t)}</text>`);
  const midY = round((plot.top + plot.bottom) / 2);
  const axis = [
    `<g class="plot-axis" fill="${INK}" font-family="sans-serif" font-size="11">`,
    `<path d="${axisLines.join('')}" fill="none" stroke="${AXIS}"/>`,
    ...yLabels,
    ...xLabels,
    `<text x="${round((plot.left + plot.right) / 2)}" y="${height - 6}" text-anchor="middle">Submitted (UTC)</text>`,
    `<text transform="rotate(-90)" x="${-midY}" y="14" text-anchor="middle">${escapeXml(opts.metric)}</text>`,
    '</g>',
  ];

  // The running best: level until the next record, then straight up (or down) to it.
  const steps = records.map((r, i) => (i === 0 ? `M${x(r.at.getTime())},${y(r.score)}` : `H${x(r.at.getTime())}V${y(r.score)}`));
  if (x(now) > x(best.at.getTime())) steps.push(`H${x(now)}`);

  const isRecord = new Set(records);
  const others = data.filter((p) => !isRecord.has(p));
  // A busy board keeps its page light: past MAX_DOTS, an even sample of the other submissions (every record stays).
  const stride = Math.ceil(others.length / MAX_DOTS);
  const dots = others
    .filter((_, i) => i % stride === 0)
    .map((p) => `<circle class="plot-point" cx="${x(p.at.getTime())}" cy="${y(p.score)}" r="2.5" fill="${POINT}"/>`);
  const recordDots = records.map(
    (r) =>
      `<circle class="plot-record" cx="${x(r.at.getTime())}" cy="${y(r.score)}" r="5" fill="${BEST}" stroke="#fff" stroke-width="1.5">` +
      `<title>${escapeXml(`${r.competitor}: ${formatScore(r.score)} at ${formatTime(r.at)}`)}</title></circle>`,
  );

  const sampled = stride > 1 ? ` (dots for every record and every ${stride}th other one)` : '';
  const count = `${data.length} scored submission${data.length === 1 ? '' : 's'}${sampled}`;
  const better = opts.direction === 'maximize' ? 'higher' : 'lower';
  const desc = `${count}. Best ${opts.metric} (${better} is better): ${formatScore(best.score)}, set by ${best.competitor} at ${formatTime(best.at)}.`;
  return svg(width, height, title, desc, [
    `<g class="plot-grid" stroke="${GRID}">`,
    ...grid,
    '</g>',
    ...axis,
    `<path class="plot-best" d="${steps.join('')}" fill="none" stroke="${BEST}" stroke-width="2"/>`,
    ...dots,
    ...recordDots,
  ]);
}

/** The root element: scales to its container, named by its `<title>` and described by its `<desc>`. */
function svg(width: number, height: number, title: string, desc: string, body: string[]): string {
  // Ids from the content: deterministic, and distinct for different plots on one page.
  const id = `score-plot-${hash(`${title}\n${desc}`)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="${id}-title ${id}-desc">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(desc)}</desc>`,
    ...body,
    '</svg>',
  ].join('\n');
}

/** The points with a finite score and a valid time, in time order (ties: input order). */
function scoredInTimeOrder(points: readonly PlotPoint[]): PlotPoint[] {
  return points
    .filter((p) => Number.isFinite(p.score) && Number.isFinite(p.at.getTime()))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The indexes `k` of the ticks `k × step` from at or below `lo` to at or above `hi`, at least three. */
function tickIndexes(lo: number, hi: number, step: number): { from: number; to: number } {
  const from = Math.floor(lo / step + 1e-9);
  return { from, to: Math.max(Math.ceil(hi / step - 1e-9), from + 2) };
}

/** Multiples of `step` from at or below `lo` to at or above `hi`, at least three. */
function ticks(lo: number, hi: number, step: number): number[] {
  const { from, to } = tickIndexes(lo, hi, step);
  // Guards against a step that under- or overflowed (scores near the limits of a double).
  if (!Number.isFinite(from) || !Number.isFinite(to) || to - from > 100) return [lo, lo / 2 + hi / 2, hi];
  const out: number[] = [];
  for (let k = from; k <= to; k++) out.push(k * step);
  return out;
}

/** A 1, 2 or 5 × 10^k step at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/** The smallest of `candidates` (or a doubling of the largest) giving at most six ticks. */
function timeStep(lo: number, hi: number, candidates: readonly number[]): number {
  const fits = (step: number) => {
    const { from, to } = tickIndexes(lo, hi, step);
    return to - from + 1 <= MAX_TICKS;
  };
  const step = candidates.find(fits);
  if (step !== undefined) return step;
  let doubled = candidates[candidates.length - 1] * 2;
  while (!fits(doubled)) doubled *= 2;
  return doubled;
}

/** Maps the span of `domain` (its first to its last tick) onto `from`..`to`, rounded to 2 decimals. */
function scale(domain: readonly number[], from: number, to: number): (value: number) => number {
  const lo = domain[0];
  const span = domain[domain.length - 1] - lo || 1;
  return (value) => round(from + ((value - lo) / span) * (to - from));
}

function round(n: number): number {
  return Math.round(n * 100) / 100 || 0;
}

function size(value: number | undefined, fallback: number, min: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.max(round(value), min) : fallback;
}

/** A score with at most six significant digits. */
function formatScore(score: number): string {
  return String(Number(score.toPrecision(6)));
}

/** Text safe in XML content and quoted attributes (escape-html), without the control characters XML forbids. */
function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex -- these are the characters to drop
  return escapeHtml(text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ''));
}

/** FNV-1a, 32 bits, as 8 hex digits. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

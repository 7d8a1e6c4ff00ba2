import type { Direction } from '../leaderboards/ranking.js';
import { bestOverTime, type PlotPoint, scorePlot } from './score-plot.js';

const at = (hour: number) => new Date(Date.UTC(2026, 0, 1, hour));
const p = (competitor: string, score: number, hour: number): PlotPoint => ({ competitor, score, at: at(hour) });

/** The circles drawn, in document order. */
function circles(svg: string): { kind: string; cx: number; cy: number }[] {
  return [...svg.matchAll(/<circle class="([^"]+)" cx="([^"]+)" cy="([^"]+)"/g)].map((m) => ({ kind: m[1], cx: Number(m[2]), cy: Number(m[3]) }));
}

/** The vertices of the best-score line, read from its `d` (absolute M, H and V commands). */
function bestLine(svg: string): { x: number; y: number }[] {
  const paths = [...svg.matchAll(/<path class="plot-best" d="([^"]*)"/g)];
  expect(paths).toHaveLength(1);
  const vertices: { x: number; y: number }[] = [];
  for (const [, command, a, b] of paths[0][1].matchAll(/([MHV])(-?[\d.]+)(?:,(-?[\d.]+))?/g)) {
    const previous = vertices.at(-1);
    if (command === 'M') vertices.push({ x: Number(a), y: Number(b) });
    else if (previous && command === 'H') vertices.push({ x: Number(a), y: previous.y });
    else if (previous && command === 'V') vertices.push({ x: previous.x, y: Number(a) });
    else throw new Error(`unexpected path command ${command}`);
  }
  return vertices;
}

/** The visible texts (axis labels, tick labels, messages). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

const scoreLabels = (svg: string) => texts(svg).filter((t) => t !== '' && Number.isFinite(Number(t))).map(Number);
const timeLabels = (svg: string) => texts(svg).filter((t) => /^\d\d:\d\d$|^\d{4}-\d\d-\d\d$/.test(t));

describe('bestOverTime', () => {
  it.each<[string, PlotPoint[], Direction, [string, number][]]>([
    ['keeps each new maximum', [p('a', 0.5, 1), p('b', 0.4, 2), p('c', 0.7, 3), p('d', 0.6, 4), p('e', 0.9, 5)], 'maximize', [['a', 0.5], ['c', 0.7], ['e', 0.9]]],
    ['keeps each new minimum', [p('a', 0.5, 1), p('b', 0.6, 2), p('c', 0.3, 3), p('d', 0.1, 4)], 'minimize', [['a', 0.5], ['c', 0.3], ['d', 0.1]]],
    ['leaves the record with whoever reached a score first', [p('a', 0.5, 1), p('b', 0.5, 2)], 'maximize', [['a', 0.5]]],
    ['reads the submissions in time order', [p('late', 0.9, 5), p('early', 0.5, 1), p('middle', 0.7, 3)], 'maximize', [['early', 0.5], ['middle', 0.7], ['late', 0.9]]],
    ['keeps the input order of submissions at the same time', [p('first', 0.5, 1), p('second', 0.9, 1)], 'maximize', [['first', 0.5], ['second', 0.9]]],
    ['ignores scores that are not finite numbers', [p('nan', Number.NaN, 1), p('a', 0.2, 2), p('inf', Number.POSITIVE_INFINITY, 3), p('b', 0.3, 4)], 'maximize', [['a', 0.2], ['b', 0.3]]],
    ['is empty without scored submissions', [p('nan', Number.NaN, 1)], 'minimize', []],
  ])('%s', (_name, points, direction, expected) => {
    expect(bestOverTime(points, direction).map((r) => [r.competitor, r.score])).toEqual(expected);
  });
});

describe('scorePlot', () => {
  const board = [p('alice', 0.61, 0), p('bob', 0.7, 5), p('carol', 0.65, 9), p('dave', 0.93, 30), p('bob', 0.8, 40)];

  it.each<[Direction, PlotPoint[]]>([
    ['maximize', board],
    ['minimize', [p('a', 12, 0), p('b', 15, 2), p('c', 9, 4), p('d', 3, 8), p('e', 4, 9)]],
  ])('draws the best line (%s) as steps through the records, up to the latest submission', (direction, points) => {
    const svg = scorePlot(points, { direction, metric: 'score' });
    const records = circles(svg).filter((c) => c.kind === 'plot-record');
    expect(records).toHaveLength(bestOverTime(points, direction).length);
    const line = bestLine(svg);
    // Level from each record to the next one's time, then a jump to its score.
    records.forEach((r, i) => expect(line[2 * i]).toEqual({ x: r.cx, y: r.cy }));
    records.slice(1).forEach((r, i) => expect(line[2 * i + 1]).toEqual({ x: r.cx, y: records[i].cy }));
    // Better scores are higher up (smaller y) when maximizing, lower down when minimizing.
    const ys = records.map((r) => r.cy);
    expect(ys).toEqual([...ys].sort((a, b) => (direction === 'maximize' ? b - a : a - b)));
    // After the last record, level up to the latest submission.
    const latest = Math.max(...circles(svg).map((c) => c.cx));
    expect(line.at(-1)).toEqual({ x: latest, y: records.at(-1)?.cy });
  });

  it('extends the best line to `now`', () => {
    const svg = scorePlot(board, { direction: 'maximize', metric: 'accuracy', now: at(60) });
    const line = bestLine(svg);
    const latest = Math.max(...circles(svg).map((c) => c.cx));
    expect(line.at(-1)?.x).toBeGreaterThan(latest);
    expect(line.at(-1)?.y).toBe(line.at(-2)?.y);
  });

  it('draws a dot per scored submission, larger ones for records', () => {
    const svg = scorePlot([...board, p('broken', Number.NaN, 41)], { direction: 'maximize', metric: 'accuracy' });
    const dots = circles(svg);
    expect(dots).toHaveLength(5);
    expect(dots.filter((c) => c.kind === 'plot-record')).toHaveLength(3);
    expect(dots.filter((c) => c.kind === 'plot-point')).toHaveLength(2);
    const radius = (kind: string) => Number(new RegExp(`<circle class="${kind}"[^>]* r="([\\d.]+)"`).exec(svg)?.[1]);
    expect(radius('plot-record')).toBeGreaterThan(radius('plot-point'));
  });

  it('is an image named and described by its own title and desc', () => {
    const svg = scorePlot(board, { direction: 'maximize', metric: 'accuracy' });
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 640 320"[^>]* width="100%"[^>]* preserveAspectRatio="/);
    const [titleId, descId] = /aria-labelledby="([^" ]+) ([^" ]+)"/.exec(svg)?.slice(1) ?? [];
    expect(svg).toContain(`<title id="${titleId}">Best accuracy over time</title>`);
    const desc = new RegExp(`<desc id="${descId}">([^<]*)</desc>`).exec(svg)?.[1];
    expect(desc).toContain('5 scored submissions');
    expect(desc).toContain('0.93');
    expect(desc).toContain('dave');
    expect(desc).toContain('2026-01-02 06:00 UTC');
  });

  it('gives every record a tooltip with competitor, score and time', () => {
    const svg = scorePlot(board, { direction: 'maximize', metric: 'accuracy', title: 'Leaderboard' });
    const tips = [...svg.matchAll(/<circle class="plot-record"[^>]*><title>([^<]*)<\/title><\/circle>/g)].map((m) => m[1]);
    expect(tips).toEqual(['alice: 0.61 at 2026-01-01 00:00 UTC', 'bob: 0.7 at 2026-01-01 05:00 UTC', 'dave: 0.93 at 2026-01-02 06:00 UTC']);
    expect(svg).toContain('>Leaderboard</title>');
  });

  it('labels the axes with the metric and the submission time', () => {
    const labels = texts(scorePlot(board, { direction: 'maximize', metric: 'accuracy' }));
    expect(labels).toContain('accuracy');
    expect(labels).toContain('Submitted (UTC)');
  });

  it('escapes names, metric and title everywhere', () => {
    const evil = '<script>alert(1)</script>"&';
    const svg = scorePlot([p(evil, 0.5, 0), p(evil, 0.9, 3)], { direction: 'maximize', metric: `${evil}'`, title: evil });
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;');
    expect(svg).not.toMatch(/<script|<\/script|'/i);
    // Every & starts an entity: nothing unescaped is left.
    expect(svg.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
  });

  it('uses neither inline styles nor scripts, and classes for every colour', () => {
    const svg = scorePlot(board, { direction: 'maximize', metric: 'accuracy' });
    expect(svg).not.toMatch(/style=|<style|<script|\son[a-z]+=/i);
    for (const name of ['plot-best', 'plot-point', 'plot-record', 'plot-axis', 'plot-grid']) expect(svg).toContain(`class="${name}"`);
  });

  it.each<[string, PlotPoint[]]>([
    ['no submissions', []],
    ['no scored submissions', [p('a', Number.NaN, 1)]],
  ])('says so when there are %s', (_name, points) => {
    const svg = scorePlot(points, { direction: 'maximize', metric: 'accuracy' });
    expect(texts(svg)).toEqual(['No scored submissions yet']);
    expect(svg).toMatch(/^<svg [^>]*role="img"[^>]*aria-labelledby="/);
    expect(svg).toMatch(/<desc id="[^"]+">No scored submissions yet\.<\/desc>/);
    expect(circles(svg)).toHaveLength(0);
  });

  it.each<[string, PlotPoint[], number]>([
    ['a single submission', [p('solo', 3, 4)], 3],
    ['equal scores', [p('a', 0.8, 1), p('b', 0.8, 2), p('c', 0.8, 3)], 0.8],
    ['a zero score', [p('a', 0, 1)], 0],
  ])('pads the score axis around %s', (_name, points, score) => {
    const svg = scorePlot(points, { direction: 'maximize', metric: 'accuracy' });
    const ticks = scoreLabels(svg);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks[0]).toBeLessThan(score);
    expect(ticks.at(-1)).toBeGreaterThan(score);
    expect(circles(svg).filter((c) => c.kind === 'plot-record')).toHaveLength(1);
    expect(new Set(bestLine(svg).map((v) => v.y)).size).toBe(1);
    expect(timeLabels(svg).length).toBeGreaterThanOrEqual(3);
  });

  it.each<[string, number[]]>([
    ['fractions', [0.61, 0.7, 0.93]],
    ['large numbers', [1234, 5678, 9100]],
    ['negative numbers', [-3.2, -0.4]],
    ['a narrow range', [0.9012, 0.9047]],
  ])('puts a handful of nice ticks on the score axis for %s', (_name, scores) => {
    const svg = scorePlot(scores.map((s, i) => p('a', s, i)), { direction: 'maximize', metric: 'score' });
    const ticks = scoreLabels(svg);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks[0]).toBeLessThanOrEqual(Math.min(...scores));
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(Math.max(...scores));
    const step = ticks[1] - ticks[0];
    ticks.slice(1).forEach((t, i) => expect(t - ticks[i]).toBeCloseTo(step, 9));
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
  });

  it.each<[string, number, RegExp]>([
    ['hours for a few hours', 5, /^\d\d:\d\d$/],
    ['hours for a little under two days', 47, /^\d\d:\d\d$/],
    ['dates for two days', 48, /^\d{4}-\d\d-\d\d$/],
    ['dates for a season', 24 * 90, /^\d{4}-\d\d-\d\d$/],
    ['dates for years', 24 * 900, /^\d{4}-\d\d-\d\d$/],
  ])('labels the time axis with %s', (_name, hours, format) => {
    const svg = scorePlot([p('a', 0.5, 0), p('b', 0.7, hours)], { direction: 'maximize', metric: 'score' });
    const labels = timeLabels(svg);
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(labels.length).toBeLessThanOrEqual(6);
    for (const label of labels) expect(label).toMatch(format);
    if (format.test('2026-01-01')) expect(new Set(labels).size).toBe(labels.length);
  });

  it('counts the span up to `now` when choosing the time labels', () => {
    const svg = scorePlot([p('a', 0.5, 0), p('b', 0.7, 1)], { direction: 'maximize', metric: 'score', now: at(24 * 10) });
    for (const label of timeLabels(svg)) expect(label).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it('is deterministic, with coordinates rounded to 2 decimals', () => {
    const points = [p('a', 1 / 3, 0), p('b', 2 / 3, 7), p('c', 0.5, 11)];
    const svg = scorePlot(points, { direction: 'maximize', metric: 'score', now: at(13) });
    expect(scorePlot([...points], { direction: 'maximize', metric: 'score', now: at(13) })).toBe(svg);
    const numbers = [...svg.matchAll(/\s(?:cx|cy|x|y|x1|x2|y1|y2)="([^"]*)"|[MHV](-?[\d.]+)(?:,(-?[\d.]+))?/g)].flatMap((m) => m.slice(1).filter((n) => n !== undefined));
    expect(numbers.length).toBeGreaterThan(20);
    for (const n of numbers) expect(n).toMatch(/^-?\d+(\.\d{1,2})?$/);
  });

  it('follows the given size', () => {
    const svg = scorePlot(board, { direction: 'maximize', metric: 'accuracy', width: 400, height: 200 });
    expect(svg).toContain('viewBox="0 0 400 200"');
    for (const c of circles(svg)) {
      expect(c.cx).toBeLessThanOrEqual(400);
      expect(c.cy).toBeLessThanOrEqual(200);
    }
  });
});

describe('scorePlot on a busy board', () => {
  it(`draws every record but at most ${2000} other dots, and says so`, () => {
    // 10,000 submissions whose scores rise in 50 records; the rest set none.
    const many = Array.from({ length: 10_000 }, (_, i) => p(`c${i % 7}`, i % 200 === 0 ? i / 10_000 : 0, i / 100));
    const svg = scorePlot(many, { direction: 'maximize', metric: 'accuracy' });
    const drawn = circles(svg);
    expect(drawn.filter((c) => c.kind === 'plot-record')).toHaveLength(50);
    expect(drawn.filter((c) => c.kind === 'plot-point').length).toBeLessThanOrEqual(2000);
    expect(drawn.filter((c) => c.kind === 'plot-point').length).toBeGreaterThan(1900);
    expect(svg).toMatch(/10000 scored submissions \(dots for every record and every 5th other one\)/);
  });
});

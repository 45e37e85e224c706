/**
 * A hand-written SVG chart of the results: throughput (end to end, extract+stage, raw baseline)
 * and the worker's peak RSS against the table size, one line per partition count.
 */
import { rowsLabel } from './report';
import { known } from '../invariant';
import type { BenchResults } from './types';

const WIDTH = 980;
const HEIGHT = 430;
const PANEL = { width: 400, height: 270, top: 50 };
const LEFTS = [80, 560] as const;
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const RSS_TARGET_MB = 150;

interface Series {
  label: string;
  color: string;
  dash?: string;
  points: { x: number; y: number }[];
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Round tick step (1, 2, 5 × 10^n) giving about `count` ticks up to `max`. */
function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step; v += step) {
    out.push(v);
    if (v >= max) break;
  }
  return out;
}

function shortNumber(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(2)}M`;
  if (n >= 1_000) return `${+(n / 1_000).toFixed(1)}K`;
  return String(+n.toFixed(1));
}

function panel(
  left: number,
  title: string,
  yLabel: string,
  xs: number[],
  series: Series[],
  extraMax: number,
  guide?: { y: number; label: string },
): string {
  const { width, height, top } = PANEL;
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const yTicks = ticks(Math.max(extraMax, ...ys, guide?.y ?? 0) * 1.05);
  const yMax = known(yTicks.at(-1), 'ticks() returns at least one value');
  const logMin = Math.log10(Math.min(...xs));
  const logMax = Math.log10(Math.max(...xs));
  const span = logMax - logMin || 1;
  const px = (x: number) => left + (xs.length === 1 ? width / 2 : ((Math.log10(x) - logMin) / span) * width);
  const py = (y: number) => top + height - (y / yMax) * height;
  const out: string[] = [];
  out.push(
    `<text x="${left + width / 2}" y="${top - 18}" text-anchor="middle" font-size="15" ` +
      `font-weight="bold">${escape(title)}</text>`,
  );
  for (const t of yTicks) {
    out.push(`<line x1="${left}" x2="${left + width}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${py(t) + 4}" text-anchor="end" font-size="11">${shortNumber(t)}</text>`);
  }
  for (const x of xs) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${top}" y2="${top + height}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px(x)}" y="${top + height + 16}" text-anchor="middle" font-size="11">${rowsLabel(x)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`);
  out.push(
    `<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle" font-size="12">rows in ` +
      `the table (log scale)</text>`,
  );
  out.push(
    `<text transform="translate(${left - 56} ${top + height / 2}) rotate(-90)" text-anchor="middle" ` +
      `font-size="12">${escape(yLabel)}</text>`,
  );
  if (guide) {
    out.push(
      `<line x1="${left}" x2="${left + width}" y1="${py(guide.y)}" y2="${py(guide.y)}" stroke="#d62728" ` +
        `stroke-dasharray="6 4"/>`,
    );
    out.push(
      `<text x="${left + width - 4}" y="${py(guide.y) - 5}" text-anchor="end" font-size="11" ` +
        `fill="#d62728">${escape(guide.label)}</text>`,
    );
  }
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(p.y));
    if (points.length === 0) continue;
    const path = points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" ` +
        `stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    for (const p of points)
      out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  return out.join('\n');
}

function legend(series: Series[], y: number): string {
  const out: string[] = [];
  let x = 80;
  for (const s of series) {
    out.push(
      `<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${s.color}" ` +
        `stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    out.push(`<text x="${x + 32}" y="${y + 4}" font-size="12">${escape(s.label)}</text>`);
    x += 44 + s.label.length * 6.6;
  }
  return out.join('\n');
}

export function renderChart(results: BenchResults): string {
  const xs = [...new Set(results.cases.map((c) => c.rows))].sort((a, b) => a - b);
  const partitions = [...new Set(results.cases.map((c) => c.partitions))].sort((a, b) => a - b);
  const ok = results.cases.filter((c) => c.run.ok);
  const color = (p: number) => known(COLORS[partitions.indexOf(p) % COLORS.length], 'an index modulo the length');
  const name = (p: number) => `${p} partition${p === 1 ? '' : 's'}`;
  const baseline: Series = {
    label: 'raw baseline (1 stream)',
    color: '#000',
    dash: '2 3',
    points: results.baselines.map((b) => ({ x: b.rows, y: b.rowsPerSecond })),
  };
  const throughput: Series[] = [
    ...partitions.map((p) => ({
      label: `end to end, ${name(p)}`,
      color: color(p),
      points: ok.filter((c) => c.partitions === p).map((c) => ({ x: c.rows, y: c.run.endToEndRowsPerSecond })),
    })),
    ...partitions.map((p) => ({
      label: `extract+stage, ${name(p)}`,
      color: color(p),
      dash: '5 4',
      points: ok.filter((c) => c.partitions === p).map((c) => ({ x: c.rows, y: c.run.extractStageRowsPerSecond })),
    })),
    baseline,
  ];
  const memory: Series[] = partitions.map((p) => ({
    label: name(p),
    color: color(p),
    points: ok.filter((c) => c.partitions === p).map((c) => ({ x: c.rows, y: c.run.worker.peakRssBytes / 2 ** 20 })),
  }));
  const m = results.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    panel(LEFTS[0], 'Throughput', 'rows per second', xs, throughput, 0),
    panel(LEFTS[1], 'Worker peak RSS (VmHWM)', 'MB', xs, memory, 0, {
      y: RSS_TARGET_MB,
      label: `target ≤ ${RSS_TARGET_MB} MB`,
    }),
    legend(throughput.slice(0, partitions.length).concat(baseline), HEIGHT - 42),
    legend(throughput.slice(partitions.length, 2 * partitions.length), HEIGHT - 22),
    `<text x="${WIDTH - 10}" y="${HEIGHT - 4}" text-anchor="end" font-size="10" ` +
      `fill="#777">${escape(`${results.startedAt} · ${m.cpus} CPU · ${m.node}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** A worker sample: its /metrics gauges and the runs Temporal has closed so far. */
export interface SoakSample {
  minutes: number;
  rssBytes: number;
  heapBytes: number;
  externalBytes: number;
  activeResources: number;
  eventLoopDelayP99Seconds: number;
  runsClosed: number;
  runsFailed: number;
}

export interface SoakRun {
  seconds: number;
  historyLength: number;
  status: string;
}

export interface SoakResults {
  startedAt: string;
  minutes: number;
  every: string;
  loadAverageAtStart: number[];
  samples: SoakSample[];
  runs: SoakRun[];
  writes: { updated: number; inserted: number };
  content: { sourceRows: number; targetRows: number; lost: number; duplicated: number; stale: number; extra: number };
  /** Least-squares slopes after the warm-up (the first fifth of the run). */
  slopes: { rssMbPerHour: number; heapMbPerHour: number; resourcesPerHour: number };
}

/** Slope of y over x (least squares); 0 with fewer than two points. */
export function slope(points: { x: number; y: number }[]): number {
  if (points.length < 2) return 0;
  const meanX = points.reduce((s, p) => s + p.x, 0) / points.length;
  const meanY = points.reduce((s, p) => s + p.y, 0) / points.length;
  const numerator = points.reduce((s, p) => s + (p.x - meanX) * (p.y - meanY), 0);
  const denominator = points.reduce((s, p) => s + (p.x - meanX) ** 2, 0);
  return denominator === 0 ? 0 : numerator / denominator;
}

export function slopesAfterWarmUp(samples: SoakSample[]): SoakResults['slopes'] {
  const last = samples.at(-1)?.minutes ?? 0;
  const steady = samples.filter((s) => s.minutes >= last / 5);
  const per = (value: (s: SoakSample) => number) => slope(steady.map((s) => ({ x: s.minutes / 60, y: value(s) })));
  return {
    rssMbPerHour: per((s) => s.rssBytes / 1e6),
    heapMbPerHour: per((s) => s.heapBytes / 1e6),
    resourcesPerHour: per((s) => s.activeResources),
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function renderSoakMarkdown(r: SoakResults): string {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const first = r.samples[0];
  const last = r.samples.at(-1);
  const durations = r.runs.map((run) => run.seconds);
  const histories = r.runs.map((run) => run.historyLength);
  const lines = [
    `# Soak: ${r.minutes} minutes, a run every ${r.every} (started ${r.startedAt})`,
    '',
    `Load average at start: ${r.loadAverageAtStart.map((l) => l.toFixed(2)).join(' / ')}.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| runs closed | ${r.runs.length} (${r.runs.filter((run) => run.status !== 'COMPLETED').length} not completed) |`,
    `| run seconds p50 / p95 / max | ${quantile(durations, 0.5).toFixed(1)} / ` +
      `${quantile(durations, 0.95).toFixed(1)} / ${Math.max(0, ...durations).toFixed(1)} |`,
    `| history events per run p50 / max | ${quantile(histories, 0.5)} / ${Math.max(0, ...histories)} |`,
    `| source writes | ${r.writes.updated} updates, ${r.writes.inserted} inserts |`,
    `| content | ${r.content.sourceRows} source rows, ${r.content.targetRows} target rows: ` +
      `${r.content.lost} lost, ${r.content.duplicated} duplicated, ${r.content.stale} stale, ` +
      `${r.content.extra} extra |`,
    `| worker RSS first / last sample | ${first ? mb(first.rssBytes) : '-'} / ${last ? mb(last.rssBytes) : '-'} MB |`,
    `| RSS slope after warm-up | ${r.slopes.rssMbPerHour.toFixed(2)} MB/h |`,
    `| heap slope after warm-up | ${r.slopes.heapMbPerHour.toFixed(2)} MB/h |`,
    `| active resources slope | ${r.slopes.resourcesPerHour.toFixed(2)} /h |`,
    `| event-loop delay p99, max over samples | ` +
      `${(Math.max(0, ...r.samples.map((s) => s.eventLoopDelayP99Seconds)) * 1000).toFixed(0)} ms |`,
    '',
  ];
  return lines.join('\n');
}

/** RSS and heap over time, one SVG line each. */
export function renderSoakChart(r: SoakResults): string {
  const width = 720;
  const height = 280;
  const pad = 48;
  const maxX = Math.max(1, ...r.samples.map((s) => s.minutes));
  const maxY = Math.max(1, ...r.samples.map((s) => s.rssBytes / 1e6)) * 1.1;
  const x = (minutes: number) => pad + (minutes / maxX) * (width - 2 * pad);
  const y = (mb: number) => height - pad - (mb / maxY) * (height - 2 * pad);
  const line = (value: (s: SoakSample) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${r.samples
      .map((s) => `${x(s.minutes).toFixed(1)},${y(value(s) / 1e6).toFixed(1)}`)
      .join(' ')}"/>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${pad}" y="20">Worker memory over ${r.minutes} minutes (MB): RSS (blue), V8 heap (orange)</text>`,
    `<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#999"/>`,
    `<text x="${pad - 6}" y="${y(maxY / 1.1) + 4}" text-anchor="end">${(maxY / 1.1).toFixed(0)}</text>`,
    `<text x="${pad - 6}" y="${height - pad + 4}" text-anchor="end">0</text>`,
    `<text x="${width - pad}" y="${height - pad + 18}" text-anchor="end">${maxX.toFixed(0)} min</text>`,
    line((s) => s.rssBytes, '#1f77b4'),
    line((s) => s.heapBytes, '#ff7f0e'),
    '</svg>',
    '',
  ].join('\n');
}

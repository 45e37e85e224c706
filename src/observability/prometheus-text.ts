import { known } from '../invariant';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples. Label values are taken as written (Conduit's hold no quotes). */
export function parsePrometheusText(text: string): MetricSample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const [, name = '', labelText = '', value = ''] = match;
      const pairs = [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [
        known(m[1], 'the pattern has a name group'),
        known(m[2], 'and a value group'),
      ]);
      const labels = Object.fromEntries(pairs);
      return { name, labels, value: Number(value) };
    });
}

/** The sum of a metric's samples whose labels include `labels`. */
export function sumOf(samples: MetricSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

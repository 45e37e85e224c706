/**
 * Named fault points: places in the activities where the chaos suite kills the worker process
 * abruptly (SIGKILL, as `kill -9` or a lost machine would) to prove a run resumes from any of them
 * with nothing lost or duplicated. Inert unless the worker's environment names a point:
 *
 *   CONDUIT_FAULT=<point>        die the first time this process reaches <point>
 *   CONDUIT_FAULT=<point>@<n>    die the n-th time (e.g. the second partition's upload)
 *
 * The variable is read when a point is reached, never stored in workflow state, so a replacement
 * worker started without it runs the same code path to completion.
 */
export const FAULT_POINTS = {
  'extract.mid-stream': 'an extract has written part of its partition to the local file (COPY still streaming)',
  'extract.after-stage': 'a partition file is on the stage; the activity has not reported',
  'load.after-copy': 'COPY INTO has committed into the shadow table; the activity has not reported',
  'swap.before': 'the shadow table is verified; the swap has not run',
  'swap.after': 'the swap has committed; the activity has not reported',
  'commit.after':
    'an incremental batch and its cursor have committed in one transaction; the activity has not reported',
  'cleanup.during': 'cleanup dropped the shadow table but not yet the stage',
} as const;

export type FaultPoint = keyof typeof FAULT_POINTS;

export const FAULT_ENV = 'CONDUIT_FAULT';

export interface FaultSpec {
  point: FaultPoint;
  /** Which arrival at the point kills the process: 1 for the first. */
  hit: number;
}

/** Parses CONDUIT_FAULT; a misspelt point is an error, since a chaos test that injects nothing proves nothing. */
export function parseFaultSpec(value: string | undefined): FaultSpec | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const [name = '', count, ...rest] = value.trim().split('@');
  const hit = count === undefined ? 1 : Number(count);
  if (!(name in FAULT_POINTS) || rest.length > 0 || !Number.isInteger(hit) || hit < 1) {
    throw new Error(
      `${FAULT_ENV}="${value}" is not a fault point; use <point> or <point>@<n> with n ≥ 1, where <point> ` +
        `is one of: ${Object.keys(FAULT_POINTS).join(', ')}`,
    );
  }
  return { point: name as FaultPoint, hit };
}

const arrivals = new Map<FaultPoint, number>();

/** Marks that execution reached `point`; kills this process there when the environment asks for it. */
export function faultPoint(point: FaultPoint): void {
  const spec = parseFaultSpec(process.env[FAULT_ENV]);
  if (spec?.point !== point) return;
  const count = (arrivals.get(point) ?? 0) + 1;
  arrivals.set(point, count);
  if (count !== spec.hit) return;
  process.stderr.write(`conduit: fault point ${point} reached (arrival ${count}): killing the worker (${FAULT_ENV})\n`);
  process.kill(process.pid, 'SIGKILL');
}

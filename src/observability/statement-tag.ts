/**
 * The tag every warehouse statement carries (Snowflake's QUERY_TAG), so credits can be summed per
 * pipeline, table, run and step (docs/operations.md, "Cost per pipeline and table"), and the
 * warehouse time those statements add up to. The activity interceptor opens a scope per activity
 * attempt; code outside activities (health checks, `conduit state`) opens one naming its step.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Snowflake refuses a longer QUERY_TAG. */
export const MAX_STATEMENT_TAG_CHARS = 2000;

/** What a statement is for; names only, never a secret (the tag is visible to anyone reading query history). */
export interface StatementTag {
  /** The activity type, or what code outside activities is doing (`health`, `state`). */
  step: string;
  pipeline?: string;
  /** Source table, `schema.name`. */
  table?: string;
  /** The run key that names the run's shadow tables and stages. */
  run?: string;
}

/** Statements run outside any scope: still marked as Conduit's. */
const UNSCOPED: StatementTag = { step: 'other' };

/** One activity attempt (or other unit of work): its tag, and the warehouse time of its statements so far. */
export class StatementScope {
  readonly tag: string;
  private milliseconds = 0;
  private timed = 0;

  constructor(tag: StatementTag) {
    this.tag = formatStatementTag(tag);
  }

  /** Adds one statement's warehouse time. */
  addWarehouseTime(milliseconds: number): void {
    this.milliseconds += milliseconds;
    this.timed++;
  }

  /** Seconds the warehouse spent on this scope's statements; undefined when none was timed. */
  warehouseSeconds(): number | undefined {
    return this.timed > 0 ? this.milliseconds / 1000 : undefined;
  }
}

const scopes = new AsyncLocalStorage<StatementScope>();

/** Runs `work` with every warehouse statement it issues tagged `scope.tag` and timed into `scope`. */
export function runInStatementScope<T>(scope: StatementScope, work: () => Promise<T>): Promise<T> {
  return scopes.run(scope, work);
}

/** Shorthand for code outside activities: `work`'s statements carry `tag`. */
export function withStatementTag<T>(tag: StatementTag, work: () => Promise<T>): Promise<T> {
  return runInStatementScope(new StatementScope(tag), work);
}

/** The scope of the statement about to run; undefined outside any. */
export function currentStatementScope(): StatementScope | undefined {
  return scopes.getStore();
}

const UNSCOPED_TAG = formatStatementTag(UNSCOPED);

/** The QUERY_TAG for a statement about to run. */
export function currentStatementTag(): string {
  return currentStatementScope()?.tag ?? UNSCOPED_TAG;
}

/**
 * JSON `{"app":"conduit","pipeline":…,"table":…,"run":…,"step":…}` (absent fields left out), within
 * Snowflake's 2,000 characters: long names are cut, shorter each time, until it fits (JSON escapes
 * can make a name up to six times longer).
 */
export function formatStatementTag(tag: StatementTag): string {
  const long = tagText(tag, 256);
  if (long.length <= MAX_STATEMENT_TAG_CHARS) return long;
  const medium = tagText(tag, 64);
  // Four fields of 16 characters stay far below the limit however they are escaped.
  return medium.length <= MAX_STATEMENT_TAG_CHARS ? medium : tagText(tag, 16);
}

function tagText(tag: StatementTag, limit: number): string {
  const cut = (value: string | undefined) =>
    value === undefined || value.length <= limit ? value : `${value.slice(0, limit - 1)}…`;
  return JSON.stringify({
    app: 'conduit',
    pipeline: cut(tag.pipeline),
    table: cut(tag.table),
    run: cut(tag.run),
    step: cut(tag.step),
  });
}

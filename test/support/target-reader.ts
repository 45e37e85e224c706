/**
 * A reader polling a destination table while a run replaces it, as a dashboard would. Each poll
 * reads a fingerprint of the whole table (row count and sums over every row); tests assert each
 * one equals the complete old content's or the complete new content's. A half-loaded, empty,
 * missing or doubled table gives another fingerprint (or an error, which is recorded too).
 */
import type { SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { quoteIdent, tableSql } from '../../src/connectors/snowflake/dialect';

export class TargetReader {
  readonly observations: string[] = [];
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly session: SnowflakeSession,
    private readonly table: { database: string; schema: string; name: string },
  ) {}

  /** The table's fingerprint now; columns of the chaos table (test/support/chaos-rig.ts). */
  async fingerprint(): Promise<string> {
    const [row] = await this.session.query(
      `SELECT COUNT(*) AS "n", SUM(${quoteIdent('id')}) AS "ids", SUM(${quoteIdent('qty')}) AS "qty", ` +
        `SUM(LENGTH(${quoteIdent('note')})) AS "notes", COUNT(${quoteIdent('at')}) AS "ats" FROM ` +
        `${tableSql(this.table)}`,
    );
    return JSON.stringify(row);
  }

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        this.observations.push(await this.fingerprint().catch((error: unknown) => `error: ${String(error)}`));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  async stop(): Promise<string[]> {
    this.stopped = true;
    await this.running;
    return this.observations;
  }
}

/**
 * A reader polling a destination table while a run replaces it, as a dashboard would. Each poll
 * reads the table's fingerprint (row count and sums over every row: chaos-targets.ts); tests assert
 * each one equals the complete old content's or the complete new content's. A half-loaded, empty,
 * missing or doubled table gives another fingerprint (or an error, which is recorded too).
 */
import type { ChaosTarget } from './chaos-targets';

export class TargetReader {
  readonly observations: string[] = [];
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly target: ChaosTarget,
    private readonly table: string,
  ) {}

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        this.observations.push(
          await this.target.fingerprint(this.table).catch((error: unknown) => `error: ${String(error)}`),
        );
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

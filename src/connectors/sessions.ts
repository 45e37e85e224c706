import type { PipelineConfig } from '../config/pipeline';
import type { DestinationSession } from './destination';
import { openDestination } from './destinations';

/**
 * A session unused this long is closed rather than kept: warehouses end idle sessions on their own (Snowflake after
 * 4 h by default, less under a session policy).
 */
const IDLE_SESSION_MS = 5 * 60_000;

/** The pipeline whose destination a session logs in to; sessions are kept per pipeline name. */
type Pipeline = Pick<PipelineConfig, 'name' | 'destination'>;

interface Idle {
  session: DestinationSession;
  timer: NodeJS.Timeout;
}

/**
 * Destination sessions a worker keeps between activities, per pipeline: a Snowflake login costs hundreds of ms on a
 * real account. One activity at a time per session; a session whose work failed is closed with the
 * pipeline's idle ones (docs/performance.md, "Snowflake sessions kept between activities").
 */
export class DestinationSessions {
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  /** A session for the pipeline: an idle one when there is one, otherwise a new login. */
  async acquire(pipeline: Pipeline): Promise<DestinationSession> {
    const idle = this.idle.get(pipeline.name) ?? [];
    for (let next = idle.pop(); next; next = idle.pop()) {
      clearTimeout(next.timer);
      if (next.session.isUp()) return next.session;
      await next.session.close();
    }
    return openDestination(pipeline.destination);
  }

  /**
   * Gives a session back: kept for the next activity when `reusable`, still up and of a destination that keeps
   * sessions; otherwise closed with the pipeline's idle sessions.
   */
  async release(pipeline: Pipeline, session: DestinationSession, reusable: boolean): Promise<void> {
    if (!reusable || this.closed || !session.isUp() || !session.capabilities.keepSessionsBetweenActivities) {
      const idle = this.idle.get(pipeline.name) ?? [];
      this.idle.delete(pipeline.name);
      for (const { timer } of idle) clearTimeout(timer);
      await Promise.all([session, ...idle.map((entry) => entry.session)].map((open) => open.close()));
      return;
    }
    const idle = this.idle.get(pipeline.name) ?? [];
    this.idle.set(pipeline.name, idle);
    const entry: Idle = {
      session,
      // unref: an idle session must not keep a stopping process alive
      timer: setTimeout(() => {
        const at = idle.indexOf(entry);
        if (at >= 0) idle.splice(at, 1);
        void session.close();
      }, IDLE_SESSION_MS).unref(),
    };
    idle.push(entry);
  }

  /** Runs `work` on a session of the pipeline; the session is reused only if `work` succeeded. */
  async use<T>(pipeline: Pipeline, work: (session: DestinationSession) => Promise<T>): Promise<T> {
    const session = await this.acquire(pipeline);
    let reusable = false;
    try {
      const result = await work(session);
      reusable = true;
      return result;
    } finally {
      await this.release(pipeline, session, reusable);
    }
  }

  /** Closes every idle session; sessions released later are closed at once (the worker has stopped). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    for (const { timer } of all) clearTimeout(timer);
    await Promise.all(all.map(({ session }) => session.close()));
  }
}

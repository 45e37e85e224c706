import type { ChildProcess } from 'node:child_process';

/** Resolves once the child has exited or could not start (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.once('error', () => done());
  });
}

/**
 * SIGTERM, then SIGKILL if the child is still there after `graceMs`; resolves once it has exited.
 * `signal` sends to the child itself unless a launcher that gave it a process group of its own
 * signals the whole group.
 */
export async function stopChild(
  child: ChildProcess,
  graceMs: number,
  signal: (name: NodeJS.Signals) => void = (name) => child.kill(name),
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    gone.then(() => false),
    new Promise<boolean>((done) => {
      timer = setTimeout(() => done(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (late) {
    signal('SIGKILL');
    await gone;
  }
}

/** What to do if this process exits while a service it started still runs. */
const exitStops = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Registers a synchronous last-resort stop, run if this process exits without stopping the
 * service (a crashed test run, Ctrl-C past the handlers); returns the call that unregisters it.
 */
export function stopOnExit(stop: () => void): () => void {
  exitStops.add(stop);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const pending of exitStops) pending();
    });
  }
  return () => exitStops.delete(stop);
}

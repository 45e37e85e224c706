import type { PipelineConfig } from '../config/pipeline';
import { checkWorkerHealth, formatHealth, type HealthCheck } from '../health';
import { logFormatFromEnv } from '../logging';
import { startProcessMetrics } from '../observability/process-metrics';
import type { Tracing } from '../observability/tracing';
import { startObservabilityServer, type ObservabilityServer } from '../observability/server';
import { known } from '../invariant';
import { createConduitWorker } from '../worker';
import { workerReadiness } from './readiness';

export interface WorkerCommandOptions {
  pipelines: PipelineConfig[];
  maxActivities?: number;
  shutdownGraceSeconds?: number;
  out?: NodeJS.WritableStream;
  /** Serve /metrics, /healthz and /readyz (the runtime must export to temporalMetricsUrl). */
  metrics?: { host: string; port: number; temporalMetricsUrl: string };
  /** Spans of the worker's workflows and activities go here (OTEL_* variables). */
  tracing?: Tracing;
}

/**
 * `conduit worker`: check what the worker will talk to, then serve the pipelines until SIGINT or
 * SIGTERM. On the first signal it stops polling and gives in-flight activities the grace time to
 * finish (what is not finished is retried by another worker); a second signal exits at once.
 */
export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const json = logFormatFromEnv() === 'json';
  const say = (message: string, fields: Record<string, unknown> = {}) =>
    out.write(
      json
        ? `${JSON.stringify({ time: new Date().toISOString(), level: 'INFO', message, ...fields })}\n`
        : `${message}\n`,
    );
  const { pipelines } = options;
  const { temporal } = known(pipelines[0], 'the CLI requires at least one --config');

  const checks = await checkWorkerHealth(pipelines, temporal);
  for (const check of checks) say(formatHealth(check), healthFields(check));
  const fatal = checks.find((c) => !c.ok && (c.service === 'temporal' || c.service === 'search-attributes'));
  if (fatal) {
    process.stderr.write(`conduit: cannot serve without ${fatal.service}: ${fatal.detail}\n`);
    return 3;
  }

  const { worker, close } = await createConduitWorker({
    pipelines,
    maxConcurrentActivities: options.maxActivities,
    shutdownGraceTime: options.shutdownGraceSeconds !== undefined ? options.shutdownGraceSeconds * 1000 : undefined,
    tracing: options.tracing,
  });
  const names = pipelines.map((p) => p.name);
  say(
    `worker serving ${names.join(', ')} on ${temporal.address} namespace ${temporal.namespace} task queue ` +
      `${temporal.taskQueue} ` +
      `(max ${options.maxActivities ?? 8} activities at once)`,
    { pipelines: names, address: temporal.address, namespace: temporal.namespace, taskQueue: temporal.taskQueue },
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      say(`${signal} again: exiting without waiting for in-flight work`, { signal });
      process.exit(130);
    }
    say(`${signal}: finishing in-flight work, then exiting`, { signal });
    // Temporal's runtime reacts to these signals too; whichever comes first starts the shutdown.
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
  let observability: ObservabilityServer | undefined;
  let stopProcessMetrics: (() => void) | undefined;
  try {
    if (options.metrics) {
      stopProcessMetrics = startProcessMetrics();
      observability = await startObservabilityServer({
        ...options.metrics,
        readiness: workerReadiness(worker, pipelines, temporal),
      });
      say(`metrics on ${observability.url}/metrics, health on /healthz and /readyz`, { metrics: observability.url });
    }
    await worker.run();
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, onSignal);
    stopProcessMetrics?.();
    await observability?.close();
    await close();
  }
  say('worker stopped');
  return 0;
}

function healthFields(check: HealthCheck): Record<string, unknown> {
  return {
    health: check.service,
    ok: check.ok,
    target: check.target,
    ...(check.pipeline ? { pipeline: check.pipeline } : {}),
    detail: check.detail,
  };
}

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Runtime } from '@temporalio/worker';

/**
 * The worker process's own health, sampled every few seconds onto the runtime's meter: what a slow
 * leak or a blocked event loop shows first (docs/soak.md watches these over hours).
 */
export function startProcessMetrics(intervalMs = 5_000): () => void {
  const meter = Runtime.instance().metricMeter;
  const gauge = (name: string, description: string) => meter.createGauge(name, 'float', '', description);
  const rss = gauge('process_resident_memory_bytes', 'Resident memory of the worker process');
  const heap = gauge('nodejs_heap_used_bytes', 'V8 heap in use');
  const external = gauge('nodejs_external_memory_bytes', 'Memory of buffers and native objects held by JS');
  const handles = gauge('nodejs_active_resources', 'Handles and requests keeping the event loop alive');
  const delay = gauge('nodejs_eventloop_delay_p99_seconds', 'Event-loop delay, 99th percentile of the last interval');
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const sample = () => {
    const memory = process.memoryUsage();
    rss.set(memory.rss);
    heap.set(memory.heapUsed);
    external.set(memory.external);
    handles.set(process.getActiveResourcesInfo().length);
    delay.set(loop.percentile(99) / 1e9);
    loop.reset();
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    loop.disable();
  };
}

// Bundled beside the workflows (workflowInterceptorModules): workflow spans go to the worker's
// `exporter` sink, which drops them unless tracing is on (docs/operations.md, "Traces").
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';

/**
 * The package's library entry (`import … from 'conduit-core'`): a worker serving pipelines, the
 * client that starts, follows and queries runs, and the pipeline file loader both take their
 * settings from. `conduit-core/worker` and `conduit-core/client` load one side only.
 */
export * from './worker';
export * from './client';
export { ConfigError, loadPipelineFile, parsePipeline, type LoadOptions } from './config/load';
export type { PipelineConfig, TemporalSettings } from './config/pipeline';

/**
 * The custom search attributes Conduit sets on its workflows, so runs can be filtered in the
 * Temporal UI and with `temporal workflow list --query "ConduitPipeline = 'demo'"`.
 *
 * Workflow-safe (imports only @temporalio/common): the workflows, the client, the worker's start-up
 * check and the dev server all use these definitions.
 */
import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';

/** Pipeline name, on `pipelineRun`, `tableRefresh` and `scheduledPipelineRun` workflows. */
export const ConduitPipeline = defineSearchAttributeKey('ConduitPipeline', SearchAttributeType.KEYWORD);
/** Source table (`schema.table`), on `tableRefresh` workflows. */
export const ConduitTable = defineSearchAttributeKey('ConduitTable', SearchAttributeType.KEYWORD);
/**
 * Load mode (`full_refresh`, `incremental_append`, `incremental_merge`, or `mixed` on a run), on `pipelineRun` and the
 * table workflows.
 */
export const ConduitMode = defineSearchAttributeKey('ConduitMode', SearchAttributeType.KEYWORD);
/** Where the workflow is: see RunStatus (pipelineRun, scheduledPipelineRun) and TableState (tableRefresh). */
export const ConduitStatus = defineSearchAttributeKey('ConduitStatus', SearchAttributeType.KEYWORD);

/** ConduitStatus values of a pipeline run (a table refresh uses its TableState values). */
export type RunStatus = 'planning' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** Search attribute types as the Temporal CLI spells them (`--search-attribute Name=Keyword`). */
export type SearchAttributeTypeName = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** Every Conduit search attribute with its CLI type name: what a namespace must have registered. */
export const CONDUIT_SEARCH_ATTRIBUTES = {
  ConduitPipeline: 'Keyword',
  ConduitTable: 'Keyword',
  ConduitMode: 'Keyword',
  ConduitStatus: 'Keyword',
} as const satisfies Readonly<Record<string, SearchAttributeTypeName>>;

const CLI_TO_SDK_TYPE = {
  Keyword: SearchAttributeType.KEYWORD,
  Text: SearchAttributeType.TEXT,
  Int: SearchAttributeType.INT,
  Double: SearchAttributeType.DOUBLE,
  Bool: SearchAttributeType.BOOL,
  Datetime: SearchAttributeType.DATETIME,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
} as const satisfies Record<SearchAttributeTypeName, SearchAttributeType>;

/**
 * Makes sure `attributes` are registered in `namespace` with the given types, adding the missing
 * ones; returns the names it added. Throws when one exists with another type (that cannot be
 * changed in place). Client-side only (needs the operator service).
 */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  attributes: Readonly<Record<string, SearchAttributeTypeName>> = CONDUIT_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const existing = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes;
  const missing: Record<string, number> = {};
  const conflicts: string[] = [];
  for (const [name, type] of Object.entries(attributes)) {
    const wanted = encodeSearchAttributeIndexedValueType(CLI_TO_SDK_TYPE[type]);
    if (wanted === undefined) throw new Error(`unknown search attribute type ${type} for ${name}`);
    const have = existing[name];
    if (have === undefined) missing[name] = wanted;
    else if (have !== wanted) conflicts.push(`${name} (wanted ${type})`);
  }
  if (conflicts.length > 0) {
    throw new Error(
      `search attributes registered with another type in namespace ${namespace}: ${conflicts.join(', ')}`,
    );
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return Object.keys(missing);
}

/** The Temporal CLI command that registers Conduit's search attributes in a namespace. */
export function registerSearchAttributesCommand(namespace: string): string {
  const byType = new Map<string, string[]>();
  for (const [name, type] of Object.entries(CONDUIT_SEARCH_ATTRIBUTES))
    byType.set(type, [...(byType.get(type) ?? []), name]);
  return [...byType]
    .map(
      ([type, names]) =>
        `temporal operator search-attribute create --namespace ${namespace} ` +
        `${names.map((n) => `--name ${n}`).join(' ')} --type ${type}`,
    )
    .join(' && ');
}

import { inject } from 'vitest';
import './context';
import type { HarnessServices } from './harness';

/** The shared services the integration project's global setup started, for a test file's harness. */
export function sharedServices(): HarnessServices {
  const temporal = inject('temporal');
  return {
    temporalAddress: temporal.address,
    temporalNamespace: temporal.namespace,
    postgres: inject('postgres'),
    snowflake: inject('snowflake'),
  };
}

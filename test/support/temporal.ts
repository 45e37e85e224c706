/**
 * A TestWorkflowEnvironment attached to the run's shared Temporal dev server (started by
 * test/global-setup.ts). Call from a test file of the integration project; tear it down in
 * afterAll (that closes the connections, not the server).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';
import './context';

export function sharedTemporalEnv(): Promise<TestWorkflowEnvironment> {
  const { address, namespace } = inject('temporal');
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}

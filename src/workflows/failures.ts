import { ApplicationFailure, isCancellation, TemporalFailure } from '@temporalio/workflow';
import type { FailureType } from '../failure-types';

/** The innermost message of a failure chain: the cause a person needs, not the wrapper. */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (current instanceof TemporalFailure && current.cause) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}

/** The type of the innermost application failure in a failure chain (what the activity said went wrong). */
export function failureType(error: unknown): string | undefined {
  let type: string | undefined;
  for (let current: unknown = error; current instanceof TemporalFailure; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type) type = current.type;
  }
  return type;
}

/**
 * Whether trying again may help: a timeout or an activity's ordinary error, not a failure it marked non-retryable or a
 * cancellation.
 */
export function mayPassOnRetry(error: unknown): boolean {
  if (!(error instanceof TemporalFailure) || isCancellation(error)) return false;
  for (let current: unknown = error; current instanceof TemporalFailure; current = current.cause) {
    if (current instanceof ApplicationFailure && current.nonRetryable) return false;
  }
  return true;
}

/** Fails the workflow with a message that says where (table, partition) and why. */
export function failWith(where: string, error: unknown, type: FailureType): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${where}: ${rootMessage(error)}`, type);
}

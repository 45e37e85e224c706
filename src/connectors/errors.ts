import type { FailureType } from '../failure-types';

/**
 * An error that retrying cannot fix (bad credentials, a missing table, an unsupported type).
 * Connectors throw it; the activity layer turns it into a non-retryable Temporal failure.
 */
export class PermanentError extends Error {
  constructor(
    message: string,
    /** A short stable name for the cause, shown as the failure type in Temporal. */
    readonly kind: FailureType,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

import { expect } from 'vitest';

/**
 * expect.stringMatching typed as what it is to the type checker, unknown, rather than vitest's `any`:
 * a property inside toMatchObject({ … }) then needs no unsafe assignment.
 */
export function matching(pattern: RegExp): unknown {
  return expect.stringMatching(pattern);
}

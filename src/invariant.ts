/**
 * For a lookup the code knows succeeds (an index below a length it checked, a regex group that
 * always matches) but the compiler cannot see: returns the value, or throws naming the broken
 * invariant instead of carrying `undefined` on. Pure, so workflows may use it too.
 */
export function known<T>(value: T | undefined, invariant: string): T {
  if (value === undefined) throw new Error(`internal error: ${invariant} (a Conduit bug: please report it)`);
  return value;
}

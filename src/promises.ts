/**
 * Whether the promise has settled yet, either way, for loops that poll until something ends. Its
 * rejection is not handled here: it stays for the caller who awaits the promise.
 */
export function settled(promise: Promise<unknown>): () => boolean {
  let state = false;
  const settle = () => {
    state = true;
  };
  void promise.then(settle, settle);
  return () => state;
}

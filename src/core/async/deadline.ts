/**
 * `promise`, or a rejection once `ms` have passed without an answer: probes and scrapes
 * must answer even when what they ask (the database, the queue backend, storage) hangs.
 * The work itself is not cancelled; its late result is dropped.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what = 'no answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

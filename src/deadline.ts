/**
 * Racing a promise against a deadline, the one way the gateway does it: a
 * timer raced against the work, cleared once either settles. No AbortSignal:
 * a signal passed to fetch also wraps the response body in an abortable
 * stream, which measured as the most expensive step of the proxy
 * (bench/RESULTS.md). The abandoned work is not cancelled; the runtime ends a
 * request's outstanding subrequests when the request ends.
 */

/** What `withDeadline` rejects with when time runs out (never an error the work itself could throw). */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** `work`'s result, or a rejection with TIMED_OUT after `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

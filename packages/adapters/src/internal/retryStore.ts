/**
 * How the coordination kept in the database (the shared rate limits, the
 * shared crawl politeness) retries a statement that failed: after 100 ms,
 * doubling up to every 5 seconds, with no end (the caller waits for its
 * turn; only interruption stops it).
 *
 * @internal
 */
import { Schedule } from "effect"

/** @internal */
export const retryStore = Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("5 seconds")))

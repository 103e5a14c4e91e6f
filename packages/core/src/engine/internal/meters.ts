/**
 * The fiber-local meters behind `Budget`'s charge policy: which billable
 * requests left while a paid call ran, and what the paid calls inside a
 * draw have cost.
 *
 * @internal
 */
import { FiberRef } from "effect"

/** How many billable requests left (and were not refused) while a `Budget.charging` ran. */
export interface Meter {
  sent: number
}

/**
 * The meters of the `Budget.charging` calls the current fiber runs in (a
 * paid call inside another: both count its requests). A fiber-local value,
 * like `Checkpoint.currentRunId`, not shared state: each `charging` adds its
 * own meter for the fibers it runs.
 */
export const currentMeters: FiberRef.FiberRef<ReadonlyArray<Meter>> = FiberRef.unsafeMake<ReadonlyArray<Meter>>([], {
  fork: (meters) => meters
})

export const mark = (meters: ReadonlyArray<Meter>, n: number) => {
  for (const meter of meters) meter.sent += n
}

/**
 * What one draw holds while its effect runs: the units it reserved, and what
 * the paid calls metered into it (`Budget.metered`) have cost so far.
 */
export interface Draw {
  readonly name: string
  calls: number
  spent: number
}

/** The draws the current fiber runs in, innermost last (fibers it forks see them too). */
export const currentDraws: FiberRef.FiberRef<ReadonlyArray<Draw>> = FiberRef.unsafeMake<ReadonlyArray<Draw>>([], {
  fork: (draws) => draws
})

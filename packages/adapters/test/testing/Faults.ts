/**
 * Random fault mixes for the fake vendors, for property tests of what a run
 * pays: every knob the fakes have (5xx and 429 before processing, hung calls
 * before and after processing, truncated 200s) at its own rate, and a
 * ledger of the figures each property saw (what the budget committed
 * against what the fake billed), printed once at the end of the file.
 */
import { afterAll } from "@effect/vitest"
import { FastCheck as fc } from "effect"

/** The fault knobs a property draws. */
export interface Faults {
  readonly seed: number
  readonly serverErrorRate: number
  readonly rateLimitedRate: number
  readonly hangRate: number
  readonly hangAfterRate: number
  readonly malformedRate: number
}

const rate = fc.integer({ min: 0, max: 30 }).map((percent) => percent / 100)

/** Each knob at its own rate in [0, 0.3]. */
export const faults: fc.Arbitrary<Faults> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  serverErrorRate: rate,
  rateLimitedRate: rate,
  hangRate: rate,
  hangAfterRate: rate,
  malformedRate: rate
})

/** Short timeouts and retry delays, so hung calls and retries cost little real time. */
export const fastAdapter = {
  timeout: "150 millis",
  retry: { base: "2 millis", maxDelay: "10 millis", maxRetryAfter: "10 millis", retries: 3, jitter: false }
} as const

/** Totals a property file saw: what the ledger committed and what the fake billed, over its runs. */
export const figures = (label: string, unit: string) => {
  const totals = { runs: 0, ledger: 0, charged: 0, succeeded: 0, failed: 0 }
  afterAll(() => {
    console.log(
      `${label}: ledger ${totals.ledger} >= charged ${totals.charged} ${unit} over ${totals.runs} runs ` +
        `(${totals.succeeded} calls answered, ${totals.failed} failed)`
    )
  })
  return {
    add: (run: { readonly ledger: number; readonly charged: number; readonly succeeded: number; readonly failed: number }) => {
      totals.runs++
      totals.ledger += run.ledger
      totals.charged += run.charged
      totals.succeeded += run.succeeded
      totals.failed += run.failed
    }
  }
}

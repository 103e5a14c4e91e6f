/**
 * What every fake vendor server has in common, as seen by tests and
 * benchmarks: the fault knobs it is started with (and can be changed with
 * while running) and the handle it returns (its URL and its counters).
 * `FakeTavilyServer`, `FakeLushaServer`, `FakeZeroBounceServer` and the
 * other fakes all take these knobs and return (at least) this handle.
 *
 * ```ts
 * const server = yield* FakeTavilyServer.make({
 *   seed: 7, apiKey: "k", credits: 100,
 *   latency: { min: "5 millis", max: "50 millis" },
 *   rateLimit: { limit: 100, interval: "1 minute" },
 *   serverErrorRate: 0.05, rateLimitedRate: 0.05, malformedRate: 0.01, hangRate: 0.01, hangAfterRate: 0.01
 * })
 * yield* server.calls          // { "POST /search": 12 }
 * yield* server.creditsUsed    // what it billed, truncated and hung answers included
 * yield* server.setKnobs({ serverErrorRate: 0 })
 * ```
 *
 * @since 0.1.0
 */
import type { Duration, Effect } from "effect"

/**
 * Latency added before every answer: a fixed duration, or uniform between
 * `min` and `max` (drawn from the server's seeded generator).
 *
 * @since 0.1.0
 * @category models
 */
export type Latency = Duration.DurationInput | { readonly min: Duration.DurationInput; readonly max: Duration.DurationInput }

/**
 * The fault and account knobs of a fake server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Knobs {
  /** Seed of the fault generator and of the vendor's generated data (default 1). */
  readonly seed: number
  /** The key the fake accepts (default `"test-key"`); any other key gets the vendor's 401 (or its equivalent). */
  readonly apiKey: string
  /** Added before every answer. */
  readonly latency?: Latency | undefined
  /**
   * Requests allowed per fixed window before the vendor's 429. With `block`,
   * going over blocks every request for that long (ZeroBounce's timed blocks).
   */
  readonly rateLimit?: {
    readonly limit: number
    readonly interval: Duration.DurationInput
    readonly block?: Duration.DurationInput | undefined
  } | undefined
  /** Share of requests answered with the vendor's 5xx, before processing (nothing billed). */
  readonly serverErrorRate?: number | undefined
  /** Share of requests answered with the vendor's 429, before processing (nothing billed). */
  readonly rateLimitedRate?: number | undefined
  /** Share of successful answers whose JSON body is cut short (processed and billed). */
  readonly malformedRate?: number | undefined
  /** Share of requests never answered, before processing (the connection hangs; nothing billed). */
  readonly hangRate?: number | undefined
  /** Share of requests processed (and billed) and then never answered. */
  readonly hangAfterRate?: number | undefined
  /** Credit balance; unlimited when undefined. */
  readonly credits?: number | undefined
}

/**
 * A running fake server: where it listens and what it counted.
 *
 * @since 0.1.0
 * @category models
 */
export interface Server {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** Calls per `"METHOD /path"` (unknown paths under `"unknown"`), including rejected ones. */
  readonly calls: Effect.Effect<Readonly<Record<string, number>>>
  /** Calls of one endpoint. */
  readonly callsOf: (endpoint: string) => Effect.Effect<number>
  /**
   * Credits spent so far, by the vendor's billing rule: for every request it
   * processed, including those whose answer it then cut short or never sent.
   */
  readonly creditsUsed: Effect.Effect<number>
  /** Requests that spent at least one credit (truncated and hung ones included). */
  readonly billedCalls: Effect.Effect<number>
  /** The journal of billed units, in billing order, from entry `since` on (default all). */
  readonly billed: (since?: number) => Effect.Effect<ReadonlyArray<Billed>>
  /**
   * The journal of every request's arrival, in arrival order, from entry
   * `since` on (default all): rejected and unbilled requests included, so
   * a test or benchmark can count requests in any window.
   */
  readonly arrivals: (since?: number) => Effect.Effect<ReadonlyArray<Arrival>>
  /** Current credit balance (undefined: unlimited). */
  readonly balance: Effect.Effect<number | undefined>
  /** Changes knobs while running; setting `credits` resets the balance. */
  readonly setKnobs: (knobs: Partial<Knobs>) => Effect.Effect<void>
  /** The knobs now. */
  readonly knobs: Effect.Effect<Knobs>
}

/**
 * One billed unit in a fake's journal: what was paid for (`key`: the same
 * key twice means the same thing was paid for twice), its share of the
 * request's credits, when the request arrived and when the fake finished
 * processing it (epoch milliseconds; a hung or cut answer was still billed
 * at `endedAt`). Keys: ZeroBounce an address (a batch bills one per
 * address), the other vendors the endpoint and a hash of the request's
 * query and body without its key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Billed {
  readonly endpoint: string
  readonly key: string
  readonly credits: number
  readonly startedAt: number
  readonly endedAt: number
}

/**
 * One request in a fake's arrival journal: its `"METHOD /path"` and when it
 * arrived (epoch milliseconds on the fake's `Clock`, before its latency).
 *
 * @since 0.1.0
 * @category models
 */
export interface Arrival {
  readonly endpoint: string
  readonly at: number
}

/**
 * Per-host politeness shared by every fiber that uses one instance: at most
 * `perHost` requests in flight to a host, and at least
 * `max(Crawl-delay, minDelay)` between the end of one request to a host and
 * the start of the next. Other hosts proceed meanwhile. State lives in the
 * service (a semaphore and the last finish time per host), time comes from
 * `Clock`, so `TestClock` drives it.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, SynchronizedRef } from "effect"

/**
 * Politeness options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Requests in flight per host. */
  readonly perHost: number
  /** The least time between two requests to one host, whatever robots.txt says. */
  readonly minDelay: Duration.DurationInput
}

/**
 * One request in flight per host, 500 ms apart at least.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: Options = { perHost: 1, minDelay: "500 millis" }

/**
 * The politeness service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Runs `effect` as a request to `host` once the host's turn comes. */
  readonly run: <A, E, R>(host: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Records the host's `Crawl-delay`; the gap used is the larger of it and `minDelay`. */
  readonly setCrawlDelay: (host: string, delay: Duration.DurationInput) => Effect.Effect<void>
}

/**
 * The politeness service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Politeness extends Context.Tag("@leadgraph/adapters/Politeness")<Politeness, Service>() {}

interface HostState {
  readonly semaphore: Effect.Semaphore
  readonly crawlDelay: SynchronizedRef.SynchronizedRef<Duration.Duration>
  readonly lastEnd: SynchronizedRef.SynchronizedRef<number | undefined>
}

/**
 * Builds a politeness service with its own per-host state.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Partial<Options>): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const o = { ...defaults, ...options }
    const perHost = Math.max(1, Math.floor(o.perHost))
    const minDelay = Duration.decode(o.minDelay)
    const hosts = yield* SynchronizedRef.make(new Map<string, HostState>())

    const stateOf = (host: string): Effect.Effect<HostState> =>
      SynchronizedRef.modifyEffect(hosts, (map) => {
        const key = host.toLowerCase()
        const found = map.get(key)
        if (found !== undefined) return Effect.succeed([found, map] as const)
        return Effect.gen(function*() {
          const state: HostState = {
            semaphore: yield* Effect.makeSemaphore(perHost),
            crawlDelay: yield* SynchronizedRef.make(Duration.zero),
            lastEnd: yield* SynchronizedRef.make<number | undefined>(undefined)
          }
          return [state, new Map(map).set(key, state)] as const
        })
      })

    const run = <A, E, R>(host: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.flatMap(stateOf(host), (state) =>
        state.semaphore.withPermits(1)(
          Effect.gen(function*() {
            const gap = Duration.max(minDelay, yield* SynchronizedRef.get(state.crawlDelay))
            const lastEnd = yield* SynchronizedRef.get(state.lastEnd)
            const now = yield* Clock.currentTimeMillis
            if (lastEnd !== undefined) {
              const wait = lastEnd + Duration.toMillis(gap) - now
              if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
            }
            return yield* effect.pipe(
              Effect.ensuring(Effect.flatMap(Clock.currentTimeMillis, (end) => SynchronizedRef.set(state.lastEnd, end)))
            )
          })
        ))

    const setCrawlDelay = (host: string, delay: Duration.DurationInput): Effect.Effect<void> =>
      Effect.flatMap(stateOf(host), (state) => SynchronizedRef.set(state.crawlDelay, Duration.decode(delay)))

    return { run, setCrawlDelay }
  })

/**
 * A politeness layer; every fiber using it shares its per-host state.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Partial<Options>): Layer.Layer<Politeness> => Layer.effect(Politeness, make(options))

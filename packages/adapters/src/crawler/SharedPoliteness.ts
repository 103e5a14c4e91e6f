/**
 * Per-host politeness shared by every process on one database: the
 * {@link Politeness.Politeness} service, but the host's turn is a lease row
 * (`leadgraph_host_leases`, migration 18), so whichever worker crawls, one
 * request is in flight per host and at least `max(Crawl-delay, minDelay)`
 * passes between the end of one request and the start of the next.
 *
 * - In front of the table, each process keeps its own per-host gate (the
 *   in-memory {@link Politeness}): a process asks the table for a host's
 *   turn with one fiber at a time, not one per waiting request.
 * - Taking the turn is one statement under the row's lock, with the
 *   database's clock. A host in its gap answers when the gap ends, and the
 *   waiter sleeps until then; a host another process holds is asked again
 *   every `poll`.
 * - The holder renews its lease every third of `lease` while its request
 *   runs, and on release records when the request ended. A holder killed
 *   outright (SIGKILL, a lost machine) blocks its hosts until its lease runs
 *   out, and no longer: the next taker counts the dead request as ended
 *   when its lease did, and keeps the gap after that.
 * - `setCrawlDelay` is written to the host's row, so a process that has not
 *   read the host's robots.txt yet keeps the delay another process read.
 * - One request per host at a time: `perHost` of the in-memory service has
 *   no shared counterpart.
 * - A database that cannot be reached is retried (backing off up to 5
 *   seconds, with a warning) before the request: a request never goes out
 *   without its turn.
 *
 * ```ts
 * const crawler = Layer.scoped(Crawler.Crawler, CrawlerLive.make(options)).pipe(
 *   Layer.provide(SharedPoliteness.layer({ minDelay: "500 millis" })),
 *   Layer.provide(Resolver.layer)
 * )
 * ```
 *
 * `Environment.layer({ ..., coordination: "database" })` does this for you.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Clock, DateTime, Duration, Effect, Fiber, Layer, Schedule, SynchronizedRef } from "effect"
import { randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { retryStore } from "../internal/retryStore.js"
import * as Politeness from "./Politeness.js"

/**
 * Options of the shared politeness.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The least time between two requests to one host, whatever robots.txt says. */
  readonly minDelay: Duration.DurationInput
  /**
   * How long a turn is held without renewal: the longest a killed holder
   * blocks its host. Renewed every third of it while the request runs.
   */
  readonly lease: Duration.DurationInput
  /** The longest a waiter sleeps before asking for a busy host's turn again. */
  readonly poll: Duration.DurationInput
  /** Names this process in the lease rows (default `hostname:pid`); each turn adds a random id. */
  readonly holder?: string | undefined
  /**
   * Whose clock the leases and gaps are measured on: the database's (the
   * default: machines agree) or this process's `Clock` (tests drive it with
   * `TestClock`; in production every process must then keep good time).
   */
  readonly clock?: "database" | "effect" | undefined
}

/**
 * 500 ms between requests to a host (as {@link Politeness.defaults}), a
 * 10 second lease, and a busy host asked again at least every 100 ms.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults: Options = { minDelay: Politeness.defaults.minDelay, lease: "10 seconds", poll: "100 millis" }

const warnAndRetry = (what: string, host: string) => <A>(effect: Effect.Effect<A, SqlError>): Effect.Effect<A> =>
  effect.pipe(
    Effect.tapError((error) =>
      Effect.logWarning(`the shared politeness could not ${what}; retrying`).pipe(
        Effect.annotateLogs({ host, error: error.message })
      )
    ),
    Effect.retry(retryStore),
    // the schedule never ends: only interruption stops the retries
    Effect.orDie
  )

/**
 * Builds the shared politeness over the `SqlClient` in context (the runtime
 * role needs migration 18).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Partial<Options>): Effect.Effect<Politeness.Service, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const o = { ...defaults, ...options }
    const sql = yield* SqlClient.SqlClient
    const minDelay = Duration.decode(o.minDelay)
    const lease = Duration.decode(o.lease)
    const poll = Duration.toMillis(Duration.decode(o.poll))
    const renewEvery = Duration.millis(Math.max(1, Math.floor(Duration.toMillis(lease) / 3)))
    const holder = o.holder ?? `${hostname()}:${process.pid}`
    // one fiber per host and process asks the table: the gate keeps no gap of its own
    const gate = yield* Politeness.make({ perHost: 1, minDelay: 0 })
    const delays = yield* SynchronizedRef.make(new Map<string, number>())
    const now: Effect.Effect<string | null> = o.clock === "effect"
      ? Effect.map(Clock.currentTimeMillis, (millis) => DateTime.formatIso(DateTime.unsafeMake(millis)))
      : Effect.succeed(null)

    const gapOf = (host: string) =>
      Effect.map(SynchronizedRef.get(delays), (map) => Math.max(Duration.toMillis(minDelay), map.get(host) ?? 0))

    const tryAcquire = (host: string, token: string) =>
      Effect.gen(function*() {
        const gap = yield* gapOf(host)
        const at = yield* now
        const [row] = yield* sql<{ wait: number }>`SELECT leadgraph_host_acquire(${host}, ${token},
          ${Duration.toMillis(lease)}::double precision, ${gap}::double precision, ${at}::timestamptz) AS wait`
        return Number(row!.wait)
      }).pipe(warnAndRetry("take a host's turn", host))

    // held by another: ask again within `poll` (its request may end any
    // moment); in the gap: the gap's end is known, sleep until then
    const acquire = (host: string, token: string): Effect.Effect<void> =>
      Effect.flatMap(tryAcquire(host, token), (wait) =>
        wait === 0
          ? Effect.void
          : Effect.zipRight(Effect.sleep(Duration.millis(wait < 0 ? Math.min(-wait, poll) : wait)), acquire(host, token)))

    const renew = (host: string, token: string) =>
      Effect.gen(function*() {
        const at = yield* now
        const rows = yield* sql`UPDATE leadgraph_host_leases
          SET lease_until = coalesce(${at}::timestamptz, clock_timestamp()) + make_interval(secs => ${
          Duration.toMillis(lease) / 1000
        }::double precision), updated_at = clock_timestamp()
          WHERE host = ${host} AND holder = ${token} RETURNING host`
        if (rows.length === 0) {
          yield* Effect.logWarning("a host's politeness lease ran out while its request was in flight").pipe(
            Effect.annotateLogs({ host })
          )
        }
      }).pipe(Effect.catchAll((error) =>
        Effect.logWarning("could not renew a host's politeness lease").pipe(
          Effect.annotateLogs({ host, error: error.message })
        )
      ))

    const release = (host: string, token: string) =>
      Effect.gen(function*() {
        const at = yield* now
        yield* sql`UPDATE leadgraph_host_leases SET holder = NULL, lease_until = NULL,
          last_end_at = coalesce(${at}::timestamptz, clock_timestamp()), updated_at = clock_timestamp()
          WHERE host = ${host} AND holder = ${token}`
      }).pipe(
        Effect.retry(Schedule.exponential("50 millis").pipe(Schedule.intersect(Schedule.recurs(4)))),
        // the lease then runs out by itself; the host waits at most that long
        Effect.catchAll((error) =>
          Effect.logWarning("could not release a host's politeness lease; it runs out by itself").pipe(
            Effect.annotateLogs({ host, error: error.message })
          )
        )
      )

    // Waiting is interruptible, and an interrupted wait releases what its
    // last statement may have taken (a statement cut off after it committed
    // leaves a lease that runs out by itself). The request runs with the
    // interruptibility of the caller, and the turn is released after it.
    const turn = <A, E, R>(host: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.uninterruptibleMask((restore) => {
        const token = `${holder}/${randomUUID()}`
        const held = Effect.gen(function*() {
          const renewing = yield* Effect.fork(Effect.interruptible(Effect.forever(Effect.delay(renew(host, token), renewEvery))))
          return yield* restore(effect).pipe(Effect.ensuring(Fiber.interrupt(renewing)))
        })
        return restore(acquire(host, token)).pipe(
          Effect.onInterrupt(() => release(host, token)),
          Effect.zipRight(Effect.ensuring(held, release(host, token)))
        )
      })

    const run = <A, E, R>(host: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const key = host.toLowerCase()
      return gate.run(key, turn(key, effect))
    }

    const setCrawlDelay = (host: string, delay: Duration.DurationInput): Effect.Effect<void> => {
      const key = host.toLowerCase()
      const millis = Math.max(0, Math.round(Duration.toMillis(Duration.decode(delay))))
      return SynchronizedRef.update(delays, (map) => new Map(map).set(key, millis)).pipe(
        Effect.zipRight(
          sql`INSERT INTO leadgraph_host_leases (host, crawl_delay_ms) VALUES (${key}, ${millis})
            ON CONFLICT (host) DO UPDATE SET crawl_delay_ms = excluded.crawl_delay_ms, updated_at = clock_timestamp()`.pipe(
            warnAndRetry("record a host's Crawl-delay", key),
            Effect.timeout("30 seconds"),
            Effect.ignore
          )
        )
      )
    }

    return { run, setCrawlDelay }
  })

/**
 * The shared politeness as a layer, over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Partial<Options>): Layer.Layer<Politeness.Politeness, never, SqlClient.SqlClient> =>
  Layer.effect(Politeness.Politeness, make(options))

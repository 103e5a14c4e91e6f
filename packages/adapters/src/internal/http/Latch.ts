/**
 * What a vendor client remembers about its key and its credits, so that a
 * vendor that refused the key (`Unauthorized`) or said the credits are spent
 * (`OutOfCredits`) is not called again blindly:
 *
 * - **Latched per run.** After such an answer, every later call in the same
 *   run (`Checkpoint.currentRunId`, which the engine sets for each step)
 *   fails at once with that error and sends nothing (a free call, such as a
 *   balance query, still goes after `OutOfCredits`). Another run probes the
 *   vendor again with one call: the vendor layers live as long as the
 *   process (`leadgraph serve`, `schedule`), and an operator who fixes the
 *   key or tops the credits up should not have to restart it. Calls outside
 *   any run are latched for `expiry` (default 5 minutes).
 * - **Said once.** Tripping the latch logs one line (error level for a
 *   refused key, naming the environment variable that holds it, e.g.
 *   `LUSHA_API_KEY`; warning level for spent credits).
 * - **One probe while the key is unproven.** Until some attempt has ended
 *   with anything but `Unauthorized` (since the start, or since the last
 *   refusal), attempts go one at a time: a run with a wrong key sends one
 *   request, not one per company in flight. Once one has, attempts go
 *   concurrently.
 *
 * @internal
 */
import { Checkpoint } from "@leadgraph/core"
import { Clock, Duration, Effect, Either, FiberRef, Option, Predicate, Ref } from "effect"

/**
 * Options of a latch.
 *
 * @internal
 */
export interface Options {
  /** The vendor's name, for the log line. */
  readonly vendor: string
  /** The environment variable that holds the key (`LUSHA_API_KEY`), named when the key is refused. */
  readonly keyVariable?: string | undefined
  /** How long a latch tripped outside any run holds (default {@link defaults}.expiry). */
  readonly expiry?: Duration.DurationInput | undefined
}

/**
 * Defaults: a latch outside any run holds 5 minutes; a run's latch is
 * forgotten a day after it tripped.
 *
 * @internal
 */
export const defaults = { expiry: "5 minutes", forgetRunsAfter: "24 hours" } as const

/**
 * A latch; see the module comment.
 *
 * @internal
 */
export interface Latch<E> {
  /** Runs one attempt under the latch (`free`: sent even after `OutOfCredits`). */
  readonly guard: <A>(attempt: Effect.Effect<A, E>, options?: { readonly free?: boolean | undefined }) => Effect.Effect<A, E>
}

type Stop = "Unauthorized" | "OutOfCredits"

interface Latched<E> {
  readonly reason: Stop
  readonly error: E
  readonly atMillis: number
}

interface State<E> {
  /** Some attempt ended with anything but `Unauthorized`: attempts need not probe one at a time. */
  readonly open: boolean
  /** By run id ("" outside any run). */
  readonly latched: ReadonlyMap<string, Latched<E>>
}

type Decision<A, E> =
  | { readonly _tag: "Stop"; readonly error: E }
  | { readonly _tag: "Open" }
  | { readonly _tag: "Ran"; readonly result: Either.Either<A, E> }

const decide = <A, E>(decision: Decision<A, E>): Decision<A, E> => decision

const codeOf = (vendor: string, error: { readonly reason: string; readonly status?: number | undefined }): string =>
  Predicate.hasProperty(error, "code") && typeof error.code === "string"
    ? error.code
    : `${vendor.toLowerCase()}.${error.reason}${error.status === undefined ? "" : `(${error.status})`}`

/**
 * Builds a latch (one per vendor client).
 *
 * @internal
 */
export const make = <E extends { readonly reason: string; readonly status?: number | undefined }>(
  options: Options
): Effect.Effect<Latch<E>> =>
  Effect.gen(function*() {
    const state = yield* Ref.make<State<E>>({ open: false, latched: new Map() })
    const probe = yield* Effect.makeSemaphore(1)
    const expiry = Duration.toMillis(Duration.decode(options.expiry ?? defaults.expiry))
    const forget = Duration.toMillis(Duration.decode(defaults.forgetRunsAfter))
    const runKey = Effect.map(FiberRef.get(Checkpoint.currentRunId), Option.getOrElse(() => ""))
    const holds = (entry: Latched<E>, key: string, now: number) => now - entry.atMillis < (key === "" ? expiry : forget)

    const blocked = (key: string, free: boolean) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.map(Ref.get(state), (s) => {
          const entry = s.latched.get(key)
          if (entry === undefined || !holds(entry, key, now)) return undefined
          return free && entry.reason === "OutOfCredits" ? undefined : entry.error
        }))

    const say = (key: string, reason: Stop, error: E) => {
      const scope = key === "" ? `for ${Duration.format(Duration.millis(expiry))}` : "in this run"
      const code = codeOf(options.vendor, error)
      return (reason === "Unauthorized"
        ? Effect.logError(
          `${options.vendor} refused the API key (${code}): no more ${options.vendor} calls ${scope}; ` +
            (options.keyVariable === undefined ? "check its key" : `check ${options.keyVariable}`)
        )
        : Effect.logWarning(`${options.vendor} says the credits are spent (${code}): no more paid ${options.vendor} calls ${scope}`))
        .pipe(Effect.annotateLogs({ vendor: options.vendor, ...(options.keyVariable === undefined ? {} : { keyVariable: options.keyVariable }) }))
    }

    const trip = (key: string, reason: Stop, error: E) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (s): [boolean, State<E>] => {
          const before = s.latched.get(key)
          const first = before === undefined || !holds(before, key, now) || before.reason !== reason
          const latched = new Map([...s.latched].filter(([k, e]) => holds(e, k, now)))
          latched.set(key, { reason, error, atMillis: now })
          return [first, { open: reason !== "Unauthorized", latched }]
        })).pipe(Effect.flatMap((first) => (first ? say(key, reason, error) : Effect.void)))

    const opened = Ref.update(state, (s) => (s.open ? s : { ...s, open: true }))

    const run = <A>(key: string, attempt: Effect.Effect<A, E>) =>
      attempt.pipe(
        Effect.tapBoth({
          onSuccess: () => opened,
          onFailure: (error) =>
            error.reason === "Unauthorized" || error.reason === "OutOfCredits"
              ? trip(key, error.reason, error)
              // an answer, or no answer at all: either way, probing one at a time would only slow a sick vendor down
              : opened
        })
      )

    const guard = <A>(attempt: Effect.Effect<A, E>, guardOptions?: { readonly free?: boolean | undefined }) =>
      Effect.gen(function*() {
        const key = yield* runKey
        const free = guardOptions?.free === true
        const stop = yield* blocked(key, free)
        if (stop !== undefined) return yield* Effect.fail(stop)
        if ((yield* Ref.get(state)).open) return yield* run(key, attempt)
        const decision = yield* probe.withPermits(1)(
          Effect.gen(function*() {
            const again = yield* blocked(key, free)
            if (again !== undefined) return decide<A, E>({ _tag: "Stop", error: again })
            if ((yield* Ref.get(state)).open) return decide<A, E>({ _tag: "Open" })
            return decide<A, E>({ _tag: "Ran", result: yield* Effect.either(run(key, attempt)) })
          })
        )
        switch (decision._tag) {
          case "Stop":
            return yield* Effect.fail(decision.error)
          case "Open":
            return yield* run(key, attempt)
          case "Ran":
            return yield* decision.result
        }
      })

    return { guard }
  })

/**
 * Runs a job on a cron schedule in a time zone. croner does the pattern math;
 * Effect's `Clock` does the waiting, so `TestClock` drives it in tests. Jobs
 * never overlap: a tick that falls while a job is still going is skipped with
 * a warning. A tick missed while the process was down is run once at start-up
 * when it is recent enough, and the last started tick is remembered in a
 * `State` so a restart does not run it twice.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Cron } from "croner"
import { Cause, Clock, Config, ConfigError, Duration, Effect, Either, Option, Ref, Schema } from "effect"
import { dirname } from "node:path"

/**
 * The scheduler's options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `SCHED_CRON`: a five- or six-field cron pattern. */
  readonly cron: string
  /** `SCHED_TZ`: the IANA time zone the pattern is read in. */
  readonly timeZone: string
  /**
   * A tick missed while the process was down is run once at start-up when it
   * is at most this old; `"0 seconds"` disables catching up.
   */
  readonly catchUpWindow: Duration.DurationInput
}

/**
 * The documented defaults: 01:00 every day in Singapore, catching up on a
 * tick missed in the last six hours.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  cron: "0 1 * * *",
  timeZone: "Asia/Singapore",
  catchUpWindow: "6 hours"
} as const satisfies Options

/**
 * One firing of the schedule: the instant it was scheduled for, and whether
 * it is a missed tick run late at start-up.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tick {
  readonly scheduledAt: Date
  readonly catchUp: boolean
}

/**
 * A bad pattern (`InvalidCron`), a bad zone (`InvalidTimeZone`), or a state
 * that could not be read or written (`State`).
 *
 * @since 0.1.0
 * @category errors
 */
export class SchedulerError extends Schema.TaggedError<SchedulerError>()("SchedulerError", {
  reason: Schema.Literal("InvalidCron", "InvalidTimeZone", "State"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/**
 * Where the last started tick is remembered across restarts.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly lastTick: Effect.Effect<Option.Option<Date>, SchedulerError>
  readonly recordTick: (tick: Date) => Effect.Effect<void, SchedulerError>
  /**
   * Takes a tick for this process, when the state is shared by several
   * (`SchedulerSql.state`): true for the one process that gets it, false for
   * the others, which do not run it. Taking it records it; without `claim`
   * every tick is this process's and is recorded with `recordTick`.
   */
  readonly claim?: ((tick: Date) => Effect.Effect<boolean, SchedulerError>) | undefined
}

/**
 * A `State` held in memory: every restart starts with no tick.
 *
 * @since 0.1.0
 * @category state
 */
export const stateMemory: Effect.Effect<State> = Effect.map(Ref.make(Option.none<Date>()), (ref) => ({
  lastTick: Ref.get(ref),
  recordTick: (tick) => Ref.set(ref, Option.some(tick))
}))

const StateJson = Schema.parseJson(Schema.Struct({ lastTick: Schema.Date }))

/**
 * A `State` kept in a JSON file (`{"lastTick":"<ISO instant>"}`), written
 * atomically through a temporary file. A missing file means no tick yet; a
 * file that cannot be read as such is a `State` error naming the file.
 *
 * @since 0.1.0
 * @category state
 */
export const stateFile = (path: string): Effect.Effect<State, never, FileSystem.FileSystem> =>
  Effect.map(FileSystem.FileSystem, (fs) => {
    const fail = (detail: string) => (cause: unknown) => new SchedulerError({ reason: "State", detail, cause })
    const lastTick = fs.readFileString(path).pipe(
      Effect.map(Option.some),
      Effect.catchIf(
        (e) => e._tag === "SystemError" && e.reason === "NotFound",
        () => Effect.succeed(Option.none<string>())
      ),
      Effect.mapError(fail(`cannot read the scheduler state file ${path}`)),
      Effect.flatMap(Option.match({
        onNone: () => Effect.succeed(Option.none<Date>()),
        onSome: (text) =>
          Schema.decodeUnknown(StateJson)(text).pipe(
            Effect.map(({ lastTick }) => Option.some(lastTick)),
            Effect.mapError(fail(
              `the scheduler state file ${path} is corrupt (expected {"lastTick":"<ISO instant>"}); fix or delete it`
            ))
          )
      })),
      Effect.withSpan("Scheduler.lastTick", { attributes: { path } })
    )
    const recordTick = (tick: Date) => {
      const tmp = `${path}.tmp`
      return fs.makeDirectory(dirname(path), { recursive: true }).pipe(
        Effect.zipRight(fs.writeFileString(tmp, Schema.encodeSync(StateJson)({ lastTick: tick }) + "\n")),
        Effect.zipRight(fs.rename(tmp, path)),
        Effect.mapError(fail(`cannot write the scheduler state file ${path}`)),
        Effect.withSpan("Scheduler.recordTick", { attributes: { path } })
      )
    }
    return { lastTick, recordTick }
  })

/** The zone as an IANA time zone, else why not. */
const checkTimeZone = (timeZone: string): Either.Either<string, unknown> =>
  Either.try({ try: () => (new Intl.DateTimeFormat("en", { timeZone }), timeZone), catch: (cause) => cause })

/** The pattern compiled in the zone (paused: croner only does the math), else why not. */
const checkCron = (pattern: string, timeZone?: string): Either.Either<Cron, unknown> =>
  Either.try({
    try: () => new Cron(pattern, { paused: true, ...(timeZone === undefined ? {} : { timezone: timeZone }) }),
    catch: (cause) => cause
  })

const compile = (options: Options): Either.Either<Cron, SchedulerError> =>
  Either.flatMap(
    Either.mapLeft(checkTimeZone(options.timeZone), (cause) =>
      new SchedulerError({
        reason: "InvalidTimeZone",
        detail: `SCHED_TZ: not an IANA time zone: "${options.timeZone}"`,
        cause
      })),
    () =>
      Either.mapLeft(checkCron(options.cron, options.timeZone), (cause) =>
        new SchedulerError({
          reason: "InvalidCron",
          detail: `SCHED_CRON: not a cron pattern: "${options.cron}" (${cause instanceof Error ? cause.message : String(cause)})`,
          cause
        }))
  )

/**
 * `SCHED_CRON` and `SCHED_TZ`, each checked as {@link run} checks it (a bad
 * value fails naming its variable), with the {@link defaults}.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<Pick<Options, "cron" | "timeZone">> = Config.all({
  cron: Config.string("SCHED_CRON").pipe(
    Config.mapOrFail((pattern) =>
      Either.mapBoth(checkCron(pattern), {
        onLeft: () => ConfigError.InvalidData(["SCHED_CRON"], `not a cron pattern: "${pattern}"`),
        onRight: (cron) => (cron.stop(), pattern)
      })
    ),
    Config.withDescription("when the nightly run starts (cron pattern)"),
    Config.withDefault(defaults.cron)
  ),
  timeZone: Config.string("SCHED_TZ").pipe(
    Config.mapOrFail((tz) =>
      Either.mapLeft(checkTimeZone(tz), () => ConfigError.InvalidData(["SCHED_TZ"], `not an IANA time zone: "${tz}"`))
    ),
    Config.withDescription("the time zone of SCHED_CRON"),
    Config.withDefault(defaults.timeZone)
  )
})

const after = (cron: Cron, instant: Date): Option.Option<Date> => Option.fromNullable(cron.nextRun(instant))

/**
 * The first tick strictly after `after`, in the options' time zone; none when
 * the pattern has no later tick or the pattern or zone is invalid (`run`
 * reports those).
 *
 * @since 0.1.0
 * @category schedule
 */
export const nextTick = (options: Options, after_: Date): Option.Option<Date> =>
  Either.match(compile(options), { onLeft: () => Option.none(), onRight: (cron) => after(cron, after_) })

const iso = (d: Date) => d.toISOString()

// Long sleeps are cut into chunks: Effect's live clock treats a timer past
// 2^31-1 ms as infinite, and re-reading the clock bounds the drift after a
// host suspend.
const maxSleepMillis = 60 * 60 * 1000

const sleepUntil = (at: number) =>
  Effect.gen(function*() {
    let now = yield* Clock.currentTimeMillis
    while (now < at) {
      yield* Effect.sleep(Duration.millis(Math.min(at - now, maxSleepMillis)))
      now = yield* Clock.currentTimeMillis
    }
  })

/**
 * Runs `job` on the schedule, forever. It fails only at start-up: with
 * `InvalidCron` or `InvalidTimeZone` (naming `SCHED_CRON` / `SCHED_TZ`), or
 * with `State` when the last tick cannot be read. Jobs run one at a time;
 * ticks that pass while a job runs are skipped with a warning each. A failed
 * job is logged with its cause and the schedule goes on. Each tick is
 * recorded before its job starts; a failure to record it is logged, not
 * fatal. With no recorded tick, nothing is caught up. With a shared state
 * (one that can `claim`), a tick runs in the one process that takes it.
 *
 * @since 0.1.0
 * @category schedule
 */
export const run = <E, R>(
  job: (tick: Tick) => Effect.Effect<void, E, R>,
  options: Options,
  state: State
): Effect.Effect<never, SchedulerError, R> =>
  Effect.gen(function*() {
    const cron = yield* compile(options)
    const window = Duration.toMillis(Duration.decode(options.catchUpWindow))
    const start = new Date(yield* Clock.currentTimeMillis)
    if (Option.isNone(after(cron, start))) {
      return yield* new SchedulerError({ reason: "InvalidCron", detail: `SCHED_CRON: "${options.cron}" has no future tick` })
    }
    const last = yield* state.lastTick
    yield* Effect.logInfo(`scheduler started: "${options.cron}" in ${options.timeZone}, next tick ${iso(Option.getOrThrow(after(cron, start)))}`)

    const fire = (tick: Tick) => {
      const at = iso(tick.scheduledAt)
      return Effect.gen(function*() {
        if (state.claim === undefined) {
          yield* state.recordTick(tick.scheduledAt).pipe(
            Effect.catchAll((e) => Effect.logError(`tick ${at}: could not record it; a restart may run it again`, Cause.fail(e)))
          )
        } else {
          // one process runs a tick: a shared state that cannot be reached runs it nowhere rather than twice
          const mine = yield* state.claim(tick.scheduledAt).pipe(
            Effect.catchAll((e) => Effect.as(Effect.logError(`tick ${at}: could not take it; not run here`, Cause.fail(e)), false))
          )
          if (!mine) {
            yield* Effect.logInfo(`tick ${at} is another process's: not run here`)
            return tick.scheduledAt
          }
        }
        yield* Effect.logInfo(`tick ${at} started${tick.catchUp ? " (catch-up)" : ""}`)
        const startedAt = yield* Clock.currentTimeMillis
        yield* job(tick).pipe(Effect.matchCauseEffect({
          onFailure: (cause) => Effect.logError(`tick ${at} failed; the schedule goes on`, cause),
          onSuccess: () =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.logInfo(`tick ${at} finished in ${now - startedAt < 1000 ? `${now - startedAt}ms` : Duration.format(now - startedAt)}`))
        }))
        // Ticks strictly before now passed during the job; a tick at exactly
        // now is still due and runs next.
        const now = yield* Clock.currentTimeMillis
        let cursor = tick.scheduledAt
        for (let t = after(cron, cursor); Option.isSome(t) && t.value.getTime() < now; t = after(cron, cursor)) {
          cursor = t.value
          yield* Effect.logWarning(`tick ${iso(cursor)} skipped: the previous run is still going`)
        }
        return cursor
      }).pipe(
        Effect.annotateLogs({ tick: at, catchUp: tick.catchUp }),
        Effect.withSpan("Scheduler.tick", { attributes: { tick: at, catchUp: tick.catchUp } })
      )
    }

    let cursor = start
    const missed = cron.previousRuns(1, new Date(start.getTime() + 1))[0]
    if (missed !== undefined && Option.isSome(last) && missed.getTime() > last.value.getTime()) {
      if (start.getTime() - missed.getTime() <= window && window > 0) {
        cursor = yield* fire({ scheduledAt: missed, catchUp: true })
      } else {
        yield* Effect.logWarning(`tick ${iso(missed)} was missed and is outside the catch-up window; waiting for the next one`)
      }
    }

    while (true) {
      const next = after(cron, cursor)
      if (Option.isNone(next)) {
        yield* Effect.logWarning(`SCHED_CRON "${options.cron}" has no further tick; the scheduler idles`)
        return yield* Effect.never
      }
      yield* sleepUntil(next.value.getTime())
      cursor = yield* fire({ scheduledAt: next.value, catchUp: false })
    }
  }).pipe(Effect.annotateLogs({ cron: options.cron, timeZone: options.timeZone }))

/**
 * A one-line progress bar for a terminal, fed by the engine's events: it
 * counts finished targets by terminal state and redraws in place with `\r`,
 * at most every `minIntervalMillis` of `Clock` time, with the rate so far and
 * an estimate of the time left.
 *
 * @since 0.1.0
 */
import type * as Events from "../engine/Events.js"
import { Clock, Effect } from "effect"

/**
 * What to draw and where.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Targets expected in the run. */
  readonly total: number
  /** Printed before the bar. */
  readonly label: string
  /** Receives each chunk of terminal output (for example `process.stderr.write`). */
  readonly write: (chunk: string) => void
  /** Characters inside the brackets; default 20. */
  readonly width?: number
  /** Least time between two redraws; default 100. */
  readonly minIntervalMillis?: number
}

/**
 * A running progress bar: its sink, and the effect that draws its final line
 * and ends it with a newline (later calls and events are ignored).
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly sink: Events.Sink
  readonly finish: Effect.Effect<void>
  /** Adds to the total, for runs whose size is known only as they start (one tenant after another). */
  readonly addTotal: (n: number) => Effect.Effect<void>
}

/**
 * The defaults for the optional options.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaults = { width: 20, minIntervalMillis: 100 } as const

/**
 * Targets finished so far, by terminal state.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  readonly succeeded: number
  readonly partial: number
  readonly failed: number
}

const clock = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds))
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, "0")
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`
}

/**
 * One line of the bar, without `\r`: label, bar, done/total, counts by
 * state, targets per second and the estimated time left.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (options: {
  readonly label: string
  readonly total: number
  readonly width: number
  readonly counts: Counts
  readonly elapsedMillis: number
}): string => {
  const { counts, total, width } = options
  const done = counts.succeeded + counts.partial + counts.failed
  const ratio = total > 0 ? Math.min(1, done / total) : done > 0 ? 1 : 0
  const filled = Math.round(ratio * width)
  const bar = "#".repeat(filled) + "-".repeat(width - filled)
  const rate = options.elapsedMillis > 0 ? done / (options.elapsedMillis / 1000) : 0
  const left = Math.max(0, total - done)
  const eta = left === 0 ? clock(0) : rate > 0 ? clock(left / rate) : "-:--"
  return `${options.label} [${bar}] ${done}/${total} ok ${counts.succeeded} partial ${counts.partial} failed ${counts.failed}` +
    ` · ${rate.toFixed(1)}/s · ETA ${eta}`
}

/**
 * Makes a progress bar whose clock starts now. Draws happen under a lock, so
 * events published from concurrent fibers never interleave their output.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Progress> =>
  Effect.gen(function*() {
    const width = Math.max(1, Math.floor(options.width ?? defaults.width))
    const minInterval = options.minIntervalMillis ?? defaults.minIntervalMillis
    const lock = yield* Effect.makeSemaphore(1)
    const startedAt = yield* Clock.currentTimeMillis
    let counts: Counts = { succeeded: 0, partial: 0, failed: 0 }
    let total = options.total
    let lastDrawAt: number | undefined
    let drawnLength = 0
    let finished = false

    const draw = (now: number, end: string) => {
      const line = render({ label: options.label, total, width, counts, elapsedMillis: now - startedAt })
      // Pad over what a longer previous line left on screen.
      options.write(`\r${line.padEnd(drawnLength)}${end}`)
      drawnLength = line.length
      lastDrawAt = now
    }

    const sink: Events.Sink = (event) =>
      event._tag !== "TargetFinished" ? Effect.void : lock.withPermits(1)(
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.sync(() => {
            if (finished) return
            counts = { ...counts, [event.state]: counts[event.state] + 1 }
            if (lastDrawAt === undefined || now - lastDrawAt >= minInterval) draw(now, "")
          }))
      )

    const finish = lock.withPermits(1)(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          if (finished) return
          finished = true
          draw(now, "\n")
        }))
    )

    const addTotal = (n: number) => lock.withPermits(1)(Effect.sync(() => void (total += n)))

    return { sink, finish, addTotal }
  }).pipe(Effect.withSpan("Progress.make"))

/**
 * One labelled bar of a {@link Group}: its sink, and how to grow its total.
 *
 * @since 0.1.0
 * @category models
 */
export interface Bar {
  readonly sink: Events.Sink
  /** Adds to the bar's total (call it with a run's target count, e.g. from `EnrichmentRun.Options.onTargets`). */
  readonly addTotal: (n: number) => Effect.Effect<void>
}

/**
 * Several labelled bars drawn together on one line, one segment per bar in
 * the order they were added (for runs side by side: the demo's tenants).
 * `finish` draws the last line and ends it with a newline.
 *
 * @since 0.1.0
 * @category models
 */
export interface Group {
  readonly bar: (label: string) => Effect.Effect<Bar>
  readonly finish: Effect.Effect<void>
}

/**
 * One segment of a group's line: label, bar, done/total and the estimated
 * time left (from the bar's own rate since it was added).
 *
 * @since 0.1.0
 * @category rendering
 */
export const renderSegment = (options: {
  readonly label: string
  readonly total: number
  readonly done: number
  readonly width: number
  readonly elapsedMillis: number
}): string => {
  const { done, total, width } = options
  const ratio = total > 0 ? Math.min(1, done / total) : 0
  const filled = Math.round(ratio * width)
  const rate = options.elapsedMillis > 0 ? done / (options.elapsedMillis / 1000) : 0
  const left = Math.max(0, total - done)
  const eta = total > 0 && left === 0 ? clock(0) : rate > 0 && total > 0 ? clock(left / rate) : "-:--"
  return `${options.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ETA ${eta}`
}

/**
 * Makes a group of bars drawn on one line with `\r` (plain text, no ANSI
 * codes), redrawn at most every `minIntervalMillis` of `Clock` time, under
 * a lock.
 *
 * @since 0.1.0
 * @category constructors
 */
export const group = (options: Omit<Options, "total" | "label">): Effect.Effect<Group> =>
  Effect.gen(function*() {
    const width = Math.max(1, Math.floor(options.width ?? defaults.width))
    const minInterval = options.minIntervalMillis ?? defaults.minIntervalMillis
    const lock = yield* Effect.makeSemaphore(1)
    const bars: Array<{ label: string; total: number; done: number; startedAt: number }> = []
    let lastDrawAt: number | undefined
    let drawnLength = 0
    let finished = false

    const draw = (now: number, end: string) => {
      const line = bars.map((b) => renderSegment({ ...b, width, elapsedMillis: now - b.startedAt })).join(" | ")
      options.write(`\r${line.padEnd(drawnLength)}${end}`)
      drawnLength = line.length
      lastDrawAt = now
    }
    const update = (f: (now: number) => void, force: boolean) =>
      lock.withPermits(1)(Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          if (finished) return
          f(now)
          if (force || lastDrawAt === undefined || now - lastDrawAt >= minInterval) draw(now, "")
        })))

    const bar = (label: string) =>
      Effect.gen(function*() {
        const state = { label, total: 0, done: 0, startedAt: yield* Clock.currentTimeMillis }
        yield* lock.withPermits(1)(Effect.sync(() => void bars.push(state)))
        const sink: Events.Sink = (event) =>
          event._tag !== "TargetFinished" ? Effect.void : update(() => void (state.done += 1), false)
        const addTotal = (n: number) => update(() => void (state.total += n), true)
        return { sink, addTotal }
      })

    const finish = lock.withPermits(1)(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          if (finished) return
          finished = true
          if (bars.length > 0) draw(now, "\n")
        }))
    )
    return { bar, finish }
  }).pipe(Effect.withSpan("Progress.group"))

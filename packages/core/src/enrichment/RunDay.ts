/**
 * The run day: the calendar date a run belongs to, read in one time zone
 * (`SCHED_TZ`), and the instants it spans. A run computes its day once
 * ({@link current}) and every day-based rule uses it: target selection's
 * "not enriched today" and the daily cap (through the store, which calls
 * {@link bounds}), the run's manifest and id, and the reports.
 *
 * A day spans from the start of its date in the zone to the start of the
 * next date there: 24 hours on most days, 23 or 25 on the days daylight
 * saving time starts or ends, and never UTC midnight to UTC midnight. The
 * bounds are computed here only.
 *
 * @example
 * ```ts
 * import { RunDay } from "@leadgraph/core"
 * import { Option } from "effect"
 *
 * const day = Option.getOrThrow(RunDay.make("2026-10-25", "Europe/Berlin"))
 * const { end, start } = Option.getOrThrow(RunDay.bounds(day))
 * // 2026-10-24T22:00:00.000Z to 2026-10-25T23:00:00.000Z: 25 hours
 * ```
 *
 * @since 0.1.0
 */
import { Clock, DateTime, Effect, Option } from "effect"

/**
 * A calendar date (`YYYY-MM-DD`) in an IANA time zone.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunDay {
  readonly date: string
  readonly timeZone: string
}

/**
 * The instants of a day: from `start` (included) to `end` (excluded).
 *
 * @since 0.1.0
 * @category models
 */
export interface Bounds {
  readonly start: Date
  readonly end: Date
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/

/** The UTC midnight of a `YYYY-MM-DD` date (its calendar, not an instant of the day); none when malformed. */
const calendarDate = (date: string): Option.Option<Date> => {
  const parts = datePattern.exec(date)
  if (parts === null) return Option.none()
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])]
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? Option.some(d)
    : Option.none()
}

/**
 * A run day; none when `date` is not a real `YYYY-MM-DD` date or
 * `timeZone` is not an IANA time zone.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (date: string, timeZone: string): Option.Option<RunDay> =>
  Option.isSome(calendarDate(date)) && Option.isSome(DateTime.zoneMakeNamed(timeZone))
    ? Option.some({ date, timeZone })
    : Option.none()

/**
 * True when `timeZone` is an IANA time zone (`Asia/Singapore`, `UTC`).
 *
 * @since 0.1.0
 * @category guards
 */
export const isTimeZone = (timeZone: string): boolean => Option.isSome(DateTime.zoneMakeNamed(timeZone))

/**
 * The day an instant (epoch milliseconds) falls on in a time zone. Throws
 * an `IllegalArgumentException` when `timeZone` is not an IANA time zone.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeAt = (millis: number, timeZone: string): RunDay => ({
  date: DateTime.formatIsoDate(DateTime.unsafeMakeZoned(millis, { timeZone: DateTime.zoneUnsafeMakeNamed(timeZone) })),
  timeZone
})

/**
 * Today in a time zone, by the `Clock`: the run day of a run that starts
 * now. An unknown time zone is a defect (the settings check `SCHED_TZ`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const current = (timeZone: string): Effect.Effect<RunDay> =>
  Effect.flatMap(Clock.currentTimeMillis, (millis) => Effect.sync(() => unsafeAt(millis, timeZone)))

/**
 * The instants of a day in its zone: from the start of its date to the start
 * of the next date (where a zone skips midnight, the first instant of the
 * date). None for a malformed date or an unknown zone.
 *
 * @since 0.1.0
 * @category bounds
 */
export const bounds = (day: RunDay): Option.Option<Bounds> =>
  Option.flatMap(calendarDate(day.date), (midnight) =>
    Option.map(DateTime.zoneMakeNamed(day.timeZone), (zone) => {
      // the calendar date's UTC midnight read as a wall-clock time in the zone
      const startOf = (date: Date) =>
        DateTime.toDateUtc(DateTime.unsafeMakeZoned(date, { timeZone: zone, adjustForTimeZone: true }))
      const next = new Date(midnight.getTime())
      next.setUTCDate(next.getUTCDate() + 1)
      return { start: startOf(midnight), end: startOf(next) }
    }))

/**
 * True when an instant falls within the bounds; false for `null` (never).
 *
 * @since 0.1.0
 * @category bounds
 */
export const contains = (bounds: Bounds, instant: Date | null): boolean =>
  instant !== null && instant.getTime() >= bounds.start.getTime() && instant.getTime() < bounds.end.getTime()

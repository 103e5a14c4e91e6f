import { describe, expect, it } from "@effect/vitest"
import { RunDay } from "@leadgraph/core"
import { Effect, FastCheck as fc, Option, TestClock } from "effect"

const bounds = (date: string, timeZone: string) => {
  const b = Option.getOrThrow(RunDay.bounds({ date, timeZone }))
  return [b.start.toISOString(), b.end.toISOString()]
}

const hours = (date: string, timeZone: string) => {
  const b = Option.getOrThrow(RunDay.bounds({ date, timeZone }))
  return (b.end.getTime() - b.start.getTime()) / 3_600_000
}

const nextDate = (date: string) => {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + 1)
  return d.toISOString().slice(0, 10)
}

describe("RunDay", () => {
  it("spans a date in its zone, never UTC midnight to UTC midnight", () => {
    expect(bounds("2026-03-02", "Asia/Singapore")).toEqual(["2026-03-01T16:00:00.000Z", "2026-03-02T16:00:00.000Z"])
    expect(bounds("2026-01-15", "Europe/Berlin")).toEqual(["2026-01-14T23:00:00.000Z", "2026-01-15T23:00:00.000Z"])
    expect(bounds("2026-03-02", "UTC")).toEqual(["2026-03-02T00:00:00.000Z", "2026-03-03T00:00:00.000Z"])
  })

  it("is 23 hours on the day Berlin's summer time starts and 25 on the day it ends", () => {
    // 2026-03-29 and 2026-10-25 are the last Sundays of March and October
    expect(bounds("2026-03-29", "Europe/Berlin")).toEqual(["2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z"])
    expect(hours("2026-03-29", "Europe/Berlin")).toBe(23)
    expect(bounds("2026-10-25", "Europe/Berlin")).toEqual(["2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z"])
    expect(hours("2026-10-25", "Europe/Berlin")).toBe(25)
    expect(hours("2026-03-28", "Europe/Berlin")).toBe(24)
    expect(hours("2026-10-26", "Europe/Berlin")).toBe(24)
  })

  it("starts at the first instant of the date where a zone skips or repeats midnight", () => {
    // Havana moves 00:00 to 01:00 on 2026-03-08 and 01:00 back to 00:00 on 2026-11-01
    expect(bounds("2026-03-08", "America/Havana")).toEqual(["2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z"])
    expect(bounds("2026-11-01", "America/Havana")).toEqual(["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"])
  })

  it("reads an instant's day in a zone (00:30 and 23:30 local)", () => {
    const at = (iso: string, timeZone: string) => RunDay.unsafeAt(Date.parse(iso), timeZone)
    expect(at("2026-03-01T16:30:00Z", "Asia/Singapore")).toEqual({ date: "2026-03-02", timeZone: "Asia/Singapore" })
    expect(at("2026-03-02T15:30:00Z", "Asia/Singapore").date).toBe("2026-03-02")
    expect(at("2026-03-28T23:30:00Z", "Europe/Berlin").date).toBe("2026-03-29")
    expect(at("2026-03-29T21:30:00Z", "Europe/Berlin").date).toBe("2026-03-29")
    expect(at("2026-10-24T22:30:00Z", "Europe/Berlin").date).toBe("2026-10-25")
    expect(at("2026-10-25T22:30:00Z", "Europe/Berlin").date).toBe("2026-10-25")
    expect(() => RunDay.unsafeAt(0, "Mars/Olympus")).toThrow()
  })

  it.effect("current is today in the zone by the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-10-24T22:30:00Z"))
      expect(yield* RunDay.current("Europe/Berlin")).toEqual({ date: "2026-10-25", timeZone: "Europe/Berlin" })
      expect((yield* RunDay.current("UTC")).date).toBe("2026-10-24")
    }))

  it("refuses dates that are not dates and zones that are not zones", () => {
    for (const date of ["March 2", "2026-3-2", "2026-02-30", "2026-13-01", "2026-03-02T00:00", ""]) {
      expect(RunDay.make(date, "Asia/Singapore"), date).toEqual(Option.none())
      expect(RunDay.bounds({ date, timeZone: "Asia/Singapore" }), date).toEqual(Option.none())
    }
    expect(RunDay.make("2026-03-02", "Mars/Olympus")).toEqual(Option.none())
    expect(RunDay.bounds({ date: "2026-03-02", timeZone: "Mars/Olympus" })).toEqual(Option.none())
    expect(RunDay.make("2028-02-29", "Europe/Berlin")).toEqual(Option.some({ date: "2028-02-29", timeZone: "Europe/Berlin" }))
  })

  it("contains its own instants only, and never null", () => {
    const b = Option.getOrThrow(RunDay.bounds({ date: "2026-03-29", timeZone: "Europe/Berlin" }))
    expect(RunDay.contains(b, new Date(b.start.getTime() - 1))).toBe(false)
    expect(RunDay.contains(b, b.start)).toBe(true)
    expect(RunDay.contains(b, new Date(b.end.getTime() - 1))).toBe(true)
    expect(RunDay.contains(b, b.end)).toBe(false)
    expect(RunDay.contains(b, null)).toBe(false)
  })

  const zones = ["Asia/Singapore", "Europe/Berlin", "America/New_York", "America/Havana", "Australia/Lord_Howe", "UTC"]
  it.prop(
    "an instant falls within its day; days tile time; a day's first and last instants are on it",
    {
      millis: fc.integer({ min: Date.parse("2000-01-01T00:00:00Z"), max: Date.parse("2100-01-01T00:00:00Z") }),
      timeZone: fc.constantFrom(...zones)
    },
    ({ millis, timeZone }) => {
      const day = RunDay.unsafeAt(millis, timeZone)
      const b = Option.getOrThrow(RunDay.bounds(day))
      const next = Option.getOrThrow(RunDay.bounds({ date: nextDate(day.date), timeZone }))
      expect(RunDay.contains(b, new Date(millis))).toBe(true)
      expect(next.start).toEqual(b.end)
      expect(RunDay.unsafeAt(b.start.getTime(), timeZone)).toEqual(day)
      expect(RunDay.unsafeAt(b.end.getTime() - 1, timeZone)).toEqual(day)
      const length = (b.end.getTime() - b.start.getTime()) / 3_600_000
      expect(length).toBeGreaterThanOrEqual(23)
      expect(length).toBeLessThanOrEqual(25)
    }
  )
})

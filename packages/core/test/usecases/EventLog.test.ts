import { describe, expect, it } from "@effect/vitest"
import { EventLog } from "@leadgraph/core"
import type { Events } from "@leadgraph/core"
import { type Console, Effect, Layer, Logger, LogLevel, Schema } from "effect"

class LushaError extends Schema.TaggedError<LushaError>()("LushaError", {
  reason: Schema.Literal("Auth"),
  request: Schema.Unknown
}) {
  override get message() {
    return `lusha refused the key (${this.reason})`
  }
}

const secret = "sk-secret-123"

const events: ReadonlyArray<Events.Event> = [
  { _tag: "RunStarted", runId: "r1", atMillis: 0 },
  { _tag: "StepStarted", runId: "r1", targetId: "c1", step: "crawl", atMillis: 0 },
  {
    _tag: "StepFinished",
    runId: "r1",
    targetId: "c1",
    step: "crawl",
    outcome: "Succeeded",
    reason: undefined,
    restored: false,
    durationMillis: 120,
    budget: { name: "lusha.lookups", units: 2, calls: 1 },
    error: undefined
  },
  {
    _tag: "StepFinished",
    runId: "r1",
    targetId: "c1",
    step: "lusha.contacts",
    outcome: "Failed",
    reason: undefined,
    restored: false,
    durationMillis: 30,
    budget: undefined,
    error: new LushaError({
      reason: "Auth",
      request: { url: "https://api.lusha.com/v2/person", headers: { Authorization: `Bearer ${secret}` } }
    })
  },
  { _tag: "TargetFinished", runId: "r1", targetId: "c1", state: "partial", durationMillis: 150 },
  {
    _tag: "RunFinished",
    runId: "r1",
    summary: {
      runId: "r1",
      targets: { total: 1, succeeded: 0, partial: 1, failed: 0 },
      steps: [],
      budgets: { "lusha.lookups": 2 },
      startedAtMillis: 0,
      finishedAtMillis: 200,
      wallMillis: 200
    }
  }
]

type Format = "json" | "pretty"

/** Effect's JSON or pretty logger at a minimum level (what the runner's `Logging.layer` provides). */
const logging = (format: Format, level: LogLevel.LogLevel) =>
  Layer.merge(format === "json" ? Logger.json : Logger.pretty, Logger.minimumLogLevel(level))

// Runs the sink over the events under a JSON or pretty logger, capturing
// what the logger writes through the Console service.
const capture = (format: Format, level: LogLevel.LogLevel) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const base = yield* Effect.console
    const record = (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" "))
    const console: Console.Console = {
      ...base,
      unsafe: { ...globalThis.console, log: record, info: record, warn: record, error: record, debug: record }
    }
    const publish = EventLog.sink({ tenantId: "t-42" })
    yield* Effect.forEach(events, publish, { discard: true }).pipe(
      Effect.provide(logging(format, level)),
      Effect.withConsole(console)
    )
    return lines
  })

describe("EventLog", () => {
  it.effect("writes one parseable JSON object per line, with the annotations", () =>
    Effect.gen(function*() {
      const lines = yield* capture("json", LogLevel.Debug)
      const logs = lines.map((l) => JSON.parse(l))
      expect(logs.map((l) => [l.logLevel, l.message])).toEqual([
        ["INFO", "run started"],
        ["DEBUG", "step finished"],
        ["DEBUG", "step finished"],
        ["INFO", "target finished"],
        ["INFO", "run finished"]
      ])
      expect(logs[1].annotations).toEqual({
        tenantId: "t-42",
        runId: "r1",
        targetId: "c1",
        step: "crawl",
        outcome: "Succeeded",
        durationMillis: 120,
        restored: false,
        budget: { name: "lusha.lookups", units: 2 }
      })
      expect(logs[2].annotations).toMatchObject({
        step: "lusha.contacts",
        outcome: "Failed",
        errorTag: "LushaError",
        errorMessage: "lusha refused the key (Auth)"
      })
      expect(logs[3].annotations).toEqual({ tenantId: "t-42", runId: "r1", targetId: "c1", state: "partial", durationMillis: 150 })
      expect(logs[4].annotations).toEqual({
        tenantId: "t-42",
        runId: "r1",
        targets: { total: 1, succeeded: 0, partial: 1, failed: 0 },
        budgets: { "lusha.lookups": 2 },
        wallMillis: 200
      })
    }))

  it.effect("writes debug lines only at level debug", () =>
    Effect.gen(function*() {
      const info = (yield* capture("json", LogLevel.Info)).map((l) => JSON.parse(l).message)
      expect(info).toEqual(["run started", "target finished", "run finished"])
      const error = yield* capture("json", LogLevel.Error)
      expect(error).toEqual([])
    }))

  it.effect("never writes a secret carried by a step's error", () =>
    Effect.gen(function*() {
      for (const format of ["json", "pretty"] as const) {
        const output = (yield* capture(format, LogLevel.Debug)).join("\n")
        expect(output).toContain("lusha refused the key")
        expect(output).not.toContain(secret)
        expect(output).not.toContain("Authorization")
      }
    }))

  it.effect("logs a string error and ignores an error without a message", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const base = yield* Effect.console
      const record = (...args: ReadonlyArray<unknown>) => void lines.push(args.map(String).join(" "))
      const failed = (error: unknown): Events.Event => ({
        _tag: "StepFinished",
        runId: "r1",
        targetId: "c1",
        step: "s",
        outcome: "Failed",
        reason: undefined,
        restored: false,
        durationMillis: 1,
        budget: undefined,
        error
      })
      yield* Effect.forEach([failed("boom"), failed({ token: secret })], EventLog.sink(), { discard: true }).pipe(
        Effect.provide(logging("json", LogLevel.Debug)),
        Effect.withConsole({ ...base, unsafe: { ...globalThis.console, log: record } })
      )
      const [first, second] = lines.map((l) => JSON.parse(l).annotations)
      expect(first.errorMessage).toBe("boom")
      expect(second.errorMessage).toBeUndefined()
      expect(lines.join("\n")).not.toContain(secret)
    }))
})

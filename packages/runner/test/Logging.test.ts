import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, LogLevel } from "effect"
import * as Logging from "../src/Logging.js"

const readLevel = (value: string | undefined) =>
  Effect.withConfigProvider(
    Logging.levelConfig,
    ConfigProvider.fromMap(new Map(value === undefined ? [] : [["LOG_LEVEL", value]]))
  )

describe("Logging", () => {
  it("picks pretty output for a terminal and JSON otherwise", () => {
    expect(Logging.formatFor(true)).toBe("pretty")
    expect(Logging.formatFor(false)).toBe("json")
  })

  it.effect("reads LOG_LEVEL, defaulting to info and naming the variable when bad", () =>
    Effect.gen(function*() {
      expect(yield* readLevel(undefined)).toEqual(LogLevel.Info)
      expect(yield* readLevel("debug")).toEqual(LogLevel.Debug)
      expect(yield* readLevel("WARNING")).toEqual(LogLevel.Warning)
      expect(yield* readLevel("error")).toEqual(LogLevel.Error)
      for (const bad of ["verbose", "constructor", ""]) {
        const error = yield* Effect.flip(readLevel(bad))
        expect(String(error)).toContain("LOG_LEVEL")
        expect(String(error)).toContain("debug, info, warning, error")
      }
      expect(Config.isConfig(Logging.levelConfig)).toBe(true)
    }))
})

/**
 * `Settings.variables`, the list `--help` shows, names only variables the
 * runner really reads: each one, set to a value of its own, changes what
 * its `Config` reads (or makes it fail naming the variable).
 */
import { describe, expect, it } from "@effect/vitest"
import { Vendors } from "@leadgraph/adapters"
import { Errors, Logging, Output, Settings, Telemetry } from "@leadgraph/runner"
import { type Config, ConfigProvider, Effect, Either, Redacted } from "effect"

const read = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(env)))))

const shown = (value: unknown) =>
  JSON.stringify(value, (_key, v) => (Redacted.isRedacted(v) ? `redacted:${String(Redacted.value(v))}` : v))

const keys = Object.fromEntries(Vendors.keyVariables.map((name) => [name, "key"]))

/** The config that reads each concern, and the environment it needs besides. */
const readers: ReadonlyArray<readonly [keyof typeof Settings.variables, Config.Config<unknown>, Record<string, string>]> = [
  ["schedule", Settings.config, {}],
  ["caps", Settings.config, {}],
  ["run", Settings.config, {}],
  ["crawler", Settings.config, {}],
  ["cluster", Settings.clusterConfig as Config.Config<unknown>, {}],
  ["vendors", Vendors.config as Config.Config<unknown>, keys],
  ["output", Logging.levelConfig, {}],
  ["telemetry", Telemetry.config, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }]
]

describe("Settings.variables", () => {
  it.effect("every variable of a concern changes what is read, or fails naming it", () =>
    Effect.gen(function*() {
      for (const [concern, config, base] of readers) {
        const before = yield* read(config, base)
        expect(Either.isRight(before), concern).toBe(true)
        for (const name of Settings.variables[concern]) {
          if (name === "NO_COLOR" || name === "LEADGRAPH_STOP_GRACE_SECONDS") continue
          if (name === "ODOO_CALLS_PER_SECOND") continue
          const after = yield* read(config, { ...base, [name]: "7x" })
          const changed = Either.isLeft(after)
            ? Errors.describe(after.left).includes(name)
            : shown(after.right) !== shown(Either.getOrThrow(before))
          expect(changed, `${name} (${concern})`).toBe(true)
        }
      }
      expect(Either.getOrThrow(yield* read(Vendors.odooConfig, { ODOO_CALLS_PER_SECOND: "3" }))).toEqual({
        rateLimit: { limit: 3, interval: "1 second" }
      })
      expect(Either.getOrThrow(yield* read(Output.noColorConfig, { NO_COLOR: "1" }))).toBe(true)
      expect(Either.getOrThrow(yield* read(Output.noColorConfig, { NO_COLOR: "" }))).toBe(false)
      expect(Either.getOrThrow(yield* read(Output.noColorConfig, {}))).toBe(false)
      for (const name of Settings.variables.vendorKeys) {
        const { [name]: _, ...others } = keys
        expect(Either.isLeft(yield* read(Vendors.config as Config.Config<unknown>, others)), name).toBe(true)
      }
    }))

  it("environmentHelp lists the concerns' variables once, in order", () => {
    expect(Settings.environmentHelp("database", "output", "database")).toBe(
      "Environment: DATABASE_URL, MIGRATION_DATABASE_URL, LOG_LEVEL, NO_COLOR, LEADGRAPH_STOP_GRACE_SECONDS."
    )
  })
})

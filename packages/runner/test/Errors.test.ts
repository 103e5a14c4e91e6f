import { describe, expect, it } from "@effect/vitest"
import { HelpDoc, ValidationError } from "@effect/cli"
import { HttpServerError } from "@effect/platform"
import { SqlError } from "@effect/sql"
import { CompanyFile, Database, Scheduler, Vendors } from "@leadgraph/adapters"
import { EngineError, EnrichmentRun, Nightly, Store } from "@leadgraph/core"
import { Errors, Settings, VendorKeys } from "@leadgraph/runner"
import { Cause, ConfigProvider, Effect, FiberId } from "effect"
import { UsageError } from "../src/Cli.js"

const withEnv = <A, E>(effect: Effect.Effect<A, E>, env: Record<string, string>) =>
  Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map(Object.entries(env))))

/** What every line must be: one line, something in it, no object dump and no colour. */
const readable = (line: string) => {
  expect(line).not.toBe("")
  expect(line).not.toContain("\n")
  expect(line).not.toContain("[object Object]")
  expect(line).not.toContain("\x1b[")
  return line
}

const addrInUse = Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080"), {
  code: "EADDRINUSE",
  address: "127.0.0.1",
  port: 8080
})

describe("Errors.describe", () => {
  it.effect("a ConfigError names each variable and what is expected", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(withEnv(Settings.config, { SCHED_TENANT_CONCURRENCY: "0", OPENAI_DAILY_TOKENS_CAP: "lots" }))
      const line = readable(Errors.describe(bad))
      expect(line).toContain("SCHED_TENANT_CONCURRENCY must be a whole number of at least 1")
      expect(line).toContain("OPENAI_DAILY_TOKENS_CAP")
      const missing = yield* Effect.flip(withEnv(Vendors.config, { LUSHA_API_KEY: "lusha-secret-value" }))
      const text = readable(Errors.describe(missing))
      expect(text).toContain("TAVILY_API_KEY is not set")
      expect(text).toContain("OPENAI_API_KEY is not set")
      expect(text).not.toContain("lusha-secret-value")
      expect(Errors.exitCode(Cause.fail(bad))).toBe(2)
    }))

  it.effect("missing vendor keys are named together, and only the missing ones", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(withEnv(VendorKeys.required, { LUSHA_API_KEY: "x", OPENAI_API_KEY: "" }))
      expect(error).toBeInstanceOf(VendorKeys.MissingVendorKeys)
      expect((error as VendorKeys.MissingVendorKeys).variables).toEqual(["TAVILY_API_KEY", "ZEROBOUNCE_API_KEY", "OPENAI_API_KEY"])
      const line = readable(Errors.describe(error))
      expect(line).toContain("TAVILY_API_KEY, ZEROBOUNCE_API_KEY, OPENAI_API_KEY")
      expect(line).toContain("a dry run needs none")
      expect(Errors.exitCode(Cause.fail(error))).toBe(2)
      yield* withEnv(VendorKeys.required, Object.fromEntries(Vendors.keyVariables.map((name) => [name, "k"])))
    }))

  it("a busy port says which, and what to do", () => {
    expect(Errors.describe(new HttpServerError.ServeError({ cause: addrInUse }))).toBe(
      "port 8080 on 127.0.0.1 is in use; give --port or stop the other process"
    )
    const unknown = readable(Errors.describe(new HttpServerError.ServeError({ cause: new Error("boom") })))
    expect(unknown).toBe("the HTTP server could not start: boom")
    expect(readable(Errors.describe(new HttpServerError.ServeError({ cause: undefined })))).toBe("the HTTP server could not start")
  })

  it("a store error says what failed and why, without a URL's password", () => {
    const sql = new SqlError.SqlError({
      message: "PgClient: Failed to connect",
      cause: new Error("password authentication failed for postgres://app:hunter2@db.internal:5432/leadgraph")
    })
    const error = new Store.StoreError({ reason: "Unavailable", operation: "connect", cause: sql })
    const line = readable(Errors.describe(error))
    expect(line).toBe(
      "store connect: Unavailable: PgClient: Failed to connect: password authentication failed for postgres://app:***@db.internal:5432/leadgraph"
    )
    expect(line).not.toContain("hunter2")
    const plain = new Store.StoreError({ reason: "Constraint", operation: "tenants.save", detail: "no such tenant" })
    expect(Errors.describe(plain)).toBe("store tenants.save: Constraint (no such tenant)")
    expect(Errors.exitCode(Cause.fail(plain))).toBe(1)
  })

  it("the embedded database held by another process: the holder, and what to do", () => {
    const held = new Store.StoreError({
      reason: "Conflict",
      operation: "connect",
      detail: "in use",
      cause: new Database.DatabaseLocked({
        dataDir: ".leadgraph/demo/pgdata",
        lockFile: ".leadgraph/demo/pgdata.lock",
        pid: 4242,
        host: "box",
        command: "leadgraph serve"
      })
    })
    const line = readable(Errors.describe(held))
    expect(line).toContain("process 4242 (leadgraph serve)")
    expect(line).toContain("stop that process first")
    expect(line).toContain("DATABASE_URL")
  })

  it("@effect/cli's errors as plain text, usage errors (exit 2)", () => {
    const error = ValidationError.invalidValue(HelpDoc.p("'abc' is not a integer"))
    expect(Errors.describe(error)).toBe("'abc' is not a integer")
    expect(Errors.exitCode(Cause.fail(error))).toBe(2)
    // it printed it already
    expect(Errors.describeCause(Cause.fail(error))).toEqual([])
  })

  it("the tagged errors of core, adapters and runner keep their messages", () => {
    const cases: ReadonlyArray<readonly [unknown, string, number]> = [
      [new UsageError({ message: "no tenant: give --tenant or set DEFAULT_TENANT_ID" }), "no tenant: give --tenant or set DEFAULT_TENANT_ID", 2],
      [new Nightly.UnknownTenant({ tenantId: "acme" }), "no tenant \"acme\"", 2],
      [new EngineError.GraphError({ reason: "UnknownStep", steps: ["crawll"], detail: "no step crawll" }), "UnknownStep: no step crawll", 1],
      [new CompanyFile.CompanyFileError({ path: "a.txt", reason: "Format", detail: "unknown format" }), "a.txt: unknown format", 1],
      [new Scheduler.SchedulerError({ reason: "InvalidCron", detail: "bad pattern" }), "InvalidCron: bad pattern", 1],
      [new EnrichmentRun.RunInProgress({ tenantId: "acme" }), "a run of tenant \"acme\" is already in progress (in this or another process)", 1]
    ]
    for (const [error, text, code] of cases) {
      expect(Errors.describe(error)).toBe(text)
      expect(Errors.exitCode(Cause.fail(error))).toBe(code)
    }
  })

  it("objects without a message, strings and empty errors are never blank nor [object Object]", () => {
    expect(Errors.describe({ _tag: "Weird" })).toBe("Weird")
    expect(Errors.describe({ a: 1 })).toBe("{\"a\":1}")
    expect(Errors.describe({})).toBe("unknown error")
    expect(Errors.describe("  plain\ntext ")).toBe("plain text")
    expect(Errors.describe("")).toBe("unknown error")
    expect(Errors.describe(new Error(""))).toBe("Error")
    expect(Errors.describe(Object.assign(new Error(""), { cause: new Error("inner") }))).toBe("inner")
    expect(Errors.describe({ _tag: "Wrapped", cause: { message: "because" } })).toBe("Wrapped: because")
  })
})

describe("Errors.describeCause", () => {
  it("one line per failure, a usage exit only when every failure is one", () => {
    const cause = Cause.parallel(
      Cause.fail(new Nightly.UnknownTenant({ tenantId: "a" })),
      Cause.fail(new Store.StoreError({ reason: "Query", operation: "runs.list" }))
    )
    expect(Errors.describeCause(cause)).toEqual(["no tenant \"a\"", "store runs.list: Query"])
    expect(Errors.exitCode(cause)).toBe(1)
    const usage = Cause.sequential(Cause.fail(new UsageError({ message: "x" })), Cause.fail(new UsageError({ message: "x" })))
    expect(Errors.describeCause(usage)).toEqual(["x"])
    expect(Errors.exitCode(usage)).toBe(2)
  })

  it("a defect is one line; its stack only with debug", () => {
    const cause = Cause.die(new Error("boom at postgres://u:secret@h/db"))
    const lines = Errors.describeCause(cause)
    expect(lines).toEqual(["unexpected error: boom at postgres://u:***@h/db"])
    const debug = Errors.describeCause(cause, { debug: true })
    expect(debug).toHaveLength(2)
    expect(debug[1]).toContain("Errors.test.ts")
    expect(debug[1]).not.toContain("secret")
    expect(Errors.exitCode(cause)).toBe(1)
    expect(Errors.describeCause(Cause.die({ nothing: true }))).toEqual(["unexpected error: {\"nothing\":true}"])
  })

  it("an interruption prints nothing and exits 130", () => {
    const cause = Cause.interrupt(FiberId.none)
    expect(Errors.describeCause(cause)).toEqual([])
    expect(Errors.exitCode(cause)).toBe(130)
  })
})

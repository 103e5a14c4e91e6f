/**
 * The acceptance suite's world: a database (in-memory PGlite always, and a
 * fresh schema on the Postgres at `DATABASE_URL` when it is set), the
 * fixture company sites, all five fake vendors plus a second fake Odoo, the
 * two demo tenants seeded as the demo seeds them, and the runner's whole
 * environment over them — so each test runs the real `TenantRun` /
 * `Nightly` against real HTTP on 127.0.0.1, and reads the fakes' counters.
 */
import { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { Tenancy } from "@leadgraph/adapters"
import { DemoWorld, type FakeVendors, TestDatabases } from "@leadgraph/adapters/testing"
import { expect } from "vitest"
import { EnrichmentRun, Nightly, Store } from "@leadgraph/core"
import type { Run, Tenant } from "@leadgraph/core"
import { Demo, Environment, Settings } from "@leadgraph/runner"
import { Clock, Data, Effect, Layer, Logger, LogLevel, Option } from "effect"
import type { Scope } from "effect"

/** A database the suite runs against. */
export interface Target {
  readonly label: string
  readonly database: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, Store.StoreError>
}

/** PGlite always; Postgres too when `DATABASE_URL` is set (each world gets its own schema). */
export const targets = TestDatabases.targets("acceptance", process.env.DATABASE_URL)

/**
 * What a world is built from: the demo world's seed (7 unless given),
 * companies per tenant, database and fake vendors' knobs, and daily caps
 * over the demo's settings.
 */
export interface WorldOptions extends Omit<DemoWorld.Options, "environment"> {
  readonly caps?: Partial<Settings.Caps> | undefined
}

/** A running demo world, the demo's settings, its tenants, and run options with the suite's defaults. */
export interface World extends Omit<DemoWorld.World, "use"> {
  readonly settings: Settings.Settings
  readonly tenants: ReadonlyArray<DemoWorld.DemoTenant>
  /** Runs an effect in the environment (with the tenants' Odoo secrets, logs above warnings muted). */
  readonly use: <A, E>(effect: Effect.Effect<A, E, Environment.Services>) => Effect.Effect<A, E>
  /** One tenant's run options with the suite's defaults (export to Odoo off unless asked). */
  readonly options: (tenantId: Tenant.TenantId, overrides?: Partial<EnrichmentRun.Options>) => Effect.Effect<EnrichmentRun.Options>
}

/** Builds a world for the life of the scope (the demo's world, logs above warnings muted). */
export const makeWorld = (options: WorldOptions): Effect.Effect<World, Store.StoreError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = Demo.settings(options.caps)
    const world = yield* DemoWorld.make({
      seed: options.seed ?? 7,
      companiesPerTenant: options.companiesPerTenant,
      database: options.database,
      environment: Environment.optionsOf(settings),
      vendors: options.vendors
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Error))
    const { fakes, odoo, web } = world
    const use = <A, E>(effect: Effect.Effect<A, E, Environment.Services>) =>
      world.use(effect).pipe(Logger.withMinimumLogLevel(LogLevel.Error))
    const runOptions = (tenantId: Tenant.TenantId, overrides?: Partial<EnrichmentRun.Options>) =>
      Effect.map(Clock.currentTimeMillis, (now): EnrichmentRun.Options => ({
        tenantId,
        runDay: Nightly.dayIn(now, settings.schedule.timeZone),
        timeZone: settings.schedule.timeZone,
        cap: settings.schedule.dailyCapPerTenant,
        concurrency: 8,
        caps: Settings.budgetCaps(settings.caps),
        knobs: { scoreMinExport: settings.scoreMinExport, corpusCharLimit: settings.corpusCharLimit, exportToOdoo: false },
        ...overrides
      }))
    return { web, fakes, odoo, settings, tenants: DemoWorld.tenants, use, options: runOptions }
  })

/** The result of a run that was not a dry run (fails the test otherwise). */
export const finished = (result: EnrichmentRun.Result): EnrichmentRun.Finished => {
  if (result._tag !== "Finished") throw new Error(`expected a finished run, got ${result._tag}`)
  return result
}

/** One step's counts in a run summary. */
export const stepOf = (result: EnrichmentRun.Finished, step: string) => {
  const found = result.summary.steps.find((s) => s.step === step)
  if (found === undefined) throw new Error(`no step ${step} in the summary`)
  return found
}

/** Chat completion request bodies by their structured output's name (`firmographics`, `lead_score_rationale`). */
export const completionKinds = (bodies: ReadonlyArray<unknown>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const body of bodies) {
    const name = (body as { response_format?: { json_schema?: { name?: unknown } } } | null)?.response_format?.json_schema
      ?.name
    const kind = typeof name === "string" ? name : "other"
    out[kind] = (out[kind] ?? 0) + 1
  }
  return out
}

/** The fake OpenAI's chat completion calls so far. */
export const completionCalls = (fakes: FakeVendors.FakeVendors) =>
  Effect.map(fakes.openAi.calls, (c) => c["POST /v1/chat/completions"] ?? 0)

/**
 * The chat completions made by `effect`, by kind: it must make at most 50
 * (the fake keeps the last 50 request bodies).
 */
export const countCompletions = <A, E, R>(fakes: FakeVendors.FakeVendors, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const before = yield* completionCalls(fakes)
    const value = yield* effect
    const made = (yield* completionCalls(fakes)) - before
    if (made > 50) throw new Error(`${made} completions: more than the fake keeps (50)`)
    const bodies = made === 0 ? [] : (yield* fakes.openAi.requests).slice(-made)
    return { value, made, kinds: completionKinds(bodies) }
  })

class Rollback extends Data.TaggedError("Rollback")<{ readonly value: unknown }> {}

/**
 * Runs `query` as the tables' owner over every tenant's rows: forced
 * row-level security is lifted on `tables` inside the owner's transaction,
 * which is always rolled back. (The runtime role the store connects with
 * owns nothing and can lift nothing; the owner is the test database's
 * `TestDatabases.Owner`.)
 */
export const asAdmin = <A>(
  owner: TestDatabases.OwnerService,
  tables: ReadonlyArray<string>,
  query: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>
): Effect.Effect<A, unknown> =>
  Effect.gen(function*() {
    const outcome = yield* owner.transaction((sql) =>
      Effect.gen(function*() {
        for (const table of tables) yield* sql.unsafe(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`)
        const value = yield* query(sql)
        return yield* new Rollback({ value })
      })
    ).pipe(Effect.flip)
    if (outcome instanceof Rollback) return outcome.value as A
    return yield* Effect.fail(outcome)
  })

/**
 * A resumed run is whole: it resumed `runId`, its manifest holds all
 * `companies`, every one of them has an outcome, and none failed. The
 * stored run, for more checks.
 */
export const expectWhole = (
  world: World,
  tenantId: Tenant.TenantId,
  result: EnrichmentRun.Finished,
  companies: number
) =>
  Effect.gen(function*() {
    expect(result.resumed).toBe(true)
    expect(result.summary.targets.total).toBe(companies)
    expect(result.summary.targets.failed).toBe(0)
    const store = (yield* world.use(Store.Store)).forTenant(tenantId)
    const stored = Option.getOrThrow(yield* world.use(store.runs.get(result.runId as Run.RunId)))
    const outcomes = yield* world.use(Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.flatMap(Tenancy.Tenancy, (tenancy) =>
        tenancy.withTenant(
          tenantId,
          sql<{ company_id: string; status: string }>`
            SELECT company_id::text AS company_id, status FROM company_enrichment_runs WHERE run_id = ${result.runId}`
        ))))
    expect(stored.manifest.companyIds).toHaveLength(companies)
    expect(outcomes.map((o) => o.company_id).sort()).toEqual([...stored.manifest.companyIds].sort())
    expect(outcomes.filter((o) => o.status === "failed")).toEqual([])
    return stored
  })

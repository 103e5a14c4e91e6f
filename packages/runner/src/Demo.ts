/**
 * The demo: the whole nightly job on one machine with nothing installed.
 * The demo world of `@leadgraph/adapters/testing` (`DemoWorld`: two tenants
 * with different ICP rules and 50 companies each, 25 of them shared, to
 * show isolation; the fixture company websites and all five fake vendors on
 * 127.0.0.1, one fake Odoo per tenant) over embedded PGlite; then the
 * nightly run, its report, and each tenant's score export written as CSV
 * and JSON to a folder.
 *
 * The database is kept, in the embedded database's default directory
 * (`Database.defaultDataDir`, `.leadgraph/demo/pgdata`), so every command
 * run afterwards without `DATABASE_URL` (`runs`, `report`, `serve`, `run
 * --dry-run`) works over the demo's tenants, companies and runs. A second
 * demo reuses it: the tenants are seeded again (idempotently; their Odoo
 * connections now point at this demo's fake Odoo) and the night runs with
 * `rerun`, so it takes every company again rather than none. `fresh`
 * removes the database first. The fake vendors and fake Odoo stop with the
 * demo: afterwards a real run of a demo tenant has no vendor to call.
 *
 * @since 0.1.0
 */
import { Database } from "@leadgraph/adapters"
import { DemoWorld } from "@leadgraph/adapters/testing"
import type { Error as PlatformError, FileSystem, Path } from "@effect/platform"
import { Nightly, Progress, Report, type Store } from "@leadgraph/core"
import type { Events } from "@leadgraph/core"
import { type Deferred, Effect, Option, type Scope } from "effect"
import * as Environment from "./Environment.js"
import * as Settings from "./Settings.js"

/**
 * Demo options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Seed of the fixture sites and the fake vendors (default 42). */
  readonly seed?: number | undefined
  /** Companies per tenant (default 50). */
  readonly companiesPerTenant?: number | undefined
  /** PGlite data directory (default `Database.defaultDataDir`, kept after the demo; `"memory://"` keeps nothing). */
  readonly dataDir?: string | undefined
  /** Remove the database first and start afresh (default false: reuse it). */
  readonly fresh?: boolean | undefined
  /** Receives a progress line per tenant, redrawn in place (give it only on a terminal; default none). */
  readonly progress?: ((chunk: string) => void) | undefined
  /** Where the exports go (default `.leadgraph/demo`). */
  readonly outDir?: string | undefined
  /** Where the report goes (default the log). */
  readonly print?: ((text: string) => Effect.Effect<void>) | undefined
  /** Completed to stop early: no new company starts. */
  readonly stop?: Deferred.Deferred<void> | undefined
}

/**
 * The demo's settings: the defaults, with two tenants and 16 companies per
 * tenant at once, and `caps` over the default daily caps.
 *
 * @since 0.1.0
 * @category constructors
 */
export const settings = (caps?: Partial<Settings.Caps>): Settings.Settings => ({
  ...Settings.defaults,
  schedule: { ...Settings.defaults.schedule, tenantConcurrency: 2, companyConcurrency: 16 },
  caps: { ...Settings.defaults.caps, ...caps },
  defaultTenantId: Option.none(),
  scoreMinExportSource: "default",
  ignoredLeadThreshold: Option.none()
})

/**
 * Runs the demo and returns the nightly result; the fakes and the database
 * stop with the scope.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (options?: Options): Effect.Effect<
  Nightly.Result,
  Store.StoreError | PlatformError.PlatformError,
  Scope.Scope | FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const print = options?.print ?? ((text: string) => Effect.logInfo(text))
    const demo = settings()
    const dataDir = options?.dataDir ?? Database.defaultDataDir
    if (options?.fresh === true && !dataDir.includes("://")) yield* Database.removeEmbedded(dataDir)
    const world = yield* DemoWorld.make({
      seed: options?.seed,
      companiesPerTenant: options?.companiesPerTenant ?? 50,
      database: Database.layerEmbedded({ dataDir }),
      environment: Environment.optionsOf(demo)
    })
    const write = options?.progress
    const bars = write === undefined ? undefined : yield* Progress.group({ write })
    const byTenant = new Map<string, Progress.Bar>()
    if (bars !== undefined) for (const t of DemoWorld.tenants) byTenant.set(t.id, yield* bars.bar(t.id))
    return yield* world.use(Effect.gen(function*() {
      // rerun: a demo over a kept database takes every company again, rather than none
      const result = yield* Nightly.run({
        ...Settings.nightly(demo, { stop: options?.stop, rerun: true }),
        ...(bars === undefined ? {} : {
          sinksFor: (tenant): ReadonlyArray<Events.Sink> => Option.toArray(Option.fromNullable(byTenant.get(tenant.id)?.sink)),
          onTargetsFor: (tenant) => byTenant.get(tenant.id)?.addTotal
        })
      })
      if (bars !== undefined) yield* bars.finish
      yield* print(Report.nightly(result))
      const exports = yield* DemoWorld.writeExports(options?.outDir ?? ".leadgraph/demo", demo.scoreMinExport)
      const { odoo, topLeads } = yield* DemoWorld.summary(world)
      yield* print(topLeads)
      yield* print([
        `exports (score >= ${demo.scoreMinExport}) written to ${exports.dir}: ${exports.files.join(", ")} and .json`,
        ...odoo,
        dataDir.includes("://")
          ? "database: in memory, gone with the demo"
          : `database kept in ${dataDir}: without DATABASE_URL, leadgraph runs, report, serve and run --dry-run read it; demo --fresh starts afresh`
      ].join("\n"))
      return result
    }))
  })

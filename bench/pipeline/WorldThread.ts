/**
 * Starts the world (bench/pipeline/world.ts: the fixture web and the fakes)
 * in a worker thread of this process, on the same scaled clock as the run,
 * and asks it for its counters. Shared by `bench/pipeline.ts` and
 * `bench/cluster.ts`.
 */
import { Worker } from "node:worker_threads"
import { SharedRateLimits, type Vendors } from "@leadgraph/adapters"
import { DemoWorld, FakeOdooServer, FakeVendors } from "@leadgraph/adapters/testing"
import { Company, Store, type Tenant } from "@leadgraph/core"
import { Effect, Schema } from "effect"
import type { Real } from "./bounds.js"
import type * as World from "./world.js"

/** Starts the world in a worker thread; it is terminated with the scope. */
export const start = (options: World.WorldOptions) =>
  Effect.acquireRelease(
    Effect.async<{ readonly worker: Worker; readonly ready: World.Ready }, Error>((resume) => {
      // a worker does not inherit tsx's loader: register it, then load the world
      const entry = new URL("./world.ts", import.meta.url).href
      const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
      const worker = new Worker(boot, { eval: true, workerData: options })
      worker.once("error", (e) => resume(Effect.fail(e)))
      worker.once("message", (ready: World.Ready) => resume(Effect.succeed({ worker, ready })))
    }),
    ({ worker }) => Effect.promise(() => worker.terminate())
  )

/** The world's counters and logs so far. */
export const stats = (worker: Worker) =>
  Effect.async<World.Stats>((resume) => {
    worker.once("message", (stats: World.Stats) => resume(Effect.succeed(stats)))
    worker.postMessage("stats")
  })

/**
 * The vendors' options for the world's fakes: their URLs and keys, each
 * client-side limit at the vendor's limit without bursts (so the client
 * waits instead of drawing 429s).
 */
export const vendorOptions = (
  urls: World.Ready["urls"],
  real: Real,
  zbBatchesPerMinute: number | undefined
): Vendors.Options => {
  const base = FakeVendors.vendorOptions({
    tavily: { url: urls.tavily },
    lusha: { url: urls.lusha },
    zeroBounce: { url: urls.zeroBounce },
    openAi: { baseURL: urls.openAi }
  } as unknown as FakeVendors.FakeVendors)
  return {
    tavily: { ...base.tavily, rateLimit: SharedRateLimits.perMinute(real.tavily.perMinute) },
    lusha: { ...base.lusha, rateLimit: SharedRateLimits.perMinute(real.lusha.perMinute) },
    zeroBounce: zbBatchesPerMinute === undefined
      ? base.zeroBounce
      : { ...base.zeroBounce, batchRateLimit: SharedRateLimits.perMinute(zbBatchesPerMinute) },
    openAi: { ...base.openAi, rateLimit: SharedRateLimits.perMinute(real.openAi.perMinute) }
  }
}

/**
 * Seeds the bench tenant with the world's companies (their fixture sites),
 * the industrial demo tenant's ICP rules and an Odoo connection to the
 * world's fake Odoo, whose password is read from the environment variable
 * `odooSecret`.
 */
export const seedTenant = (tenantId: Tenant.TenantId, ready: World.Ready, odooSecret: string) =>
  Effect.flatMap(Store.Store, (store) => {
    const [industrial] = DemoWorld.tenants
    return store.withTenant(tenantId, (t) =>
      Effect.gen(function*() {
        yield* t.tenants.save({ name: "Bench Tenant" })
        yield* t.tenants.saveOdooConnection({
          active: true,
          url: ready.urls.odoo,
          database: FakeOdooServer.defaults.database,
          login: FakeOdooServer.defaults.login,
          secretRef: `env:${odooSecret}`
        })
        yield* t.icpRules.save(industrial!.rules)
        yield* t.companies.upsert(ready.companies.map((c) =>
          Schema.decodeUnknownSync(Company.CompanyInput)({
            name: c.name,
            domain: c.host,
            website: `http://${c.host}:${ready.fixturePort}/`
          })
        ))
      }))
  })

/**
 * `POST /admin/runs` with `{"all": true}` applies the nightly job's tenant
 * filter (`SCHED_TENANT_INCLUDE`, `SCHED_TENANT_EXCLUDE`) and names the
 * tenants it left out, with the reason, in `skipped`; over real HTTP on
 * 127.0.0.1 against PGlite (and Postgres when `DATABASE_URL` is set). Four
 * tenants: three active (an active Odoo connection), one not. The filter
 * comes from the server's options, or, when they give none, from the
 * settings (here a map standing in for the environment).
 */
import { describe, expect, it } from "@effect/vitest"
import { Store, Tenant } from "@leadgraph/core"
import { ConfigProvider, Effect, Layer } from "effect"
import { adminToken, call, Launcher, layer, seedTenant, targets, tenantA, tenantB } from "./harness.js"

const tenantC = Tenant.TenantId.make("initech-systems")
const tenantD = Tenant.TenantId.make("umbrella-inactive")

const json = (text: string) => JSON.parse(text) as unknown
const admin = { method: "POST", token: adminToken }
const kickoff = (body: unknown) => call("/admin/runs", { ...admin, body: JSON.stringify(body) })

interface Kickoff {
  readonly runs: ReadonlyArray<{ readonly id: string; readonly tenantId: string }>
  readonly alreadyRunning: ReadonlyArray<{ readonly id: string | null; readonly tenantId: string }>
  readonly skipped: ReadonlyArray<{ readonly tenantId: string; readonly reason: string }>
}

/** A, B and C active; D disabled (not active, so never listed). */
const seedAll = Effect.gen(function*() {
  yield* seedTenant(tenantA, [{ name: "One", domain: "one.example", score: 80 }], { odoo: true })
  yield* seedTenant(tenantB, [{ name: "Two", domain: "two.example", score: 70 }], { odoo: true })
  yield* seedTenant(tenantC, [{ name: "Three", domain: "three.example", score: 60 }], { odoo: true })
  yield* seedTenant(tenantD, [{ name: "Four", domain: "four.example", score: 50 }])
  yield* Effect.flatMap(Store.Store, (store) => store.forTenant(tenantD).tenants.save({ name: "Four", disabled: true }))
})

for (const target of targets("http_filter")) {
  describe(`leadgraph serve: kickoff of all tenants, filtered (${target.label})`, () => {
    it.layer(
      layer(target.database, { tenantFilter: { include: [tenantA, tenantC], exclude: [tenantC] } }),
      { timeout: "120 seconds" }
    )((it) => {
      const seeded = seedAll.pipe(Effect.cached, Effect.runSync)

      it.effect("starts only what the filter lets through and names the others with the reason; a named tenant is started anyway", () =>
        Effect.gen(function*() {
          yield* seeded
          const launcher = yield* Launcher
          const first = yield* kickoff({ all: true, limit: 3 })
          expect(first.status).toBe(202)
          const body = json(first.text) as Kickoff
          expect(body.runs.map((r) => r.tenantId)).toEqual([tenantA])
          expect(body.runs[0]!.id.startsWith(`${tenantA}-`)).toBe(true)
          expect(body.alreadyRunning).toEqual([])
          // C is in the include list but also excluded: exclusion wins, and is the reason given
          expect(body.skipped).toEqual([
            { tenantId: tenantB, reason: "not in SCHED_TENANT_INCLUDE" },
            { tenantId: tenantC, reason: "excluded by SCHED_TENANT_EXCLUDE" }
          ])
          // only A was launched, with the request's flags
          expect((yield* launcher.launched).map((l) => [l.tenantId, l.limit, l.rerun])).toEqual([[tenantA, 3, false]])

          // a kickoff of one named tenant is not filtered (as `leadgraph run --tenant` is not)
          const named = yield* kickoff({ tenant: tenantC })
          expect(named.status).toBe(202)
          const namedBody = json(named.text) as Kickoff
          expect(namedBody.runs.map((r) => r.tenantId)).toEqual([tenantC])
          expect(namedBody.alreadyRunning).toEqual([])
          expect(namedBody.skipped).toEqual([])
          expect((yield* launcher.launched).map((l) => l.tenantId)).toEqual([tenantA, tenantC])

          // again while A and C run: A is already running; B and C are left out by the filter, not busy
          const again = yield* kickoff({ all: true })
          expect(again.status).toBe(202)
          expect(json(again.text)).toEqual({
            runs: [],
            alreadyRunning: [{ id: body.runs[0]!.id, tenantId: tenantA }],
            skipped: [
              { tenantId: tenantB, reason: "not in SCHED_TENANT_INCLUDE" },
              { tenantId: tenantC, reason: "excluded by SCHED_TENANT_EXCLUDE" }
            ]
          })
          expect(yield* launcher.launched).toHaveLength(2)
        }))

      it.effect("the OpenAPI document declares `skipped` and its reasons", () =>
        Effect.gen(function*() {
          const spec = yield* call("/openapi.json")
          expect(spec.status).toBe(200)
          // wherever the generator puts the schema, the reasons are its enum
          expect(spec.text).toContain("\"skipped\"")
          expect(spec.text).toContain("\"excluded by SCHED_TENANT_EXCLUDE\"")
          expect(spec.text).toContain("\"not in SCHED_TENANT_INCLUDE\"")
        }))
    })
  })
}

for (const target of targets("http_filter_env")) {
  describe(`leadgraph serve: kickoff filter from the settings (${target.label})`, () => {
    // the rest (the test database's own variables) from the environment
    const settings = ConfigProvider.fromMap(new Map([["SCHED_TENANT_EXCLUDE", `${tenantB}, ${tenantD}`]])).pipe(
      ConfigProvider.orElse(() => ConfigProvider.fromEnv())
    )
    it.layer(
      layer(target.database, { tenantFilter: "settings" }).pipe(Layer.provide(Layer.setConfigProvider(settings))),
      { timeout: "120 seconds" }
    )((it) => {
      const seeded = seedAll.pipe(Effect.cached, Effect.runSync)

      it.effect("without a filter in the options, SCHED_TENANT_EXCLUDE of the settings applies", () =>
        Effect.gen(function*() {
          yield* seeded
          const launcher = yield* Launcher
          const all = yield* kickoff({ all: true })
          expect(all.status).toBe(202)
          const body = json(all.text) as Kickoff
          expect(body.runs.map((r) => r.tenantId)).toEqual([tenantA, tenantC])
          expect(body.alreadyRunning).toEqual([])
          // D is excluded too, but it is not active: only active tenants are listed
          expect(body.skipped).toEqual([{ tenantId: tenantB, reason: "excluded by SCHED_TENANT_EXCLUDE" }])
          expect((yield* launcher.launched).map((l) => l.tenantId)).toEqual([tenantA, tenantC])
        }))
    })
  })
}

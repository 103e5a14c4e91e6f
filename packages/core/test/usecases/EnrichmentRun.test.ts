/**
 * One tenant's run over the memory store and the port doubles: a dry run
 * plans without a call or a write; a run records its manifest, outcomes
 * and status and reports budgets against caps; a second run of the same id
 * resumes from its checkpoints; a held run lock refuses the run before it
 * records anything; a run whose lock is lost stops; a tenant without an
 * Odoo connection is scored, not exported.
 */
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Pipeline, Run, Store, Tenant } from "@leadgraph/core"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Scope, TestClock } from "effect"
import * as Ports from "./ports.js"
import * as World from "./world.js"

const tenantId = Tenant.TenantId.make("acme")

describe("EnrichmentRun", () => {
  it.effect("a dry run plans the targets and forecasts their calls, calling no port and recording nothing", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      const plan = World.planned(yield* EnrichmentRun.run(World.options(tenantId, { dryRun: true, runId: "acme-dry" })))
      expect(plan.runId).toBe("acme-dry")
      expect(plan.targets.map((c) => c.domain)).toEqual(["alpha.example", "beta.example", "gamma.example"])
      // nothing known of these companies: every one at defaults
      expect(plan.forecast.basis).toEqual({ known: 0, averaged: 0, defaulted: 3 })
      expect(plan.forecast.vendors.lusha).toEqual({ budget: "lusha.lookups", calls: 3, maxUnits: 30 })
      expect(plan.forecast.vendors.zerobounce.calls).toBe(3 * Pipeline.defaultAddresses())
      // every company has a website: no web search forecast
      expect(plan.forecast.vendors.tavily.calls).toBe(0)
      expect(plan.forecast.vendors.openai.calls).toBe(6)

      expect(world.calls.snapshot()).toEqual({})
      expect(yield* World.storedRun(tenantId, "acme-dry")).toEqual(Option.none())
      const companies = yield* World.companiesOf(tenantId, World.domains)
      expect(companies.map((c) => c.lastEnrichedAt)).toEqual([null, null, null])
      // the dry run held no lock: a real run may start at once
      const lock = yield* Effect.scoped(EnrichmentRun.lock(tenantId))
      expect(lock).toEqual({ _tag: "RunLock", tenantId })
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a run over 3 companies records a manifest, an outcome per company and its status, with budgets against caps", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-1" })))
      expect(run).toMatchObject({ tenantId, runId: "acme-1", status: "succeeded", resumed: false, failures: [] })
      expect(run.summary.targets).toEqual({ total: 3, succeeded: 3, partial: 0, failed: 0 })
      for (const step of ["crawl", "contacts", "verify", "score", "rationale", "persist", "export"]) {
        expect(World.stepOf(run, step), step).toMatchObject({ succeeded: 3, restored: 0, failed: 0 })
      }

      // the vendors: the thin site (beta) alone needs a web search; two leads reach Odoo
      expect(world.calls.snapshot()).toEqual({
        "crawler.crawl": 3,
        "llm.extract": 3,
        "llm.rationale": 3,
        "lusha.findContacts": 3,
        "odoo.connect": 1,
        "odoo.exportCompany": 2,
        "tavily.extract": 1,
        "tavily.search": 1,
        "zerobounce.verifyMany": 3
      })
      // 2 contacts and one site address per company; budgets read against the caps
      expect(run.budgets).toEqual({
        "tavily.queries": { used: 2, cap: 50 },
        "lusha.lookups": { used: 6, cap: 100 },
        "zerobounce.verifications": { used: 9, cap: 100 },
        "openai.tokens": { used: 3 * (Ports.tokens.extract + Ports.tokens.rationale), cap: 100_000 }
      })

      // the manifest, the outcomes and the final status, as stored
      const companies = yield* World.companiesOf(tenantId, World.domains)
      const stored = yield* World.storedRunOrThrow(tenantId, "acme-1")
      expect(stored.status).toBe("succeeded")
      expect(stored.manifest).toEqual({
        runId: "acme-1",
        runDay: "2026-03-02",
        rerun: false,
        cap: 10,
        companyIds: companies.map((c) => c.id),
        caps: World.caps
      })
      expect(stored.counts).toEqual({ succeeded: 3 })
      expect(stored.errorSummary).toBeNull()
      expect(stored.finishedAt).toEqual(new Date(World.noon))
      expect(stored.steps["contacts"]).toMatchObject({ succeeded: 3, skipped: 0, failed: 0 })
      // recorded outcomes mark the companies enriched at the clock's time
      expect(companies.map((c) => c.lastEnrichedAt)).toEqual([new Date(World.noon), new Date(World.noon), new Date(World.noon)])

      // scored and stored; only verified contacts in Odoo (Bob's address bounces)
      const store = (yield* Store.Store).forTenant(tenantId)
      const scores = yield* Effect.forEach(companies, (c) => Effect.map(store.leads.scoreOf(c.id), Option.map((s) => s.score)))
      expect(scores).toEqual([Option.some(100), Option.some(60), Option.some(0)])
      // each outcome keeps the score this run gave and its paid steps' calls (as the port doubles metered them)
      const outcomes = yield* store.runs.outcomes(Run.RunId.make("acme-1"))
      const byId = new Map(outcomes.map((o) => [o.companyId, o]))
      expect(companies.map((c) => byId.get(c.id)?.score)).toEqual([100, 60, 0])
      expect(companies.map((c) => byId.get(c.id)?.steps["contacts"]?.calls)).toEqual([1, 1, 1])
      expect(outcomes.reduce((n, o) => n + (o.steps["search"]?.calls ?? 0), 0)).toBe(world.calls.of("tavily.search") + world.calls.of("tavily.extract"))
      const odoo = world.odoo.get(tenantId)!
      expect([...odoo.records.companies.keys()].sort()).toEqual(["alpha.example", "beta.example"])
      expect([...odoo.records.contacts.keys()].sort()).toEqual(["ada@alpha.example", "ada@beta.example"])
      expect(odoo.records.leads.size).toBe(2)

      // the cap is spent for the day: a second new run that day takes nothing
      const again = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { cap: 3 })))
      expect(again.summary.targets.total).toBe(0)
      expect(world.calls.of("crawler.crawl")).toBe(3)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a second run of the same id resumes: succeeded steps are restored, never paid again", () => {
    const lushaFailing = new Set(["beta.example"])
    const world = World.make({ sites: World.sites, lushaFailing })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      const first = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-r" })))
      expect(first.status).toBe("partial")
      expect(first.summary.targets).toEqual({ total: 3, succeeded: 2, partial: 1, failed: 0 })
      expect(first.failures).toEqual([{
        code: "lusha.Unauthorized(401)",
        count: 1,
        steps: ["contacts"],
        example: "lusha.Unauthorized(401): Invalid API key"
      }])
      expect((yield* World.storedRunOrThrow(tenantId, "acme-r")).errorSummary).toBe("1 x lusha.Unauthorized(401): Invalid API key")
      const before = world.calls.snapshot()
      expect(before["lusha.findContacts"]).toBe(3)

      // Lusha takes the key again; the same run id resumes
      lushaFailing.clear()
      yield* TestClock.adjust("1 hour")
      const resumed = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-r" })))
      expect(resumed).toMatchObject({ runId: "acme-r", resumed: true, status: "succeeded", failures: [] })
      expect(resumed.summary.targets).toEqual({ total: 3, succeeded: 3, partial: 0, failed: 0 })
      // beta's contacts ran again, so did its dependants; its crawl too: they read the text, which was not kept
      expect(World.stepOf(resumed, "crawl")).toMatchObject({ succeeded: 1, restored: 2 })
      expect(World.stepOf(resumed, "extract")).toMatchObject({ succeeded: 0, restored: 3 })
      expect(World.stepOf(resumed, "contacts")).toMatchObject({ succeeded: 1, restored: 2, failed: 0 })
      // beta's contacts, the one step that had failed, and what depends on them:
      // its new addresses verified and exported (its crawl again, for the text);
      // nothing another company had paid for is paid again
      expect(world.calls.snapshot()).toEqual({
        ...before,
        "lusha.findContacts": 4,
        "zerobounce.verifyMany": before["zerobounce.verifyMany"]! + 1,
        "crawler.crawl": before["crawler.crawl"]! + 1,
        "odoo.connect": 2,
        "odoo.exportCompany": before["odoo.exportCompany"]! + 1
      })
      // the resume kept its manifest and recorded its status
      const stored = yield* World.storedRunOrThrow(tenantId, "acme-r")
      expect(stored.manifest.companyIds).toHaveLength(3)
      expect(stored.status).toBe("succeeded")
      expect(stored.counts).toEqual({ succeeded: 3 })
    }).pipe(Effect.provide(world.layer))
  })

  // A resume re-runs the step that failed (contacts); its dependants (verify,
  // score, persist, export) ran without it, and their checkpoints are kept
  // for that case only (`verify~contacts`), so they run again with it. This
  // failed before the fix: the contacts the resume paid for were never
  // verified, stored or exported, and the run said "succeeded".
  it.effect("a resume that re-runs a failed step re-runs its dependants: the contacts it paid for are stored and exported", () => {
    const lushaFailing = new Set(["beta.example"])
    const world = World.make({ sites: World.sites, lushaFailing })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-d" }))
      lushaFailing.clear()
      const resumed = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-d" })))
      expect(World.stepOf(resumed, "contacts")).toMatchObject({ succeeded: 1 })
      // beta's two contacts were paid for by the resume...
      expect(resumed.budgets["lusha.lookups"]).toEqual({ used: 6, cap: 100 })
      // ...so they should be verified, stored and, Ada's being valid, exported
      expect(World.stepOf(resumed, "verify")).toMatchObject({ succeeded: 1, restored: 2 })
      const [beta] = yield* World.companiesOf(tenantId, ["beta.example"])
      const store = (yield* Store.Store).forTenant(tenantId)
      expect((yield* store.leads.contactsOf(beta!.id)).map((c) => c.email).sort()).toEqual([
        "ada@beta.example",
        "bob.bounce@beta.example"
      ])
      expect(world.odoo.get(tenantId)!.records.contacts.has("ada@beta.example")).toBe(true)
    }).pipe(Effect.provide(world.layer))
  })

  // The Lusha double reserves 10 units per company and commits one per contact
  // (2 here): once one company has its contacts, 2 + 10 passes a cap of 10.
  for (const binding of ["run", "day"] as const) {
    it.effect(`a per-run cap and the daily cap both apply: the ${binding}'s cap of 10 Lusha units binds`, () => {
      const small = { "lusha.lookups": 10 }
      const caps = binding === "day" ? { ...World.caps, ...small } : World.caps
      const world = World.make({ sites: World.sites, caps })
      return Effect.gen(function*() {
        yield* TestClock.setTime(World.noon)
        yield* World.seed(tenantId, World.domains)
        const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, {
          runId: `acme-cap-${binding}`,
          caps,
          runCaps: binding === "run" ? small : { "lusha.lookups": 100 }
        })))
        const contacts = World.stepOf(run, "contacts")
        expect(contacts).toMatchObject({ succeeded: 1, failed: 0 })
        expect(contacts.skipped.budget).toBe(2)
        expect(run.status).toBe("partial")
        expect(run.budgets["lusha.lookups"]).toMatchObject({ used: 2, cap: binding === "day" ? 10 : 100 })
      }).pipe(Effect.provide(world.layer))
    })
  }

  it.effect("a tenant whose Odoo connection does not create leads gets its companies and contacts exported, no lead", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      const store = yield* Store.Store
      yield* store.forTenant(tenantId).tenants.saveOdooConnection({
        active: true,
        url: "http://odoo.invalid",
        database: "db",
        login: "bot",
        secretRef: "env:UNUSED",
        createLeads: false
      })
      const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-noleads" })))
      expect(run.status).toBe("succeeded")
      const odoo = world.odoo.get(tenantId)!
      expect(odoo.records.companies.size).toBe(2)
      expect(odoo.records.contacts.size).toBeGreaterThan(0)
      expect(odoo.records.leads.size).toBe(0)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a held run lock fails the run with RunInProgress, having recorded nothing and called no port", () => {
    const world = World.make({ sites: World.sites })
    return Effect.gen(function*() {
      yield* TestClock.setTime(World.noon)
      yield* World.seed(tenantId, World.domains)
      const other = yield* Scope.make()
      yield* EnrichmentRun.lock(tenantId).pipe(Scope.extend(other))

      const exit = yield* Effect.exit(EnrichmentRun.run(World.options(tenantId, { runId: "acme-busy" })))
      expect(exit).toEqual(Exit.fail(new EnrichmentRun.RunInProgress({ tenantId })))
      expect(world.calls.snapshot()).toEqual({})
      expect(yield* World.storedRun(tenantId, "acme-busy")).toEqual(Option.none())
      expect((yield* World.companiesOf(tenantId, World.domains)).map((c) => c.lastEnrichedAt)).toEqual([null, null, null])
      // a second try of the lock is refused too, until its holder lets go
      expect(yield* Effect.exit(Effect.scoped(EnrichmentRun.lock(tenantId)))).toEqual(
        Exit.fail(new EnrichmentRun.RunInProgress({ tenantId }))
      )

      yield* Scope.close(other, Exit.void)
      const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-busy" })))
      expect(run.summary.targets.total).toBe(3)
    }).pipe(Effect.provide(world.layer))
  })

  it.effect("a run whose lock is lost stops, companies in flight too, is recorded as failed and fails with a Conflict", () =>
    Effect.gen(function*() {
      const crawling = yield* Deferred.make<void>()
      const lost = yield* Deferred.make<void>()
      // every crawl hangs: only the lost lock can end the run
      const world = World.make({
        sites: World.sites,
        beforeCrawl: () => Effect.zipRight(Deferred.succeed(crawling, undefined), Effect.never)
      })
      yield* Effect.gen(function*() {
        yield* TestClock.setTime(World.noon)
        yield* World.seed(tenantId, World.domains)
        const run = yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-lost" })).pipe(
          Effect.updateService(Store.Store, (store) => ({ ...store, runLockLost: () => Deferred.await(lost) })),
          Effect.fork
        )
        yield* Deferred.await(crawling)
        yield* Deferred.succeed(lost, undefined)
        const exit = yield* Fiber.await(run)
        expect(Exit.isFailure(exit) && Option.getOrUndefined(Cause.failureOption(exit.cause))).toMatchObject({
          _tag: "StoreError",
          reason: "Conflict",
          operation: "tryLockRun"
        })
        expect((yield* World.storedRunOrThrow(tenantId, "acme-lost")).status).toBe("failed")
        expect((yield* World.companiesOf(tenantId, World.domains)).map((c) => c.lastEnrichedAt)).toEqual([null, null, null])
        // the run let its lock go
        expect(yield* Effect.scoped(EnrichmentRun.lock(tenantId))).toEqual({ _tag: "RunLock", tenantId })
      }).pipe(Effect.provide(world.layer))
    }))

  it.effect("a run handed another tenant's lock dies before it records anything", () => {
    const world = World.make({ sites: World.sites })
    const other = Tenant.TenantId.make("other")
    return Effect.gen(function*() {
      yield* World.seed(tenantId, World.domains)
      yield* World.seed(other, [])
      const exit = yield* Effect.scoped(Effect.flatMap(EnrichmentRun.lock(other), (lock) =>
        Effect.exit(EnrichmentRun.run(World.options(tenantId, { runId: "acme-x", lock })))))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      expect(world.calls.snapshot()).toEqual({})
      expect(yield* World.storedRun(tenantId, "acme-x")).toEqual(Option.none())
    }).pipe(Effect.provide(world.layer))
  })

  for (const connection of ["none", "inactive"] as const) {
    it.effect(`a tenant with ${connection === "none" ? "no" : "an inactive"} Odoo connection is scored, its export step left out`, () => {
      const world = World.make({ sites: World.sites })
      return Effect.gen(function*() {
        yield* TestClock.setTime(World.noon)
        yield* World.seed(tenantId, World.domains, connection)
        const run = World.finished(yield* EnrichmentRun.run(World.options(tenantId, { runId: "acme-o" })))
        expect(run.status).toBe("succeeded")
        expect(World.stepOf(run, "score")).toMatchObject({ succeeded: 3 })
        // as with --skip export: the companies still succeed
        expect(World.stepOf(run, "export")).toMatchObject({ succeeded: 0, failed: 0, skipped: { disabled: 3 } })
        expect(run.summary.targets).toMatchObject({ total: 3, succeeded: 3, partial: 0 })
        expect(run.odooConnected).toBe(false)
        expect(world.calls.total("odoo")).toBe(0)
        expect(world.odoo.size).toBe(0)
        const companies = yield* World.companiesOf(tenantId, World.domains)
        const store = (yield* Store.Store).forTenant(tenantId)
        const scores = yield* Effect.forEach(companies, (c) => Effect.map(store.leads.scoreOf(c.id), Option.map((s) => s.score)))
        expect(scores).toEqual([Option.some(100), Option.some(60), Option.some(0)])
        // the vendors ran all the same
        expect(world.calls.of("lusha.findContacts")).toBe(3)
      }).pipe(Effect.provide(world.layer))
    })
  }
})

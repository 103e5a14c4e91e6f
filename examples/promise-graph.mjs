#!/usr/bin/env node
/**
 * promise-graph: leadgraph embedded in a plain Promise-based Node program.
 *
 * It builds its own graph over made-up companies (`normalise` the website
 * to a domain, `classify` the industry, `score` the lead, `save` it to the
 * store), and hides Effect behind `async function enrich(companies)`: the
 * engine runs through `Effect.runPromise` against core's in-memory `Store`
 * and in-memory `Checkpoint` store, created once and shared by every call.
 * The second call uses the same run id, so the engine restores every step
 * from its checkpoints and runs none of them again.
 *
 * Plain ESM JavaScript, no build step: `node examples/promise-graph.mjs`
 * (after `npm run build`). Exits non-zero on any failure.
 */
import { Checkpoint, Company, Engine, Graph, Step, Store, Tenant } from "@leadgraph/core"
import { Effect, Either, Schema, Stream } from "effect"

const tenantId = Tenant.TenantId.make("demo")
const runId = "promise-graph-1"

// ---- the graph: four steps over one target type ----------------------------
const step = Step.forTarget()

const Normalise = step("normalise", {
  description: "website URL to a bare domain",
  output: Company.Domain,
  run: ({ target }) =>
    Effect.try({
      try: () => new URL(target.website).hostname.replace(/^www\./, ""),
      catch: () => new Error(`not a URL: ${target.website}`)
    }).pipe(
      Effect.flatMap(Schema.decodeUnknown(Company.Domain))
    )
})

const Classify = step("classify", {
  output: Schema.Literal("software", "services", "other"),
  run: ({ target }) =>
    Effect.succeed(/software|saas/i.test(target.industry) ? "software" : /consult|services/i.test(target.industry) ? "services" : "other")
})

const Score = step("score", {
  needs: { segment: Classify },
  output: Schema.Int,
  run: ({ segment, target }) =>
    Effect.succeed({ software: 60, services: 40, other: 20 }[segment] + Math.min(40, Math.floor(target.employees / 10)))
})

// `save` needs the Store service; the engine passes it through from `provide`.
const Save = step("save", {
  needs: { domain: Normalise, segment: Classify },
  output: Company.CompanyId,
  run: ({ domain, segment, target }) =>
    Effect.gen(function*() {
      const companies = (yield* Store.Store).forTenant(tenantId).companies
      const input = yield* Schema.decodeUnknown(Company.CompanyInput)({ name: target.name, domain, website: target.website, industry: segment })
      yield* companies.upsert([input])
      const [row] = yield* companies.findByDomains([domain])
      return row.id
    })
})

const LeadGraph = Either.getOrThrow(Graph.make(Normalise, Classify, Score, Save))

// ---- the services: built once, shared by every call ------------------------
const [store, checkpoints] = await Effect.runPromise(Effect.all([Store.makeMemory, Checkpoint.makeMemory]))
const provide = (effect) =>
  effect.pipe(Effect.provideService(Store.Store, store), Effect.provideService(Checkpoint.Checkpoint, checkpoints))
await Effect.runPromise(provide(store.forTenant(tenantId).tenants.save({ name: "Demo tenant" })))

/** Enriches companies; resolves to one result per company, in input order. */
async function enrich(companies) {
  const results = await Effect.runPromise(provide(
    Stream.runCollect(Engine.stream(LeadGraph, Stream.fromIterable(companies), { runId, concurrency: 4 }))
  ))
  const byId = new Map(Array.from(results, (r) => [r.targetId, r]))
  return companies.map((company) => {
    const { state, outcomes } = byId.get(company.id)
    if (state !== "succeeded") {
      const failed = Object.entries(outcomes).filter(([, o]) => o._tag !== "Succeeded")
      throw new Error(`${company.id} ended ${state}: ${failed.map(([s, o]) => `${s} ${o.error?.message ?? o.reason}`).join("; ")}`)
    }
    return {
      name: company.name,
      domain: outcomes.normalise.output,
      segment: outcomes.classify.output,
      score: outcomes.score.output,
      restored: Object.values(outcomes).filter((o) => o.restored).length
    }
  })
}

// ---- a plain async program -------------------------------------------------
const companies = [
  { id: "c1", name: "Acme Analytics", website: "https://www.Acme-Analytics.example/about", industry: "Software", employees: 250 },
  { id: "c2", name: "Borealis Consulting", website: "http://borealis.example", industry: "IT consulting services", employees: 80 },
  { id: "c3", name: "Cobalt Bakery", website: "https://cobalt-bakery.example/", industry: "Food", employees: 12 }
]
const steps = LeadGraph.steps.length

try {
  let domains = []
  for (const label of ["run 1", "run 2"]) {
    const results = await enrich(companies)
    const restored = results.reduce((n, r) => n + r.restored, 0)
    console.log(`${label}: ${results.length}/${companies.length} targets succeeded, ${restored}/${results.length * steps} steps restored`)
    for (const r of results) console.log(`  ${r.domain.padEnd(22)} ${r.segment.padEnd(9)} score ${r.score}`)
    domains = results.map((r) => r.domain)
  }
  const stored = await Effect.runPromise(provide(store.forTenant(tenantId).companies.findByDomains(domains)))
  console.log(`store: ${stored.length} companies for tenant ${tenantId}: ${stored.map((c) => c.name).join(", ")}`)
} catch (error) {
  console.error(`promise-graph failed: ${error?.stack ?? error}`)
  process.exit(1)
}

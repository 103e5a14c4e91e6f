/**
 * The demo's world over embedded PGlite, small: the two demo tenants are
 * seeded with overlapping companies; after a night, each tenant's exports
 * are written as CSV and JSON, and the summary shows the best leads and
 * what reached each tenant's own fake Odoo.
 */
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Database } from "@leadgraph/adapters"
import { DemoWorld } from "@leadgraph/adapters/testing"
import { Company, LeadExport, Llm, Lusha, Nightly, Store, Tavily, ZeroBounce } from "@leadgraph/core"
import { Effect, Logger, LogLevel } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const caps = { [Tavily.budget]: 1000, [Lusha.budget]: 500, [ZeroBounce.budget]: 2000, [Llm.tokenBudget]: 2_000_000 }

describe("DemoWorld", () => {
  it.scopedLive("seeds the demo tenants; after a night, writes their exports and sums up their Odoo", () =>
    Effect.gen(function*() {
      const world = yield* DemoWorld.make({
        seed: 5,
        companiesPerTenant: 2,
        database: Database.layerEmbedded({ dataDir: "memory://" }),
        environment: { caps }
      })
      const domains = yield* world.use(Effect.flatMap(Store.Store, (store) =>
        Effect.forEach(DemoWorld.tenants, (t) =>
          Effect.map(
            store.forTenant(t.id).companies.findByDomains(world.web.companies.map((c) => Company.Domain.make(c.host))),
            (cs) => cs.map((c) => c.domain).sort()
          ))
      ))
      // tenant i takes the fixture companies from i * n / 2 on: one shared
      expect(domains.map((d) => d.length)).toEqual([2, 2])
      expect(domains[0]!.filter((d) => domains[1]!.includes(d))).toHaveLength(1)

      const night = yield* world.use(Nightly.run({
        tenantConcurrency: 2,
        dailyCap: 10,
        timeZone: "Asia/Singapore",
        tenant: { concurrency: 4, caps }
      }))
      expect(night.tenants.map((t) => [t._tag, t.tenant.id])).toEqual(DemoWorld.tenants.map((t) => ["Ran", t.id]))

      const dir = mkdtempSync(join(tmpdir(), "leadgraph-demo-"))
      const exports = yield* world.use(DemoWorld.writeExports(join(dir, "out"), 0)).pipe(Effect.provide(NodeContext.layer))
      expect(exports).toEqual({ dir: join(dir, "out"), files: ["acme-industrial.csv", "globex-software.csv"] })
      const csv = readFileSync(join(dir, "out", "acme-industrial.csv"), "utf8").split("\r\n")
      expect(csv[0]).toBe(LeadExport.columns.join(","))
      expect(csv.filter((line) => line !== "")).toHaveLength(3)
      expect(JSON.parse(readFileSync(join(dir, "out", "globex-software.json"), "utf8"))).toHaveLength(2)

      const summary = yield* world.use(DemoWorld.summary(world))
      expect(summary.topLeads).toMatch(/^top leads of acme-industrial \(rationales by the fake LLM/)
      expect(summary.topLeads).toContain("top leads of globex-software")
      expect(summary.odoo.map((line) => line.replace(/\d+/g, "N"))).toEqual([
        "acme-industrial Odoo: N partners, N leads",
        "globex-software Odoo: N partners, N leads"
      ])
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning)), 120_000)
})

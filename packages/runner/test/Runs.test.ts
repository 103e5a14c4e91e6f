import { describe, expect, it } from "@effect/vitest"
import type { Company, Run } from "@leadgraph/core"
import { Store, Tenant } from "@leadgraph/core"
import { Effect, Exit } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { leadgraph } from "./inProcess.js"

const start = Date.UTC(2026, 2, 2, 1, 0)

/** Two tenants; acme has two runs (the newer one finished with spend and a failure), beta one. */
const world = Effect.gen(function*() {
  const store = yield* Store.makeMemory
  for (const [tenant, runs] of [["acme", 2], ["beta", 1]] as const) {
    const t = store.forTenant(Tenant.TenantId.make(tenant))
    yield* t.tenants.save({ name: tenant })
    yield* t.companies.upsert([{ name: "<i>Evil</i> Co", domain: `${tenant}.example` as Company.Domain, website: null, industry: null, ssicCode: null, country: null, employeeRange: null, lastSeen: null }])
    const [c] = yield* t.companies.findByDomains([`${tenant}.example` as Company.Domain])
    for (let i = 0; i < runs; i++) {
      const runId = `${tenant}-2026-03-02-00000${i}` as Run.RunId
      const at = start + (tenant === "beta" ? 30 : i * 60) * 60_000
      yield* t.runs.create({ runId, runDay: "2026-03-02", rerun: false, cap: 5, companyIds: [c!.id], caps: { "lusha.contacts": 10 } }, new Date(at))
      if (i === 1) {
        yield* t.runs.recordOutcomes(runId, [{
          companyId: c!.id,
          status: "partial",
          finishedAt: new Date(at + 5000),
          steps: { crawl: { status: "succeeded", millis: 120, reason: null }, contacts: { status: "failed", millis: 30, reason: "lusha.Unauthorized(401)" } }
        }])
        yield* t.runs.finish(runId, { status: "partial", finishedAt: new Date(at + 90_000), steps: {}, errorSummary: null, spend: { "lusha.contacts": 4 } })
      }
    }
  }
  return store
})

describe("leadgraph runs and report", () => {
  it.effect("runs lists every tenant's runs newest first; --tenant keeps to one; --limit pages with a cursor", () =>
    Effect.gen(function*() {
      const store = yield* world
      const all = yield* leadgraph(["runs"], { store })
      expect(Exit.isSuccess(all.exit)).toBe(true)
      const lines = all.out.split("\n")
      expect(lines[0]).toMatch(/^run\s+tenant\s+day\s+status/)
      expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["acme-2026-03-02-000001", "beta-2026-03-02-000000", "acme-2026-03-02-000000"])
      expect(lines[1]).toMatch(/partial\s+1\/1\s+0\s+1\s+0\s+1m30s\s+lusha\.contacts=4$/)
      // a run still going has no spend yet
      expect(lines[3]).toMatch(/running .*—\s+—$/)
      const beta = yield* leadgraph(["runs", "--tenant", "beta"], { store })
      expect(beta.out.split("\n").slice(1).map((l) => l.split(/\s+/)[1])).toEqual(["beta"])
      const first = yield* leadgraph(["runs", "--limit", "2"], { store })
      const more = /--cursor (\S+)$/m.exec(first.out)
      expect(more).not.toBeNull()
      const second = yield* leadgraph(["runs", "--limit", "2", "--cursor", more![1]!], { store })
      expect(second.out.split("\n").slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["acme-2026-03-02-000000"])
      expect(second.out).not.toContain("--cursor")
    }))

  it.effect("runs show prints one run in detail; an unknown id fails, naming it", () =>
    Effect.gen(function*() {
      const store = yield* world
      const { exit, out } = yield* leadgraph(["runs", "show", "acme-2026-03-02-000001"], { store })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(out).toContain("run acme-2026-03-02-000001 of acme on 2026-03-02: partial")
      expect(out).toMatch(/crawl\s+1\s+0\s+0\s+120ms/)
      expect(out).toMatch(/lusha\.contacts\s+4\s+10/)
      expect(out).toContain("1 x lusha.Unauthorized(401) in contacts (e.g. acme.example)")
      const missing = yield* leadgraph(["runs", "show", "acme-2026-03-02-zzzzzz"], { store })
      expect(Exit.isFailure(missing.exit)).toBe(true)
      expect(String(Exit.isFailure(missing.exit) ? missing.exit.cause : "")).toContain("acme-2026-03-02-zzzzzz")
    }))

  it.effect("report writes the run's HTML report to --out", () =>
    Effect.gen(function*() {
      const store = yield* world
      const dir = mkdtempSync(join(tmpdir(), "leadgraph-report-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const file = join(dir, "report.html")
      const { exit, out } = yield* leadgraph(["report", "acme-2026-03-02-000001", "--out", file], { store })
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(out).toBe(`wrote ${file}`)
      const page = readFileSync(file, "utf8")
      expect(page).toContain("<svg id=\"chart-progress\"")
      expect(page).toContain("&lt;i&gt;Evil&lt;/i&gt; Co")
      expect(page).not.toContain("<i>Evil")
    }).pipe(Effect.scoped))
})

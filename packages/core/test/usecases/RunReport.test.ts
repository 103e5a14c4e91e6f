import { describe, expect, it } from "@effect/vitest"
import type { Company, Run, Score } from "@leadgraph/core"
import { RunReport, Store, Tenant } from "@leadgraph/core"
import { Effect, Option } from "effect"

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` as Company.CompanyId
const start = Date.UTC(2026, 2, 2, 1, 0)
const runId = "acme-2026-03-02-abc123" as Run.RunId

const step = (status: Run.StepOutcome["status"], millis: number, reason: string | null = null): Run.StepOutcome => ({ status, millis, reason })

const data = (overrides: Partial<RunReport.Data> = {}): RunReport.Data => {
  const d = (x: string) => x as Company.Domain
  const companies = [
    { id: id(1), name: "<script>alert(1)</script>", domain: d("evil.example") },
    { id: id(2), name: "Beta & Sons \"Ltd\"", domain: d("beta.example") },
    { id: id(3), name: "Gamma & \"Co\"", domain: d("gamma.example") }
  ]
  const outcomes: ReadonlyArray<Run.CompanyOutcome> = [
    { companyId: id(1), status: "partial", finishedAt: new Date(start + 60_000), steps: { crawl: step("succeeded", 100), contacts: step("failed", 40, "lusha.Unauthorized(401)") } },
    { companyId: id(2), status: "succeeded", finishedAt: new Date(start + 30_000), steps: { crawl: step("succeeded", 300), contacts: step("succeeded", 90) } },
    { companyId: id(3), status: "partial", finishedAt: new Date(start + 90_000), steps: { crawl: step("succeeded", 200), contacts: step("failed", 50, "lusha.Unauthorized(401)") } }
  ]
  return {
    run: {
      id: runId,
      tenantId: Tenant.TenantId.make("acme"),
      status: "partial",
      startedAt: new Date(start),
      finishedAt: new Date(start + 120_000),
      manifest: { runId, runDay: "2026-03-02", rerun: false, cap: 10, companyIds: companies.map((c) => c.id), caps: { "lusha.contacts": 10, "tavily.queries": 50 } },
      steps: {},
      counts: { succeeded: 1, partial: 2 },
      errorSummary: null,
      spend: { "lusha.contacts": 8 }
    },
    outcomes,
    companies,
    scores: [
      { companyId: id(1), score: 95 as Score.ScoreValue, runId },
      { companyId: id(2), score: 42 as Score.ScoreValue, runId },
      // scored again by a later run: not this run's score
      { companyId: id(3), score: 47 as Score.ScoreValue, runId: "acme-2026-03-03-later" },
      // not in the run
      { companyId: id(9), score: 5 as Score.ScoreValue, runId }
    ],
    ...overrides
  }
}

const chartIds = ["chart-progress", "chart-steps", "chart-vendors", "chart-budgets", "chart-scores", "chart-failures"]

describe("RunReport", () => {
  it("derives the timeline, step times, calls, budgets, histogram and failures", () => {
    const a = RunReport.analyse(data())
    expect(a.timeline).toEqual([{ millis: 30_000, count: 1 }, { millis: 60_000, count: 2 }, { millis: 90_000, count: 3 }])
    expect(a.elapsedMillis).toBe(120_000)
    expect(a.steps.find((s) => s.step === "crawl")).toEqual({ step: "crawl", succeeded: 3, skipped: 0, failed: 0, p50Millis: 200, p90Millis: 300, maxMillis: 300 })
    expect(a.steps.find((s) => s.step === "contacts")).toMatchObject({ succeeded: 1, failed: 2, p50Millis: 50, maxMillis: 90 })
    // recorded before calls were counted: one per step run; the other paid steps ran nowhere
    expect(a.vendors).toContainEqual({ vendor: "lusha", calls: 3 })
    expect(a.vendors.filter((v) => v.vendor !== "lusha").every((v) => v.calls === 0)).toBe(true)
    expect(a.budgets).toEqual([
      { budget: "lusha.contacts", used: 8, cap: 10 },
      { budget: "tavily.queries", used: 0, cap: 50 }
    ])
    expect(a.histogram.map((b) => b.count)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    expect(a.failures).toEqual([{
      code: "lusha.Unauthorized(401)",
      count: 2,
      steps: ["contacts"],
      examples: [{ name: "<script>alert(1)</script>", domain: "evil.example" }, { name: "Gamma & \"Co\"", domain: "gamma.example" }]
    }])
  })

  it("counts the paid calls the steps metered, and the scores the run itself gave", () => {
    const d = data()
    const withCalls = (o: Run.CompanyOutcome, calls: number, score: number): Run.CompanyOutcome => ({
      ...o,
      score,
      steps: { ...o.steps, contacts: { ...o.steps["contacts"]!, calls } }
    })
    // a failed step's calls count too: the vendor answered them
    const outcomes = [withCalls(d.outcomes[0]!, 2, 12), withCalls(d.outcomes[1]!, 3, 55), withCalls(d.outcomes[2]!, 1, 58)]
    const a = RunReport.analyse({ ...d, outcomes })
    expect(a.vendors).toContainEqual({ vendor: "lusha", calls: 6 })
    // the outcomes' scores, not the latest stored ones
    expect(a.histogram.map((b) => b.count)).toEqual([0, 1, 0, 0, 0, 2, 0, 0, 0, 0])
  })

  it("renders one self-contained page with every chart, and escapes every text from data", () => {
    const page = RunReport.html(data())
    expect(page.startsWith("<!doctype html>")).toBe(true)
    for (const chart of chartIds) expect(page).toContain(`<svg id="${chart}"`)
    // the company named like a script is text, not markup
    expect(page).not.toContain("<script")
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
    expect(page).toContain("Gamma &amp; &quot;Co&quot;")
    expect(page).not.toMatch(/(src|href)=["']?https?:/)
    expect(page).not.toContain("@import")
    // the data is in the charts: the budget's use against its cap, the failure code, the step names
    expect(page).toContain("8 / 10 (80%)")
    expect(page).toContain("lusha.Unauthorized(401)")
    expect(page).toMatch(/>contacts</)
    expect(page).toContain("acme · 2026-03-02")
  })

  it("renders a run with no outcomes and no recorded spend", () => {
    const d = data()
    const page = RunReport.html({ ...d, run: { ...d.run, status: "running", finishedAt: null, counts: {}, spend: null }, outcomes: [], scores: [] })
    for (const chart of chartIds) expect(page).toContain(`<svg id="${chart}"`)
    expect(page).toContain("no company finished in this run")
    expect(page).toContain("spend was not recorded")
    expect(page).toContain(">—<")
    expect(RunReport.text({ ...d, run: { ...d.run, spend: null } })).toMatch(/lusha\.contacts\s+—\s+10/)
  })

  it("prints a run in detail for a terminal", () => {
    const out = RunReport.text(data())
    expect(out).toContain(`run ${runId} of acme on 2026-03-02: partial`)
    expect(out).toMatch(/crawl\s+3\s+0\s+0\s+200ms\s+300ms\s+300ms/)
    expect(out).toMatch(/lusha\.contacts\s+8\s+10/)
    expect(out).toMatch(/paid calls: .*lusha 3/)
    expect(out).toContain("2 x lusha.Unauthorized(401) in contacts (e.g. evil.example, gamma.example)")
  })

  it.effect("gathers a recorded run through the store, and none for an unknown one", () =>
    Effect.gen(function*() {
      const store = yield* Store.makeMemory
      const t = store.forTenant(Tenant.TenantId.make("acme"))
      yield* t.tenants.save({ name: "Acme" })
      yield* t.companies.upsert([{ name: "<b>Bold</b>", domain: "bold.example" as Company.Domain, website: null, industry: null, ssicCode: null, country: null, employeeRange: null, lastSeen: null }])
      const [c] = yield* t.companies.findByDomains(["bold.example" as Company.Domain])
      yield* t.runs.create({ runId, runDay: "2026-03-02", rerun: false, cap: 1, companyIds: [c!.id], caps: {} }, new Date(start))
      yield* t.runs.recordOutcomes(runId, [{ companyId: c!.id, status: "failed", finishedAt: new Date(start + 1000), steps: { crawl: step("failed", 5, "crawler.Blocked") } }])
      yield* t.runs.finish(runId, { status: "failed", finishedAt: new Date(start + 2000), steps: {}, errorSummary: null, spend: {} })
      const found = Option.getOrThrow(yield* RunReport.gather(store, runId))
      expect(found.companies.map((x) => x.name)).toEqual(["<b>Bold</b>"])
      expect(found.outcomes).toHaveLength(1)
      const page = RunReport.html(found)
      expect(page).toContain("&lt;b&gt;Bold&lt;/b&gt;")
      expect(page).not.toContain("<b>Bold")
      expect(yield* RunReport.gather(store, "acme-2026-03-02-zzzzzz")).toEqual(Option.none())
    }))
})

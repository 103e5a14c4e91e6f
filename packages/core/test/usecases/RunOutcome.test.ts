import { describe, expect, it } from "@effect/vitest"
import { CompanyEnrichment, EngineError, EnrichmentRun, Lusha, Nightly, Report, RunOutcome, Tenant } from "@leadgraph/core"
import type { Company, RunSummary } from "@leadgraph/core"
import * as World from "./world.js"

const summary = (targets: { succeeded: number; partial: number; failed: number }): RunSummary.RunSummary => ({
  runId: "r",
  targets: { ...targets, total: targets.succeeded + targets.partial + targets.failed },
  steps: [],
  budgets: {},
  startedAtMillis: 0,
  finishedAtMillis: 0,
  wallMillis: 0
})

describe("RunOutcome", () => {
  it("records a vendor failure as its stable code, and anything else as tag and message, secret-free", () => {
    const unauthorized = new Lusha.LushaError({ reason: "Unauthorized", status: 401, detail: "Invalid API key" })
    expect(RunOutcome.failureCode(unauthorized)).toBe("lusha.Unauthorized(401): Invalid API key")
    expect(EnrichmentRun.errorText(unauthorized)).toBe("lusha.Unauthorized(401): Invalid API key")
    expect(RunOutcome.failureCode(new EngineError.StepTimeout({ step: "crawl", timeoutMillis: 1000 }))).toMatch(/^StepTimeout: /)
    expect(RunOutcome.failureCode(new Error("GET /x?api_key=abc123 failed: Bearer sk-12345678abcd")))
      .toBe("Error: GET /x?api_key=<redacted> failed: Bearer <redacted>")
    expect(RunOutcome.failureCode("x".repeat(1000))).toHaveLength(300)
    expect(RunOutcome.headOf("lusha.Unauthorized(401): Invalid API key")).toBe("lusha.Unauthorized(401)")
  })

  it("groups failures by code, most frequent first, and renders them", () => {
    const tally = RunOutcome.tally()
    tally.add("contacts", "lusha.Unauthorized(401): Invalid API key")
    tally.add("contacts", "lusha.Unauthorized(401): Invalid API key")
    tally.add("verify", "zerobounce.Timeout: ZeroBounce did not answer within 30s")
    const counts = tally.counts()
    expect(counts.map((c) => [c.code, c.count])).toEqual([["lusha.Unauthorized(401)", 2], ["zerobounce.Timeout", 1]])
    expect(Report.failures(counts)).toBe([
      "  2 x lusha.Unauthorized(401) in contacts: Invalid API key",
      "  1 x zerobounce.Timeout in verify: ZeroBounce did not answer within 30s"
    ].join("\n"))
    expect(RunOutcome.errorSummary(counts)).toBe(
      "2 x lusha.Unauthorized(401): Invalid API key; 1 x zerobounce.Timeout: ZeroBounce did not answer within 30s"
    )
    expect(RunOutcome.errorSummary([])).toBeNull()
  })

  it("a run in which every company failed is failed (and exits 1); partial companies keep it partial", () => {
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 0, failed: 20 }), false)).toBe("failed")
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 20, failed: 0 }), false)).toBe("partial")
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 1, failed: 19 }), false)).toBe("partial")
    expect(RunOutcome.status(summary({ succeeded: 3, partial: 0, failed: 0 }), false)).toBe("succeeded")
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 0, failed: 20 }), true)).toBe("cancelled")
    // every company partial, each with a failed step (a refused key): the run got nowhere
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 20, failed: 0 }), false, 0)).toBe("failed")
    // partial only through skips (a spent budget): partial, never failed
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 20, failed: 0 }), false, 20)).toBe("partial")
    expect(RunOutcome.status(summary({ succeeded: 0, partial: 20, failed: 0 }), false, 1)).toBe("partial")
    const tenant: Tenant.Tenant = { id: Tenant.TenantId.make("t1"), name: "t1", dailyCap: null }
    const ran = (status: "failed" | "partial"): Nightly.Result => ({
      runDay: "2026-12-01",
      tenants: [{
        _tag: "Ran",
        tenant,
        result: { _tag: "Finished", tenantId: tenant.id, runId: "r", status, resumed: false, summary: summary({ succeeded: 0, partial: 0, failed: 1 }), budgets: {} }
      }],
      wallMillis: 0
    })
    expect(Nightly.exitCode(ran("failed"))).toBe(1)
    expect(Nightly.exitCode(ran("partial"))).toBe(0)
  })

  it("a result a worker reported keeps its score and its failure codes, as the run records them", () => {
    const company: Company.Company = {
      ...World.company("globex.example"),
      id: "6f1c1a8e-2a4b-4c5d-8e9f-0a1b2c3d4e5f" as Company.CompanyId,
      tenantId: Tenant.TenantId.make("t1"),
      lastEnrichedAt: null
    }
    const scored = CompanyEnrichment.toResult("r", company, {
      companyId: company.id,
      state: "partial",
      durationMillis: 30,
      score: 72.5,
      steps: [
        { step: "score", outcome: "Succeeded", restored: true, durationMillis: 10 },
        { step: "export", outcome: "Failed", code: "odoo.Auth(401): refused", durationMillis: 20, budget: { name: "odoo", units: 1, calls: 1 } }
      ]
    })
    expect(RunOutcome.scoreOf(scored)).toBe(72.5)
    const finishedAt = new Date(0)
    expect(RunOutcome.companyOutcome(scored, finishedAt)).toEqual({
      companyId: company.id,
      status: "partial",
      finishedAt,
      score: 72.5,
      steps: {
        score: { status: "succeeded", millis: 10, reason: null },
        export: { status: "failed", millis: 20, reason: "odoo.Auth(401): refused", calls: 1 }
      }
    })
    // no score in the report (its score step failed): none recorded
    const unscored = CompanyEnrichment.toResult("r", company, {
      companyId: company.id,
      state: "failed",
      durationMillis: 5,
      steps: [{ step: "score", outcome: "Failed", code: "StepDefect: boom", durationMillis: 5 }]
    })
    expect(RunOutcome.scoreOf(unscored)).toBeUndefined()
    expect(RunOutcome.companyOutcome(unscored, finishedAt).score).toBeUndefined()
  })
})

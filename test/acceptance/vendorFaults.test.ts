/**
 * Acceptance: vendor faults never cost extra and never repeat blindly.
 *
 * - A wrong Lusha key: a 20-company run sends Lusha one request (not one
 *   per company), logs one error line naming `LUSHA_API_KEY`, records each
 *   company's `contacts` failure as `lusha.Unauthorized(401): ...` with no
 *   part of the key (Lusha's echoed tail included), and ends `failed`
 *   although each company's crawl and score succeeded (every company has a
 *   failed step: the run got nowhere), so `run` exits with 1.
 * - A fifth of the vendors' answers failing (5xx, 429, truncated bodies): no
 *   company is lost, and every budget's ledger counts at least what its
 *   vendor charged.
 */
import { SqlClient } from "@effect/sql"
import { Tenancy } from "@leadgraph/adapters"
import { describe, expect, it } from "@effect/vitest"
import { EnrichmentRun, Nightly, Store } from "@leadgraph/core"
import type { Run, Tenant } from "@leadgraph/core"
import { Effect, Logger, Option } from "effect"
import { finished, makeWorld, targets } from "./harness.js"

const companies = 20
const lushaKey = "lusha-the-real-key-7f3e"

/** Each stored company outcome's `contacts` step, read as the tenant. */
const contactsSteps = (tenantId: Tenant.TenantId, runId: string) =>
  Effect.flatMap(Tenancy.Tenancy, (tenancy) =>
    tenancy.withTenant(
      tenantId,
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ steps: Record<string, Run.StepOutcome> | string }>`
          SELECT steps FROM company_enrichment_runs WHERE run_id = ${runId}`).pipe(
          Effect.map((rows) =>
            rows.map((r) => (typeof r.steps === "string" ? JSON.parse(r.steps) : r.steps) as Record<string, Run.StepOutcome>)
          )
        )
    ))

const sum = (calls: Readonly<Record<string, number>>) => Object.values(calls).reduce((a, b) => a + b, 0)

describe.each(targets)("acceptance: vendor faults ($label)", ({ database }) => {
  it.live("a wrong Lusha key: one request, one error line naming LUSHA_API_KEY, coded failures, a failed run", () =>
    Effect.scoped(Effect.gen(function*() {
      const world = yield* makeWorld({
        database: database(),
        companiesPerTenant: companies,
        // the adapters send "test-key"; this Lusha wants another, and echoes the tail of what it got
        vendors: { lusha: { apiKey: lushaKey, echoKey: true } }
      })
      const tenant = world.tenants[0]!
      const options = yield* world.options(tenant.id, { concurrency: companies })
      const lines: Array<string> = []
      const capture = Logger.make((entry) => void lines.push(Logger.logfmtLogger.log(entry)))
      const result = finished(
        yield* world.use(EnrichmentRun.run(options).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture))))
      )

      // the crawl, the extraction and the score still ran: every company is partial, none succeeded
      expect(result.summary.targets).toMatchObject({ total: companies, succeeded: 0, partial: companies })
      expect(sum(yield* world.fakes.lusha.calls)).toBe(1)
      const said = lines.filter((line) => line.includes("LUSHA_API_KEY"))
      expect(said).toHaveLength(1)
      expect(said[0]).toContain("level=ERROR")
      expect(said[0]).toContain("lusha.Unauthorized(401)")

      // the run is failed, and `run` / `nightly` exit with 1
      expect(result.status).toBe("failed")
      const stored = yield* world.use(Effect.flatMap(Store.Store, (s) => s.forTenant(tenant.id).tenants.get))
      const exit = Nightly.exitCode({
        runDay: options.runDay,
        tenants: [{ _tag: "Ran", tenant: Option.getOrThrow(stored), result }],
        wallMillis: result.summary.wallMillis
      })
      expect(exit).toBe(1)

      // failures are recorded as one stable code, without any part of the key
      expect(result.failures).toEqual([
        { code: "lusha.Unauthorized(401)", count: companies, steps: ["contacts"], example: "lusha.Unauthorized(401): Invalid API key: <redacted>" }
      ])
      const steps = yield* world.use(contactsSteps(tenant.id, result.runId))
      expect(steps).toHaveLength(companies)
      expect(new Set(steps.map((s) => s["contacts"]!.reason))).toEqual(new Set(["lusha.Unauthorized(401): Invalid API key: <redacted>"]))
      const run = Option.getOrThrow(
        yield* world.use(Effect.flatMap(Store.Store, (s) => s.forTenant(tenant.id).runs.get(result.runId as Run.RunId)))
      )
      expect(run.status).toBe("failed")
      expect(run.errorSummary).toBe(`${companies} x lusha.Unauthorized(401): Invalid API key: <redacted>`)
      const everything = [...lines, JSON.stringify(steps), JSON.stringify(run), JSON.stringify(result.failures)].join("\n")
      for (const part of ["test-key", "-key", "t-ke"]) expect(everything).not.toContain(part)
    })), 120_000)

  it.live("a fifth of the answers failing: no company lost; each ledger counts at least what its vendor charged", () =>
    Effect.scoped(Effect.gen(function*() {
      const faults = { serverErrorRate: 0.07, rateLimitedRate: 0.07, malformedRate: 0.07 }
      const world = yield* makeWorld({
        database: database(),
        companiesPerTenant: companies,
        vendors: {
          tavily: faults,
          lusha: faults,
          zeroBounce: faults,
          openAi: faults
        }
      })
      const tenant = world.tenants[0]!
      const result = finished(yield* world.use(EnrichmentRun.run(yield* world.options(tenant.id))))
      expect(result.summary.targets.total).toBe(companies)
      const { lusha, openAi, tavily, zeroBounce } = world.fakes
      const charged = {
        "tavily.queries": yield* tavily.billedCalls,
        "lusha.lookups": yield* lusha.creditsUsed,
        "zerobounce.verifications": yield* zeroBounce.creditsUsed,
        "openai.tokens": (yield* openAi.served).totalTokens
      }
      for (const [budget, units] of Object.entries(charged)) {
        expect(result.budgets[budget]!.used, budget).toBeGreaterThanOrEqual(units)
      }
      // no address and no contact was charged twice
      expect([...(yield* zeroBounce.charges).values()].filter((n) => n > 1)).toEqual([])
      expect([...(yield* lusha.charges).values()].filter((n) => n > 1)).toEqual([])
      console.log(
        `pipeline with faults: ${
          Object.entries(charged).map(([b, units]) => `${b} ledger ${result.budgets[b]!.used} >= charged ${units}`).join(", ")
        }`
      )
    })), 150_000)
})

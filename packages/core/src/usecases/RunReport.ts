/**
 * A run's report: {@link gather} reads a recorded run, its company outcomes,
 * its companies and their scores through the store; {@link analyse} derives
 * what people look at (companies done over time, each step's p50/p90/max,
 * calls per vendor, budget use against caps, the score distribution,
 * failures by code with example companies); {@link html} renders it as one
 * self-contained HTML page with inline SVG charts (no script, no external
 * asset), and {@link text} as plain text for a terminal.
 *
 * Every text that comes from data (company names, domains, failure codes)
 * is escaped.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { quantile } from "../engine/RunSummary.js"
import type * as Company from "../enrichment/Company.js"
import * as Pipeline from "../enrichment/Pipeline.js"
import type * as Run from "../enrichment/Run.js"
import type * as Score from "../enrichment/Score.js"
import type * as Store from "../enrichment/Store.js"
import type * as Tenant from "../enrichment/Tenant.js"
import { html as renderHtml } from "./internal/runReportHtml.js"
import { duration } from "./internal/svg/line.js"
import * as RunHistory from "./RunHistory.js"

/**
 * What a report is made of.
 *
 * @since 0.1.0
 * @category models
 */
export interface Data {
  readonly run: Run.Run
  readonly outcomes: ReadonlyArray<Run.CompanyOutcome>
  readonly companies: ReadonlyArray<Pick<Company.Company, "id" | "name" | "domain">>
  readonly scores: ReadonlyArray<Pick<Score.LeadScore, "companyId" | "score" | "runId">>
}

/**
 * One step over the run: outcome counts and the durations of its executed
 * attempts (succeeded or failed).
 *
 * @since 0.1.0
 * @category models
 */
export interface StepTimes {
  readonly step: string
  readonly succeeded: number
  readonly skipped: number
  readonly failed: number
  readonly p50Millis: number
  readonly p90Millis: number
  readonly maxMillis: number
}

/**
 * A failure code with its count, the steps it failed and a few example
 * companies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly code: string
  readonly count: number
  readonly steps: ReadonlyArray<string>
  readonly examples: ReadonlyArray<{ readonly name: string; readonly domain: string }>
}

/**
 * What the report shows.
 *
 * @since 0.1.0
 * @category models
 */
export interface Analysis {
  readonly entry: RunHistory.Entry
  /** Companies done so far, at each finish (milliseconds since the run started). */
  readonly timeline: ReadonlyArray<{ readonly millis: number; readonly count: number }>
  readonly elapsedMillis: number
  readonly steps: ReadonlyArray<StepTimes>
  /**
   * Paid calls per vendor of a paid step, as its steps' draws metered them
   * (a run recorded before calls were counted: one per step run).
   */
  readonly vendors: ReadonlyArray<{ readonly vendor: string; readonly calls: number }>
  /** Each budget drawn from or capped: its use (`null`: not recorded) and its cap. */
  readonly budgets: ReadonlyArray<{ readonly budget: string; readonly used: number | null; readonly cap: number | undefined }>
  /** Companies by score, in bins of ten (the last is 90 to 100). */
  readonly histogram: ReadonlyArray<{ readonly label: string; readonly count: number }>
  readonly failures: ReadonlyArray<Failure>
}

/**
 * Example companies kept per failure code.
 *
 * @since 0.1.0
 * @category constants
 */
export const examplesPerFailure = 3

/**
 * A recorded run's report data (see {@link RunHistory.find} for how the run
 * is found); none for an unknown run.
 *
 * @since 0.1.0
 * @category queries
 */
export const gather = (
  store: Store.Service,
  runId: string,
  tenantId?: Tenant.TenantId
): Effect.Effect<Option.Option<Data>, Store.StoreError> =>
  Effect.gen(function*() {
    const found = yield* RunHistory.find(store, runId, tenantId)
    if (Option.isNone(found)) return Option.none<Data>()
    const run = found.value
    const tenant = store.forTenant(run.tenantId)
    const outcomes = yield* tenant.runs.outcomes(run.id)
    const ids = run.manifest.companyIds
    const companies = yield* tenant.companies.findByIds(ids)
    const scores = yield* tenant.leads.scoresOf(ids)
    return Option.some<Data>({ run, outcomes, companies, scores })
  }).pipe(Effect.withSpan("RunReport.gather", { attributes: { run: runId } }))

/** The vendor of each paid step of the pipeline: its budget's first word (`lusha.contacts` is Lusha's). */
const vendorOfStep: ReadonlyMap<string, string> = new Map(
  Pipeline.graph.steps.flatMap((s) => s.budget === undefined ? [] : [[s.name, s.budget.name.split(".")[0]!] as const])
)

/**
 * What the report shows, derived from its data.
 *
 * @since 0.1.0
 * @category rendering
 */
export const analyse = (data: Data): Analysis => {
  const { outcomes, run } = data
  const start = run.startedAt.getTime()
  const finished = [...outcomes].sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime())
  const timeline = finished.map((o, i) => ({ millis: Math.max(0, o.finishedAt.getTime() - start), count: i + 1 }))
  const lastFinish = timeline[timeline.length - 1]?.millis ?? 0
  const elapsedMillis = Math.max(lastFinish, run.finishedAt === null ? 0 : run.finishedAt.getTime() - start)

  const stepNames = [...new Set([...Pipeline.stepNames, ...outcomes.flatMap((o) => Object.keys(o.steps))])]
  const steps = stepNames.flatMap((step): ReadonlyArray<StepTimes> => {
    const of = outcomes.flatMap((o) => o.steps[step] ?? [])
    if (of.length === 0) return []
    const times = Float64Array.from(of.filter((s) => s.status !== "skipped").map((s) => s.millis)).sort()
    return [{
      step,
      succeeded: of.filter((s) => s.status === "succeeded").length,
      skipped: of.filter((s) => s.status === "skipped").length,
      failed: of.filter((s) => s.status === "failed").length,
      p50Millis: quantile(times, 0.5),
      p90Millis: quantile(times, 0.9),
      maxMillis: times.length === 0 ? 0 : times[times.length - 1]!
    }]
  })

  const calls = new Map<string, number>()
  for (const step of Pipeline.stepNames) {
    const vendor = vendorOfStep.get(step)
    if (vendor !== undefined) calls.set(vendor, 0)
  }
  const counted = outcomes.some((o) => Object.values(o.steps).some((s) => s.calls !== undefined))
  for (const o of outcomes) {
    for (const [step, s] of Object.entries(o.steps)) {
      const vendor = vendorOfStep.get(step)
      if (vendor === undefined) continue
      const n = counted ? s.calls ?? 0 : s.status === "skipped" ? 0 : 1
      calls.set(vendor, calls.get(vendor)! + n)
    }
  }

  const caps = run.manifest.caps
  const budgetNames = [...new Set([...Object.keys(caps), ...Object.keys(run.spend ?? {})])].sort()
  const budgets = budgetNames.map((budget) => ({
    budget,
    used: run.spend === null || run.spend === undefined ? null : run.spend[budget] ?? 0,
    cap: caps[budget]
  }))

  const bins = Array.from({ length: 10 }, (_, i) => ({ label: i === 9 ? "90–100" : `${i * 10}–${i * 10 + 9}`, count: 0 }))
  for (const score of scoresOf(data)) bins[Math.min(9, Math.floor(score / 10))]!.count++

  return {
    entry: RunHistory.entry(run),
    timeline,
    elapsedMillis,
    steps,
    vendors: [...calls.entries()].map(([vendor, n]) => ({ vendor, calls: n })),
    budgets,
    histogram: bins,
    failures: failuresOf(data)
  }
}

/**
 * The scores the run gave: kept with its outcomes; for a run recorded
 * before they were, the stored lead scores that this run wrote.
 */
const scoresOf = (data: Data): ReadonlyArray<number> => {
  const kept = data.outcomes.flatMap((o) => o.score === undefined ? [] : [o.score])
  if (kept.length > 0) return kept
  const inRun = new Set(data.run.manifest.companyIds)
  return data.scores.flatMap((s) => inRun.has(s.companyId) && s.runId === data.run.id ? [s.score] : [])
}

const failuresOf = (data: Data): ReadonlyArray<Failure> => {
  const names = new Map(data.companies.map((c) => [c.id, c]))
  const byCode = new Map<string, { count: number; steps: Set<string>; examples: Array<{ name: string; domain: string }> }>()
  for (const o of data.outcomes) {
    for (const [step, s] of Object.entries(o.steps)) {
      if (s.status !== "failed") continue
      const code = s.reason ?? "unknown"
      const entry = byCode.get(code) ?? { count: 0, steps: new Set<string>(), examples: [] }
      entry.count++
      entry.steps.add(step)
      const company = names.get(o.companyId)
      if (
        entry.examples.length < examplesPerFailure &&
        !entry.examples.some((e) => e.domain === (company?.domain ?? o.companyId))
      ) {
        entry.examples.push({ name: company?.name ?? o.companyId, domain: company?.domain ?? o.companyId })
      }
      byCode.set(code, entry)
    }
  }
  return [...byCode.entries()]
    .map(([code, f]) => ({ code, count: f.count, steps: [...f.steps], examples: f.examples }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1))
}

/**
 * The report as one self-contained HTML page: a header (tenant, day,
 * status, counts, wall time) and inline SVG charts, every text from data
 * escaped; no script and no external asset.
 *
 * @since 0.1.0
 * @category rendering
 */
export const html = (data: Data): string => renderHtml(analyse(data))

const pad = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()

const grid = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [pad(header, widths), ...rows.map((r) => pad(r, widths))]
}

/**
 * One run in detail for a terminal: its manifest, companies by outcome,
 * steps with p50/p90/max, paid calls per vendor, spend against caps (`—` when not recorded) and
 * failures by code with example companies.
 *
 * @since 0.1.0
 * @category rendering
 */
export const text = (data: Data): string => {
  const a = analyse(data)
  const e = a.entry
  const m = data.run.manifest
  const counts = Object.entries(e.counts).map(([k, v]) => `${v} ${k}`).join(", ") || "none recorded"
  return [
    `run ${e.id} of ${e.tenantId} on ${e.runDay}: ${e.status}`,
    `  started ${e.startedAt}, ${e.finishedAt === null ? "not finished" : `finished ${e.finishedAt} (${duration(e.wallMillis ?? 0)})`}`,
    `  manifest: ${m.companyIds.length} companies, cap ${m.cap}${m.rerun ? ", rerun" : ""}`,
    `  companies: ${counts}`,
    "",
    ...grid(
      ["step", "ok", "skipped", "failed", "p50", "p90", "max"],
      a.steps.map((s) => [s.step, String(s.succeeded), String(s.skipped), String(s.failed), duration(s.p50Millis), duration(s.p90Millis), duration(s.maxMillis)])
    ),
    "",
    `  paid calls: ${a.vendors.map((v) => `${v.vendor} ${v.calls}`).join(", ") || "none"}`,
    "",
    ...(a.budgets.length === 0 ? ["spend: none"] : grid(
      ["budget", "spent", "cap"],
      a.budgets.map((b) => [b.budget, b.used === null ? "—" : String(Math.round(b.used)), b.cap === undefined ? "—" : String(b.cap)])
    )),
    ...(a.failures.length === 0 ? [] : [
      "",
      "failures by code:",
      ...a.failures.map((f) =>
        `  ${f.count} x ${f.code} in ${f.steps.join(", ")} (e.g. ${f.examples.map((x) => x.domain).join(", ")})`
      )
    ])
  ].join("\n")
}

/**
 * Renders runs for people: a nightly run as one row per tenant (targets,
 * outcomes, companies skipped by budget, budget use against caps, wall
 * time), each run's summary as one row per step with its outcome counts
 * and p50/p90/max durations, and its failed steps grouped by failure code
 * (`lusha.Unauthorized(401)`).
 *
 * @since 0.1.0
 */
import type * as RunSummary from "../engine/RunSummary.js"
import type * as Forecast from "../enrichment/Forecast.js"
import type * as EnrichmentRun from "./EnrichmentRun.js"
import type * as Nightly from "./Nightly.js"
import type * as RunOutcome from "./RunOutcome.js"

const pad = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()

const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}s` : `${Math.round(n)}ms`)

/**
 * A plain-text table of a run summary, for terminals and log files.
 *
 * @since 0.1.0
 * @category rendering
 */
export const table = (summary: RunSummary.RunSummary): string => {
  const header = ["step", "ok", "restored", "failed", "skip:budget", "skip:upstream", "skip:other", "p50", "p90", "max"]
  const rows = summary.steps.map((s) => [
    s.step,
    String(s.succeeded),
    String(s.restored),
    String(s.failed),
    String(s.skipped.budget),
    String(s.skipped.upstream),
    String(s.skipped.disabled + s.skipped.cached),
    ms(s.p50Millis),
    ms(s.p90Millis),
    ms(s.maxMillis)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const t = summary.targets
  const budgets = Object.entries(summary.budgets).map(([name, units]) => `${name}=${units}`).join(", ")
  return [
    `run ${summary.runId}: ${t.total} targets, ${t.succeeded} succeeded, ${t.partial} partial, ${t.failed} failed in ${ms(summary.wallMillis)}`,
    pad(header, widths),
    ...rows.map((r) => pad(r, widths)),
    // budgets drawn by the engine itself (steps that declare one); vendor adapters draw their own
    ...(budgets === "" ? [] : [`budgets used: ${budgets}`])
  ].join("\n")
}

const budgetUse = (budgets: Readonly<Record<string, EnrichmentRun.BudgetUse>>) =>
  Object.entries(budgets).map(([name, b]) =>
    `${name} ${Math.round(b.used)}/${b.cap}` +
    ((b.inFlightAtCrash ?? 0) > 0 ? ` (in flight at a crash: ${b.inFlightAtCrash})` : "")
  ).join(", ")

/**
 * A run's failed steps grouped by failure code, most frequent first, one
 * line each, with one example's message: `20 x lusha.Unauthorized(401) in contacts: Invalid API key`.
 * Empty when no step failed.
 *
 * @since 0.1.0
 * @category rendering
 */
export const failures = (counts: ReadonlyArray<RunOutcome.FailureCount>): string =>
  counts.map((f) => {
    const message = f.example.startsWith(`${f.code}: `) ? f.example.slice(f.code.length + 2) : ""
    return `  ${f.count} x ${f.code} in ${f.steps.join(", ")}${message === "" ? "" : `: ${message}`}`
  }).join("\n")

/**
 * A plain-text report of a nightly run, headed by its run day (and that
 * day's zone): a row per tenant (status `error` when it could not run,
 * `busy` when its run was already in progress elsewhere), then each
 * tenant's step table and its budgets against their caps (with, for a
 * budget, how many reservations were settled as spent because a crash
 * left their calls in flight: "in flight at a crash: N") and its failures
 * by code (see {@link failures}).
 *
 * @since 0.1.0
 * @category rendering
 */
export const nightly = (result: Nightly.Result): string => {
  const header = ["tenant", "status", "targets", "ok", "partial", "failed", "skip:budget", "wall"]
  const rows = result.tenants.map((o) => {
    if (o._tag === "Failed") return [o.tenant.id, "error", "-", "-", "-", "-", "-", "-"]
    if (o._tag === "Busy") return [o.tenant.id, "busy", "-", "-", "-", "-", "-", "-"]
    const r = o.result
    if (r._tag === "Planned") return [o.tenant.id, "planned", String(r.targets.length), "-", "-", "-", "-", "-"]
    const t = r.summary.targets
    const budgetSkips = r.summary.steps.reduce((n, s) => n + s.skipped.budget, 0)
    return [o.tenant.id, r.status, String(t.total), String(t.succeeded), String(t.partial), String(t.failed), String(budgetSkips), ms(r.summary.wallMillis)]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const details = result.tenants.flatMap((o) => {
    if (o._tag === "Failed") return [`${o.tenant.id}: ${o.error}`]
    if (o._tag === "Busy") return [`${o.tenant.id}: not run, a run of this tenant is already in progress elsewhere`]
    if (o.result._tag !== "Finished") return []
    const failed = failures(o.result.failures ?? [])
    return [
      `\n== ${o.tenant.id}`,
      ...(o.result.odooConnected === false ? ["no Odoo connection: the export step was left out"] : []),
      ...(typeof o.tenant.timeZone === "string" && o.tenant.timeZone !== result.timeZone
        ? [`run day taken in the tenant's zone, ${o.tenant.timeZone}`]
        : []),
      table(o.result.summary),
      `budgets today (used/cap): ${budgetUse(o.result.budgets) || "none"}`,
      ...(failed === "" ? [] : [`failures by code:\n${failed}`])
    ]
  })
  const day = result.timeZone === undefined ? result.runDay : `${result.runDay} (${result.timeZone})`
  return [
    `nightly run ${day}: ${result.tenants.length} tenant(s) in ${ms(result.wallMillis)}`,
    pad(header, widths),
    ...rows.map((r) => pad(r, widths)),
    ...details
  ].join("\n")
}

/**
 * A dry run's plan for people: the companies it would take (the first 20)
 * and the forecast calls and units per vendor, with what the forecast is
 * based on.
 *
 * @since 0.1.0
 * @category rendering
 */
export const forecast = (result: EnrichmentRun.Planned): string =>
  [
    `dry run ${result.runId} for ${result.tenantId}: ${result.targets.length} companies`,
    ...result.targets.slice(0, 20).map((c) => `  ${c.domain}  ${c.name}`),
    ...(result.targets.length > 20 ? [`  ... and ${result.targets.length - 20} more`] : []),
    `forecast spend (calls, at most units), from ${basisText(result.forecast.basis)}:`,
    ...Object.entries(result.forecast.vendors).map(([vendor, f]) =>
      `  ${vendor.padEnd(10)} ${String(f.calls).padStart(6)} calls  <= ${f.maxUnits} ${f.budget}`
    )
  ].join("\n")

const basisText = ({ averaged, defaulted, known }: Forecast.Forecast["basis"]): string =>
  [
    known > 0 ? `${known} companies' own records` : "",
    averaged > 0 ? `the tenant's averages for ${averaged} new companies` : "",
    defaulted > 0 ? `defaults for ${defaulted} companies (no history yet: Tavily and ZeroBounce may be lower)` : ""
  ].filter((s) => s !== "").join(", ") || "nothing (no companies)"

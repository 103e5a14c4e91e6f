/**
 * Renders a run's summary for people: one row per step with its outcome
 * counts and p50/p90/max durations, plus target totals, budgets and wall time.
 *
 * @since 0.1.0
 */
import type { RunSummary } from "@leadgraph/core"

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
    `budgets used: ${budgets || "none"}`
  ].join("\n")
}

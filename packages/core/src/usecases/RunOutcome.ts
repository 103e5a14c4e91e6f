/**
 * How a tenant run records what happened: each company's outcome with a
 * stable, secret-free failure code per failed step (`lusha.Unauthorized(401):
 * Invalid API key`), the run's failures grouped by code, per-step timings,
 * and the run's status.
 *
 * A failure code is the error's own `code` when it has one (every vendor
 * error: `<vendor>.<reason>(<status>): <message>`, see core's
 * `VendorError.code`), otherwise `<tag>: <message>`; either way cut at 300
 * characters and passed through `VendorError.redact`, so no part of a key
 * (an `api_key=...` fragment, a `Bearer` token, a masked tail) is ever
 * recorded. The part before `": "` is stable and groups failures.
 *
 * @since 0.1.0
 */
import type * as Company from "../enrichment/Company.js"
import type * as Engine from "../engine/Engine.js"
import type * as Graph from "../engine/Graph.js"
import * as Outcome from "../engine/Outcome.js"
import type * as Pipeline from "../enrichment/Pipeline.js"
import type * as Run from "../enrichment/Run.js"
import type * as RunSummary from "../engine/RunSummary.js"
import * as VendorError from "../enrichment/VendorError.js"
import { Predicate } from "effect"

const maxText = 300

/**
 * An error as the fields that are safe to log: its tag (or name) and its
 * message. The error object itself may carry a request with its headers,
 * and so a vendor key.
 *
 * @since 0.1.0
 * @category failures
 */
export const describeError = (error: unknown): { errorTag?: string; errorMessage?: string } => {
  if (error === undefined || error === null) return {}
  if (typeof error === "string") return { errorMessage: error }
  const out: { errorTag?: string; errorMessage?: string } = {}
  try {
    if (Predicate.hasProperty(error, "_tag") && typeof error._tag === "string") out.errorTag = error._tag
    else if (error instanceof Error) out.errorTag = error.name
    if (Predicate.hasProperty(error, "message") && typeof error.message === "string") out.errorMessage = error.message
  } catch {
    // A throwing getter must not break logging.
  }
  return out
}

/**
 * A step error's failure code: the error's `code` when it has one (vendor
 * errors), else `<tag>: <message>`; secret-free, at most 300 characters.
 *
 * @since 0.1.0
 * @category failures
 */
export const failureCode = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return VendorError.redact(String(error)).slice(0, maxText)
  let code: string | undefined
  try {
    if (Predicate.hasProperty(error, "code") && typeof error.code === "string" && error.code !== "") code = error.code
  } catch {
    // A throwing getter must not break recording.
  }
  if (code === undefined) {
    const { errorMessage, errorTag } = describeError(error)
    code = `${errorTag ?? "Error"}: ${errorMessage ?? "unknown"}`
  }
  return VendorError.redact(code.replace(/\s+/g, " ")).slice(0, maxText)
}

/**
 * The stable head of a failure code (before `": "`), e.g.
 * `lusha.Unauthorized(401)`.
 *
 * @since 0.1.0
 * @category failures
 */
export const headOf = (code: string): string => {
  const at = code.indexOf(": ")
  return at < 0 ? code : code.slice(0, at)
}

/**
 * Failed steps of a run sharing a code head: how many, in which steps, and
 * one full code as an example.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailureCount {
  readonly code: string
  readonly count: number
  readonly steps: ReadonlyArray<string>
  readonly example: string
}

/**
 * Counts failures by code head as a run records its companies.
 *
 * @since 0.1.0
 * @category failures
 */
export interface FailureTally {
  readonly add: (step: string, code: string) => void
  /** Records one company: whether any of its steps failed. */
  readonly company: (anyStepFailed: boolean) => void
  /** Companies recorded with no failed step (succeeded, or partial only through skips: budget, disabled, upstream). */
  readonly withoutFailure: () => number
  /** The counts, most frequent first. */
  readonly counts: () => ReadonlyArray<FailureCount>
}

/**
 * A fresh tally, owned by one run.
 *
 * @since 0.1.0
 * @category failures
 */
export const tally = (): FailureTally => {
  const byHead = new Map<string, { count: number; steps: Set<string>; example: string }>()
  let clean = 0
  return {
    company: (anyStepFailed) => {
      if (!anyStepFailed) clean++
    },
    withoutFailure: () => clean,
    add: (step, code) => {
      const head = headOf(code)
      const entry = byHead.get(head) ?? { count: 0, steps: new Set<string>(), example: code }
      entry.count++
      entry.steps.add(step)
      byHead.set(head, entry)
    },
    counts: () =>
      [...byHead].map(([code, e]) => ({ code, count: e.count, steps: [...e.steps], example: e.example }))
        .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1))
  }
}

/**
 * One company's result from the engine.
 *
 * @since 0.1.0
 * @category models
 */
export type CompanyResult = Engine.TargetResult<Company.Company, Graph.Steps<Pipeline.Pipeline>>

/**
 * A company's result as a run records it: its terminal state, time and each
 * step's outcome, whose outputs are not known by type. Every
 * {@link CompanyResult} is one; so is the result a worker elsewhere reports
 * (`CompanyEnrichment.toResult`), which carries no outputs but its score
 * and whose failed steps carry only their failure codes.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedResult {
  readonly runId: string
  readonly target: Company.Company
  readonly targetId: string
  readonly state: Outcome.TerminalState
  readonly durationMillis: number
  readonly outcomes: Readonly<Record<string, Outcome.Outcome<unknown, unknown>>>
}

/**
 * The score a company's result gave it: its score step's, when that step
 * succeeded, was restored or was cached; otherwise none.
 *
 * @since 0.1.0
 * @category recording
 */
export const scoreOf = (result: RecordedResult): number | undefined => {
  const scored = result.outcomes["score"]
  if (scored === undefined || !Outcome.hasOutput(scored)) return undefined
  // the score step's output (`Pipeline.Scored`), or the part of it a worker's report keeps
  const output = scored.output
  return Predicate.hasProperty(output, "result") && Predicate.hasProperty(output.result, "score") &&
      typeof output.result.score === "number"
    ? output.result.score
    : undefined
}

/**
 * A company's outcome as the runs table records it: each step's status,
 * time and reason (a skip's reason, or a failure's code), counted into
 * `failures`.
 *
 * @since 0.1.0
 * @category recording
 */
export const companyOutcome = (result: RecordedResult, finishedAt: Date, failures?: FailureTally): Run.CompanyOutcome => {
  const outcomes = Object.entries(result.outcomes)
  const steps: Record<string, Run.StepOutcome> = {}
  for (const [name, o] of outcomes) {
    const code = o._tag === "Failed" ? failureCode(o.error) : undefined
    if (code !== undefined) failures?.add(name, code)
    const calls = o._tag === "Skipped" ? 0 : o.budget?.calls ?? 0
    steps[name] = {
      status: o._tag === "Succeeded" ? "succeeded" : o._tag === "Skipped" ? "skipped" : "failed",
      millis: o.durationMillis,
      reason: o._tag === "Skipped" ? o.reason : code ?? null,
      ...(calls > 0 ? { calls } : {})
    }
  }
  failures?.company(outcomes.some(([, o]) => o._tag === "Failed"))
  const allSkipped = outcomes.every(([, o]) => o._tag === "Skipped" && o.reason !== "cached")
  const score = scoreOf(result)
  return {
    companyId: result.target.id,
    status: allSkipped ? "skipped" : result.state,
    steps,
    finishedAt,
    ...(score !== undefined ? { score } : {})
  }
}

/**
 * A run's status: `cancelled` when it was asked to stop; `failed` when no
 * company succeeded: every one failed, or every one had a failed step (a
 * refused API key fails every company's `contacts` while its crawl and
 * score still run, so each ends `partial`; that run got nowhere); a run
 * whose companies are partial only through skips (a spent budget, a
 * disabled step) is `partial`, never `failed`. `succeeded` when every
 * company did. `run` and `nightly` exit with 1 for a failed tenant.
 *
 * `withoutFailure` is the number of companies with no failed step (see
 * {@link FailureTally}); leave it out to judge by the companies' states
 * alone.
 *
 * @since 0.1.0
 * @category recording
 */
export const status = (
  summary: RunSummary.RunSummary,
  stopped: boolean,
  withoutFailure?: number
): Run.RunSummary["status"] => {
  if (stopped) return "cancelled"
  const { failed, partial, succeeded, total } = summary.targets
  if (total > 0 && (failed === total || withoutFailure === 0)) return "failed"
  return partial + failed > 0 || succeeded < total ? "partial" : "succeeded"
}

/**
 * Per-step counts and times of a summary as the runs table records them
 * (`totals`: each step's total milliseconds).
 *
 * @since 0.1.0
 * @category recording
 */
export const stepStats = (summary: RunSummary.RunSummary, totals: ReadonlyMap<string, number>): Record<string, Run.StepStats> =>
  Object.fromEntries(summary.steps.map((s) => [s.step, {
    succeeded: s.succeeded + s.restored,
    skipped: Object.values(s.skipped).reduce((a, b) => a + b, 0),
    failed: s.failed,
    totalMillis: totals.get(s.step) ?? 0,
    maxMillis: s.maxMillis
  }]))

/**
 * The run's error summary: the most frequent failure codes (at most three),
 * or null when no step failed.
 *
 * @since 0.1.0
 * @category recording
 */
export const errorSummary = (failures: ReadonlyArray<FailureCount>): string | null =>
  failures.length === 0
    ? null
    : failures.slice(0, 3).map((f) => `${f.count} x ${f.example}`).join("; ").slice(0, maxText)

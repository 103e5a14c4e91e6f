/**
 * One company of a run, enriched on its own: the unit of work a run hands
 * to a cluster of workers (`leadgraph worker`). A {@link Job} names the run
 * and the company and carries what the worker needs to run it as the run
 * would (its day, step filter, run caps, knobs); the worker runs the same
 * graph, steps and checkpoints as an in-process run ({@link makeWorker}) and
 * answers with a {@link Report}: the company's terminal state and each
 * step's outcome, without outputs, which the run records as it records its
 * own companies. A job run twice (its worker died) resumes from the
 * checkpoints of the first attempt.
 *
 * @since 0.1.0
 */
import type * as Outcome from "../engine/Outcome.js"
import * as Company from "../enrichment/Company.js"
import * as Pipeline from "../enrichment/Pipeline.js"
import * as Store from "../enrichment/Store.js"
import * as Tenant from "../enrichment/Tenant.js"
import type { Scope } from "effect"
import { Effect, RcMap, Schema, Stream } from "effect"
import * as RunEnvironment from "./internal/runEnvironment.js"
import * as RunOutcome from "./RunOutcome.js"
import type * as OdooConnector from "./OdooConnector.js"
import type * as TenantServices from "./TenantServices.js"
import type * as VendorConnector from "./VendorConnector.js"
import type { Crawler } from "../enrichment/Crawler.js"

/**
 * The pipeline knobs a job carries (see `RunContext`).
 *
 * @since 0.1.0
 * @category models
 */
export const Knobs = Schema.Struct({
  scoreMinExport: Schema.optional(Schema.Number),
  thinCorpusChars: Schema.optional(Schema.Number),
  corpusCharLimit: Schema.optional(Schema.Number),
  contactsPerCompany: Schema.optional(Schema.Number),
  exportToOdoo: Schema.optional(Schema.Boolean),
  createLeads: Schema.optional(Schema.Boolean)
})

/**
 * One company of one run, as a message: everything a worker needs to run
 * it as the run would.
 *
 * @since 0.1.0
 * @category models
 */
export const Job = Schema.Struct({
  tenantId: Tenant.TenantId,
  runId: Schema.String,
  companyId: Company.CompanyId,
  runDay: Schema.String,
  timeZone: Schema.String,
  skip: Schema.optional(Schema.Array(Schema.String)),
  only: Schema.optional(Schema.Array(Schema.String)),
  runCaps: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Number })),
  persistCrawlCorpus: Schema.optional(Schema.Boolean),
  knobs: Schema.optional(Knobs)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Job = typeof Job.Type

/**
 * How one step ended, without its output: its outcome, whether it was
 * restored from a checkpoint, a skip's reason, a failure's code, its time
 * and what its draw committed (units and paid calls, also of a failed step).
 *
 * @since 0.1.0
 * @category models
 */
export const StepReport = Schema.Struct({
  step: Schema.String,
  outcome: Schema.Literal("Succeeded", "Skipped", "Failed"),
  restored: Schema.optional(Schema.Boolean),
  reason: Schema.optional(Schema.Literal("disabled", "budget", "cached", "upstream")),
  code: Schema.optional(Schema.String),
  durationMillis: Schema.Number,
  budget: Schema.optional(Schema.Struct({
    name: Schema.String,
    units: Schema.Number,
    /** Absent in reports of workers older than paid-call counts: 0. */
    calls: Schema.optionalWith(Schema.Number, { default: () => 0 })
  }))
})

/**
 * What a worker answers for a job: the company's terminal state, the score
 * this run gave it (when its score step ran or was restored) and its steps,
 * in the graph's order.
 *
 * @since 0.1.0
 * @category models
 */
export const Report = Schema.Struct({
  companyId: Company.CompanyId,
  state: Schema.Literal("succeeded", "partial", "failed"),
  durationMillis: Schema.Number,
  score: Schema.optional(Schema.Number),
  steps: Schema.Array(StepReport)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Report = typeof Report.Type

/**
 * A job could not be run: its company is unknown, or the worker could not
 * reach the store or the cluster. `reason` says which.
 *
 * @since 0.1.0
 * @category errors
 */
export class EnrichFailed extends Schema.TaggedError<EnrichFailed>()("EnrichFailed", {
  companyId: Schema.String,
  reason: Schema.Literal("UnknownCompany", "Store", "Cluster"),
  detail: Schema.String
}) {
  override get message(): string {
    return `company ${this.companyId} could not be enriched (${this.reason}): ${this.detail}`
  }

  /** The failure code a company's steps record when its job failed. */
  get code(): string {
    return `cluster.${this.reason}: ${this.detail}`
  }
}

/**
 * Hands jobs to be run elsewhere (a cluster of workers), each answered by
 * its report once it ran.
 *
 * @since 0.1.0
 * @category models
 */
export interface Dispatcher {
  readonly enrich: (job: Job) => Effect.Effect<Report, EnrichFailed>
}

/**
 * A company's result as a report.
 *
 * @since 0.1.0
 * @category reports
 */
export const report = (result: RunOutcome.RecordedResult): Report => {
  const score = RunOutcome.scoreOf(result)
  return {
    companyId: result.target.id,
    state: result.state,
    durationMillis: result.durationMillis,
    ...(score === undefined ? {} : { score }),
    steps: Pipeline.stepNames.map((step): typeof StepReport.Type => {
      const o = result.outcomes[step]!
      switch (o._tag) {
        case "Succeeded":
          return {
            step,
            outcome: "Succeeded",
            restored: o.restored,
            durationMillis: o.durationMillis,
            ...(o.budget === undefined ? {} : { budget: o.budget })
          }
        case "Skipped":
          return { step, outcome: "Skipped", reason: o.reason, durationMillis: o.durationMillis }
        case "Failed":
          return {
            step,
            outcome: "Failed",
            code: RunOutcome.failureCode(o.error),
            durationMillis: o.durationMillis,
            ...(o.budget === undefined ? {} : { budget: o.budget })
          }
      }
    })
  }
}

/** An error that is only its failure code (what a report keeps of a failed step). */
const coded = (code: string) => ({ _tag: "StepFailed", code })

/**
 * A report as the company's result, for a run's recorder and summary (the
 * steps' outputs stay with the worker's checkpoints, but for the score
 * step's score, which the run records; a failed step's error is its
 * failure code).
 *
 * @since 0.1.0
 * @category reports
 */
export const toResult = (runId: string, company: Company.Company, r: Report): RunOutcome.RecordedResult => ({
  runId,
  target: company,
  targetId: company.id,
  state: r.state,
  durationMillis: r.durationMillis,
  outcomes: Object.fromEntries(r.steps.map((s): [string, Outcome.Outcome<unknown, unknown>] => [
    s.step,
    s.outcome === "Succeeded"
      ? {
        _tag: "Succeeded",
        output: s.step === "score" && r.score !== undefined ? { result: { score: r.score } } : undefined,
        restored: s.restored ?? false,
        durationMillis: s.durationMillis,
        budget: s.budget
      }
      : s.outcome === "Skipped"
      ? { _tag: "Skipped", reason: s.reason ?? "upstream", output: undefined, durationMillis: s.durationMillis }
      : { _tag: "Failed", error: coded(s.code ?? "unknown"), durationMillis: s.durationMillis, budget: s.budget }
  ]))
})

/** A company whose job failed: every step failed with the job's failure. */
const failedResult = (runId: string, company: Company.Company, error: EnrichFailed): RunOutcome.RecordedResult =>
  toResult(runId, company, {
    companyId: company.id,
    state: "failed",
    durationMillis: 0,
    steps: Pipeline.stepNames.map((step) => ({ step, outcome: "Failed", code: error.code, durationMillis: 0 }))
  })

/**
 * The job of each company of a run, but for its company.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const jobOf = (
  options: Omit<Job, "companyId" | "runId" | "knobs"> & { readonly knobs?: typeof Knobs.Type | undefined },
  runId: string
): Omit<Job, "companyId"> => ({
  tenantId: options.tenantId,
  runId,
  runDay: options.runDay,
  timeZone: options.timeZone,
  ...(options.skip === undefined ? {} : { skip: options.skip }),
  ...(options.only === undefined ? {} : { only: options.only }),
  ...(options.runCaps === undefined ? {} : { runCaps: options.runCaps }),
  ...(options.persistCrawlCorpus === undefined ? {} : { persistCrawlCorpus: options.persistCrawlCorpus }),
  ...(options.knobs === undefined ? {} : { knobs: knobsOf(options.knobs) })
})

const knobsOf = (knobs: typeof Knobs.Type): typeof Knobs.Type => {
  const { contactsPerCompany, corpusCharLimit, createLeads, exportToOdoo, scoreMinExport, thinCorpusChars } = knobs
  return Object.fromEntries(
    Object.entries({ contactsPerCompany, corpusCharLimit, createLeads, exportToOdoo, scoreMinExport, thinCorpusChars })
      .filter(([, v]) => v !== undefined)
  )
}

/**
 * Hands each company to the dispatcher, at most `concurrency` at once, and
 * streams their results as they come back; a company whose job failed
 * ends `failed`, each step with the job's failure code.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const dispatchAll = <E>(
  dispatcher: Dispatcher,
  companies: Stream.Stream<Company.Company, E>,
  job: Omit<Job, "companyId"> & { readonly concurrency: number }
): Stream.Stream<RunOutcome.RecordedResult, E> => {
  const { concurrency, ...rest } = job
  return Stream.mapEffect(
    companies,
    (company) =>
      dispatcher.enrich({ ...rest, companyId: company.id }).pipe(
        Effect.map((r) => toResult(job.runId, company, r)),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning(`company ${company.id} failed in the cluster: ${error.message}`),
            failedResult(job.runId, company, error)
          )
        )
      ),
    { concurrency, unordered: true }
  )
}

/**
 * What a worker needs to run jobs.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements =
  | Store.Store
  | TenantServices.TenantServices
  | Crawler
  | VendorConnector.VendorConnector
  | OdooConnector.OdooConnector

/**
 * A worker's job runner: each job runs its company through the pipeline
 * under the tenant's services for its run. A run's environment (its ledger
 * owner, vendors, checkpoints, rules) is built on its first job here and
 * kept while jobs of the run keep coming (released `idle` after the last).
 * Each company logs `company enriched` (annotated with its tenant, run,
 * company and state) when it ends.
 *
 * @since 0.1.0
 * @category running
 */
export const makeWorker = (options?: {
  /** How long a run's environment is kept after its last job (default 30 seconds). */
  readonly idle?: number | undefined
}): Effect.Effect<(job: Job) => Effect.Effect<Report, EnrichFailed>, never, Requirements | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const environments = yield* RcMap.make({
      lookup: (key: string) => {
        const job = JSON.parse(key) as Omit<Job, "companyId">
        return RunEnvironment.make(store.forTenant(job.tenantId), {
          ...job,
          knobs: job.knobs === undefined ? undefined : knobsOf(job.knobs) as RunEnvironment.Options["knobs"],
          runDay: { date: job.runDay, timeZone: job.timeZone },
          concurrency: 1,
          mayHaveCheckpoints: true
        })
      },
      idleTimeToLive: options?.idle ?? 30_000
    })
    return (job: Job) =>
      Effect.gen(function*() {
        const { companyId, ...run } = job
        const [company] = yield* store.forTenant(job.tenantId).companies.findByIds([companyId])
        if (company === undefined) {
          return yield* new EnrichFailed({ companyId, reason: "UnknownCompany", detail: `not a company of ${job.tenantId}` })
        }
        const environment = yield* RcMap.get(environments, JSON.stringify(run))
        const result = yield* Stream.runHead(environment.enrich(Stream.make(company)))
        if (result._tag === "None") return yield* Effect.dieMessage("CompanyEnrichment: the engine gave no result")
        yield* Effect.logInfo("company enriched").pipe(Effect.annotateLogs({ state: result.value.state }))
        return report(result.value)
      }).pipe(
        Effect.scoped,
        Effect.catchIf(
          (e): e is Exclude<typeof e, EnrichFailed> => !(e instanceof EnrichFailed),
          (e) => new EnrichFailed({ companyId: job.companyId, reason: "Store", detail: RunOutcome.failureCode(e) })
        ),
        Effect.annotateLogs({ tenant: job.tenantId, run: job.runId, company: job.companyId }),
        Effect.withSpan("CompanyEnrichment.enrich", { attributes: { tenant: job.tenantId, "run.id": job.runId } })
      )
  })

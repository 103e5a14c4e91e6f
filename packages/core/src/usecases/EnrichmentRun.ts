/**
 * One tenant's enrichment run: pick the companies that most need work (or,
 * given the id of an earlier run, that run's companies again, resuming from
 * its checkpoints), record a manifest, run the pipeline over them with the
 * tenant's budgets, checkpoints, ICP rules and Odoo connection, record each
 * company's outcome as it finishes, and close the run with its summary.
 * A dry run plans and forecasts without calling any vendor or writing
 * anything.
 *
 * One real run per tenant at a time, across processes: a run holds the
 * tenant's run lock (`Store.tryLockRun`) from before it chooses its
 * companies to its end, and fails with {@link RunInProgress}, having
 * recorded nothing and called no vendor, when someone else holds it. A run
 * whose lock is lost while it goes (`Store.runLockLost`: its connection to
 * Postgres dropped and another process took the lock) stops, companies in
 * flight too, is recorded as failed and fails with a `Conflict` `StoreError`.
 *
 * @since 0.1.0
 */
import * as Checkpoint from "../engine/Checkpoint.js"
import * as Engine from "../engine/Engine.js"
import type * as EngineError from "../engine/Errors.js"
import * as Events from "../engine/Events.js"
import * as Metrics from "../engine/Metrics.js"
import * as Forecast from "../enrichment/Forecast.js"
import * as History from "../enrichment/History.js"
import * as Pipeline from "../enrichment/Pipeline.js"
import * as RunContext from "../enrichment/steps/RunContext.js"
import * as RunSummary from "../engine/RunSummary.js"
import * as Store from "../enrichment/Store.js"
import * as Targets from "../enrichment/Targets.js"
import * as VerificationCache from "../enrichment/VerificationCache.js"
import type * as Company from "../enrichment/Company.js"
import type * as Crawler from "../enrichment/Crawler.js"
import type * as Run from "../enrichment/Run.js"
import type * as Tenant from "../enrichment/Tenant.js"
import type { ConfigError, Scope } from "effect"
import { Clock, type Deferred, Effect, Exit, Option, Random, Schema, Stream } from "effect"
import * as CompanyEnrichment from "./CompanyEnrichment.js"
import * as CrawlCheckpoints from "./internal/crawlCheckpoints.js"
import * as Recorder from "./internal/recorder.js"
import * as RunEnvironment from "./internal/runEnvironment.js"
import * as Stoppable from "./internal/stoppable.js"
import * as RunOutcome from "./RunOutcome.js"
import * as TenantServices from "./TenantServices.js"
import * as OdooConnector from "./OdooConnector.js"
import * as VendorConnector from "./VendorConnector.js"

/**
 * What to run for one tenant.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly tenantId: Tenant.TenantId
  /** Resume this run (its companies, its checkpoints) when it exists; otherwise a new run gets this id. */
  readonly runId?: string | undefined
  /** The run's day, `YYYY-MM-DD` in `timeZone`: companies enriched that day (in that zone) are skipped. */
  readonly runDay: string
  /** The IANA zone `runDay` is a date in (the runner's `SCHED_TZ`). */
  readonly timeZone: string
  /**
   * Companies per day for this tenant (the tenant's own cap, or
   * `SCHED_DAILY_CAP_PER_TENANT`): companies enriched earlier on `runDay`
   * count against it, except in a rerun, which the cap bounds on its own.
   */
  readonly cap: number
  /** At most this many companies (`--limit`), below the cap. */
  readonly limit?: number | undefined
  /** Also take companies already enriched on `runDay` (`--rerun`). */
  readonly rerun?: boolean | undefined
  readonly skip?: ReadonlyArray<string> | undefined
  readonly only?: ReadonlyArray<string> | undefined
  /** Plan and forecast only: no vendor call, no write. */
  readonly dryRun?: boolean | undefined
  /** Companies in flight at once (`SCHED_COMPANY_CONCURRENCY`). */
  readonly concurrency: number
  /** The tenant's daily budget caps (recorded in the manifest, reported against). */
  readonly caps: Readonly<Record<string, number>>
  /**
   * Caps of this run, by budget, besides the daily ones: a call is made only
   * when it fits both, so the smaller one left binds. A resumed run counts
   * what its earlier attempts used. Default: none (only the daily caps).
   */
  readonly runCaps?: Readonly<Record<string, number>> | undefined
  /** Pipeline knobs (export threshold, corpus limits, contacts per company). */
  readonly knobs?: Partial<Omit<RunContext.Service, "tenantId" | "runId" | "rules">> | undefined
  /** Keep crawl corpora in checkpoints (`PERSIST_CRAWL_CORPUS`); otherwise only their signals. */
  readonly persistCrawlCorpus?: boolean | undefined
  /** Receivers of the engine's events (progress bar, logs). */
  readonly sinks?: ReadonlyArray<Events.Sink> | undefined
  /** Told how many companies the run takes, once they are chosen (a progress bar's total). */
  readonly onTargets?: ((count: number) => Effect.Effect<void>) | undefined
  /** Completed when the process is asked to stop: no new company starts, those in flight finish. */
  readonly stop?: Deferred.Deferred<void> | undefined
  /**
   * The tenant's run lock, when the caller took it already ({@link lock})
   * and holds it until this run ends (the HTTP kickoff does, to answer 409
   * at once); otherwise a real run takes it itself.
   */
  readonly lock?: RunLock | undefined
  /**
   * Hand each company to this dispatcher (a cluster of workers, see
   * `CompanyEnrichment.Dispatcher`) instead of running it in this process;
   * `concurrency` is then the number of companies in flight across the
   * cluster. The run is recorded here as in-process: its manifest, each
   * company's outcome (from the worker's report), its summary.
   */
  readonly dispatch?: CompanyEnrichment.Dispatcher | undefined
}

/**
 * A budget's use on the run day against its cap, and how many of its
 * reservations that day were settled as spent because their run's process
 * died with the call in flight (their units are part of `used`).
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetUse {
  readonly used: number
  readonly cap: number
  readonly inFlightAtCrash?: number | undefined
}

/**
 * What a dry run found: the companies it would take and the forecast spend.
 *
 * @since 0.1.0
 * @category models
 */
export interface Planned {
  readonly _tag: "Planned"
  readonly tenantId: Tenant.TenantId
  readonly runId: string
  readonly targets: ReadonlyArray<Company.Company>
  readonly forecast: Forecast.Forecast
}

/**
 * What a run did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Finished {
  readonly _tag: "Finished"
  readonly tenantId: Tenant.TenantId
  readonly runId: string
  readonly status: Run.RunSummary["status"]
  readonly resumed: boolean
  readonly summary: RunSummary.RunSummary
  readonly budgets: Readonly<Record<string, BudgetUse>>
  /** The run's failed steps by failure code (`lusha.Unauthorized(401)`), most frequent first. */
  readonly failures?: ReadonlyArray<RunOutcome.FailureCount> | undefined
  /** False when the tenant has no active Odoo connection: the run left its `export` step out. */
  readonly odooConnected?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Result = Planned | Finished

/**
 * What a tenant run needs from its environment.
 *
 * @since 0.1.0
 * @category models
 */
export type Requirements =
  | Store.Store
  | TenantServices.TenantServices
  | Crawler.Crawler
  | VendorConnector.VendorConnector
  | OdooConnector.OdooConnector

/**
 * The errors that stop a tenant run before or after its companies (a
 * company's own failure never does).
 *
 * @since 0.1.0
 * @category models
 */
export type Error = Store.StoreError | EngineError.GraphError | ConfigError.ConfigError | RunInProgress

/**
 * Another run of the tenant holds its run lock (in this process or another
 * one sharing the database): this run recorded nothing and called no vendor.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunInProgress extends Schema.TaggedError<RunInProgress>()("RunInProgress", {
  tenantId: Schema.String
}) {
  override get message(): string {
    return `a run of tenant "${this.tenantId}" is already in progress (in this or another process)`
  }
}

/**
 * Proof that the tenant's run lock is held, from {@link lock}; hand it to
 * {@link run} as `Options.lock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunLock {
  readonly _tag: "RunLock"
  readonly tenantId: Tenant.TenantId
}

/**
 * Takes the tenant's run lock for the life of the scope, or fails with
 * {@link RunInProgress} when someone else holds it.
 *
 * @since 0.1.0
 * @category running
 */
export const lock = (
  tenantId: Tenant.TenantId
): Effect.Effect<RunLock, RunInProgress | Store.StoreError, Store.Store | Scope.Scope> =>
  Effect.flatMap(Store.Store, (store) => store.tryLockRun(tenantId)).pipe(
    Effect.filterOrFail((taken) => taken, () => new RunInProgress({ tenantId })),
    Effect.as<RunLock>({ _tag: "RunLock", tenantId }),
    Effect.withSpan("EnrichmentRun.lock", { attributes: { tenant: tenantId } })
  )

// the run stops, its companies in flight too, when another process took
// its tenant's lock (another run of the tenant may have started)
const lockLost = (store: Store.Service, tenantId: Tenant.TenantId) =>
  Effect.zipRight(
    store.runLockLost(tenantId),
    Effect.fail(
      new Store.StoreError({
        reason: "Conflict",
        operation: "tryLockRun",
        detail: "the tenant's run lock was lost while the run went on: its connection dropped and another process took it"
      })
    )
  )

const newRunId = (tenantId: string, runDay: string) =>
  Effect.map(Random.nextIntBetween(0, 36 ** 6), (n) => `${tenantId}-${runDay}-${n.toString(36).padStart(6, "0")}`)

/**
 * A short, secret-free description of a step's error: its failure code
 * (`lusha.Unauthorized(401): Invalid API key` for a vendor error, else its
 * tag and message), never the object, which may carry a request and its
 * key. See {@link RunOutcome.failureCode}.
 *
 * @since 0.1.0
 * @category helpers
 */
export const errorText = (error: unknown): string => RunOutcome.failureCode(error)

const fallBack = (error: unknown) =>
  Effect.as(Effect.logWarning(`forecast without history: ${errorText(error)}`), History.noHistory)

/**
 * The dry run's forecast: the engine's plan with the tenant's history in
 * context for the steps' estimates; caches that cannot be read make a
 * rougher one.
 */
const forecastOf = (
  tenant: Store.TenantStore,
  targets: ReadonlyArray<Company.Company>,
  engine: Engine.Options<Company.Company>,
  options: Options,
  checkpoint: Checkpoint.Service,
  stored: Checkpoint.Service
) =>
  Effect.gen(function*() {
    const knobs = { ...RunContext.defaults, ...options.knobs }
    const services = yield* TenantServices.TenantServices
    const history = yield* Forecast.history(tenant, targets, {
      rules: yield* tenant.icpRules.listActive,
      thinCorpusChars: knobs.thinCorpusChars
    }).pipe(
      Effect.provideService(Checkpoint.Checkpoint, stored),
      Effect.provideService(VerificationCache.VerificationCache, yield* services.verificationCache(options.tenantId)),
      Effect.catchTags({ CheckpointError: fallBack, VerificationCacheError: fallBack })
    )
    const plans = yield* Forecast.plan(targets, { engine, history, knobs }).pipe(
      Effect.provideService(Checkpoint.Checkpoint, checkpoint)
    )
    return Forecast.forecast(plans, history)
  })

/**
 * Runs (or plans) one tenant's enrichment.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (options: Options): Effect.Effect<Result, Error, Requirements> =>
  Effect.gen(function*() {
    const userFilter = {
      ...(options.skip === undefined ? {} : { skip: options.skip }),
      ...(options.only === undefined ? {} : { only: options.only })
    }
    // the engine's own check of step names, run before a run is recorded
    yield* Stream.runDrain(Engine.plan(Pipeline.graph, Stream.empty, userFilter))
    const store = yield* Store.Store
    const tenant = store.forTenant(options.tenantId)
    const connection = yield* tenant.tenants.odooConnection
    const odooConnected = RunEnvironment.isConnected(connection)
    if (!odooConnected && options.knobs?.exportToOdoo !== false) {
      yield* Effect.logInfo("no active Odoo connection: leads are scored, the export step is left out")
    }
    // before the companies are chosen: a choice made while another run
    // goes could take companies that run is about to mark enriched
    if (options.dryRun !== true && options.lock === undefined) yield* lock(options.tenantId)
    if (options.lock !== undefined && options.lock.tenantId !== options.tenantId) {
      return yield* Effect.dieMessage("EnrichmentRun.run: the run lock of another tenant")
    }
    const previous = options.runId === undefined ? Option.none() : yield* tenant.runs.get(options.runId as Run.RunId)
    const runId = options.runId ?? (yield* newRunId(options.tenantId, options.runDay))
    const runDay = { date: options.runDay, timeZone: options.timeZone }
    const targets = Option.isSome(previous)
      ? yield* tenant.companies.findByIds(previous.value.manifest.companyIds)
      : yield* Targets.choose(tenant, { runDay, cap: options.cap, limit: options.limit, rerun: options.rerun })

    if (options.dryRun === true) {
      const stored = yield* Effect.flatMap(TenantServices.TenantServices, (s) => s.checkpoint(options.tenantId))
      const kept = options.persistCrawlCorpus === true ? stored : CrawlCheckpoints.withoutCorpora(stored)
      const checkpoint: Checkpoint.Service = Option.isSome(previous)
        ? kept
        : { ...kept, load: () => Effect.succeedNone }
      const engineOptions = RunEnvironment.engineOptions(
        runId,
        options.concurrency,
        RunEnvironment.stepFilter(options, odooConnected)
      )
      const forecast = yield* forecastOf(tenant, targets, engineOptions, options, checkpoint, stored)
      return { _tag: "Planned", tenantId: options.tenantId, runId, targets, forecast } satisfies Planned
    }

    if (options.onTargets !== undefined) yield* options.onTargets(targets.length)
    const startedAt = yield* Clock.currentTimeMillis
    if (Option.isNone(previous)) {
      yield* tenant.runs.create({
        runId: runId as Run.RunId,
        runDay: options.runDay,
        rerun: options.rerun ?? false,
        cap: options.cap,
        companyIds: targets.map((c) => c.id),
        caps: options.caps
      }, new Date(startedAt))
    }
    const recorder = Recorder.make(tenant, runId as Run.RunId, startedAt)
    const { source, stopped } = Stoppable.untilStopped(targets, options.stop)
    // in this process: the run's environment; handed out: its companies run
    // on workers (each with an environment of its own for the run), and the
    // run holds only its ledger here, to read its budgets' use at the end
    const { companies, services } = options.dispatch === undefined
      ? yield* Effect.map(
        RunEnvironment.make(tenant, { ...options, runId, runDay, mayHaveCheckpoints: Option.isSome(previous) }),
        (environment) => ({ companies: environment.enrich(source), services: environment.services })
      )
      : {
        companies: CompanyEnrichment.dispatchAll(options.dispatch, source, {
          ...CompanyEnrichment.jobOf(options, runId),
          concurrency: options.concurrency
        }),
        services: yield* TenantServices.forRun(options.tenantId, { runId, day: runDay, caps: options.runCaps })
      }
    const exit = yield* companies.pipe(
      Stream.interruptWhen(lockLost(store, options.tenantId)),
      Stream.tap(Metrics.recordTarget),
      Stream.groupedWithin(100, "2 seconds"),
      Stream.runForEach(recorder.record),
      Effect.onInterrupt(() => recorder.finish("cancelled", "interrupted").pipe(Effect.ignore)),
      Effect.withSpan("run", {
        attributes: { tenant: options.tenantId, "run.id": runId, "run.day": options.runDay, "run.companies": targets.length }
      }),
      Effect.exit
    )
    if (Exit.isFailure(exit)) {
      yield* recorder.finish("failed", "the run stopped: see the logs").pipe(Effect.ignore, Effect.uninterruptible)
      return yield* Effect.failCause(exit.cause)
    }
    const { failures } = recorder
    const status = RunOutcome.status(yield* recorder.summary, stopped(), failures.withoutFailure())
    const summary = yield* recorder.finish(status, RunOutcome.errorSummary(failures.counts()))
    return {
      _tag: "Finished",
      tenantId: options.tenantId,
      runId,
      status,
      resumed: Option.isSome(previous),
      summary,
      budgets: yield* Recorder.budgetUse(options.caps).pipe(Effect.provide(services)),
      failures: failures.counts(),
      odooConnected
    } satisfies Finished
  }).pipe(Effect.scoped, Effect.annotateLogs({ tenant: options.tenantId }), Effect.withSpan("EnrichmentRun.run"))

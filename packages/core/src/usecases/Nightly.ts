/**
 * The nightly run: every active tenant (filtered by `SCHED_TENANT_INCLUDE`
 * and `SCHED_TENANT_EXCLUDE`), up to `SCHED_TENANT_CONCURRENCY` tenants at
 * once, each with its own company concurrency, budgets and daily cap (the
 * tenant's own cap when it has one). One tenant's failure never stops the
 * others; the result says which failed. A tenant whose run is already in
 * progress (another process holds its run lock: a kickoff over HTTP, a
 * second scheduler) is reported busy and left to that run; it is no
 * failure.
 *
 * Fairness: tenants start in id order and each runs at most
 * `SCHED_COMPANY_CONCURRENCY` companies at once, so a big tenant takes one
 * tenant slot and its own share of companies, never the others' — and the
 * daily cap bounds how long it holds its slot.
 *
 * {@link runTenant} runs one named tenant now, reported as a night of one.
 *
 * @since 0.1.0
 */
import * as RunDay from "../enrichment/RunDay.js"
import * as Store from "../enrichment/Store.js"
import type * as Tenant from "../enrichment/Tenant.js"
import { Cause, Clock, Deferred, Effect, Exit, Option, Schema } from "effect"
import * as EnrichmentRun from "./EnrichmentRun.js"

/**
 * Options of a nightly run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly filter?: Tenant.TenantFilter | undefined
  /** Tenants at once (`SCHED_TENANT_CONCURRENCY`). */
  readonly tenantConcurrency: number
  /** Companies per tenant per day unless the tenant has its own cap (`SCHED_DAILY_CAP_PER_TENANT`). */
  readonly dailyCap: number
  /** The time zone whose calendar day the run belongs to (`SCHED_TZ`). */
  readonly timeZone: string
  /** Everything else a tenant run takes. */
  readonly tenant: Omit<EnrichmentRun.Options, "tenantId" | "cap" | "runDay" | "timeZone" | "runId">
  /** Called before each tenant's run: the place to attach a progress bar or log sink. */
  readonly sinksFor?: ((tenant: Tenant.Tenant) => EnrichmentRun.Options["sinks"]) | undefined
  /** Called before each tenant's run: what its run calls once it knows how many companies it takes (a progress bar per tenant). */
  readonly onTargetsFor?: ((tenant: Tenant.Tenant) => EnrichmentRun.Options["onTargets"]) | undefined
}

/**
 * One tenant's outcome: its run's result, or why it could not run.
 *
 * @since 0.1.0
 * @category models
 */
export type TenantOutcome =
  | { readonly _tag: "Ran"; readonly tenant: Tenant.Tenant; readonly result: EnrichmentRun.Result }
  | { readonly _tag: "Failed"; readonly tenant: Tenant.Tenant; readonly error: string }
  | { readonly _tag: "Busy"; readonly tenant: Tenant.Tenant }

/**
 * A nightly run's result.
 *
 * @since 0.1.0
 * @category models
 */
export interface Result {
  /** The run day (`YYYY-MM-DD` in `timeZone`), computed once when the night starts: every tenant's. */
  readonly runDay: string
  /** The zone of `runDay` (`SCHED_TZ`). */
  readonly timeZone?: string | undefined
  readonly tenants: ReadonlyArray<TenantOutcome>
  readonly wallMillis: number
}

/**
 * The calendar day (`YYYY-MM-DD`) of an instant in a time zone: the date of
 * core's `RunDay.unsafeAt`.
 *
 * @since 0.1.0
 * @category helpers
 */
export const dayIn = (millis: number, timeZone: string): string => RunDay.unsafeAt(millis, timeZone).date

/**
 * A tenant's run day for a run starting at `millis`: the date in the
 * tenant's own time zone when it has a valid one, else in `timeZone`
 * (`SCHED_TZ`).
 *
 * @since 0.1.0
 * @category helpers
 */
export const dayOf = (
  tenant: Pick<Tenant.Tenant, "timeZone">,
  millis: number,
  timeZone: string
): { readonly runDay: string; readonly timeZone: string } => {
  const zone = typeof tenant.timeZone === "string" && RunDay.isTimeZone(tenant.timeZone) ? tenant.timeZone : timeZone
  const day = RunDay.unsafeAt(millis, zone)
  return { runDay: day.date, timeZone: day.timeZone }
}

/**
 * True when a tenant failed: its run could not start, stopped with an
 * error, or every company failed. Partial runs are not failures, nor are
 * busy tenants (their run is going elsewhere).
 *
 * @since 0.1.0
 * @category helpers
 */
export const isFailure = (outcome: TenantOutcome): boolean =>
  outcome._tag === "Failed" ||
  (outcome._tag === "Ran" && outcome.result._tag === "Finished" && outcome.result.status === "failed")

/**
 * The process exit code of a nightly run: 0 when no tenant failed, 1
 * otherwise.
 *
 * @since 0.1.0
 * @category helpers
 */
export const exitCode = (result: Result): number => (result.tenants.some(isFailure) ? 1 : 0)

/**
 * Runs every active tenant.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  options: Options
): Effect.Effect<Result, Store.StoreError, EnrichmentRun.Requirements> =>
  Effect.gen(function*() {
    const store = yield* Store.Store
    const startedAt = yield* Clock.currentTimeMillis
    // one day for the whole night, however long it runs
    const { date: runDay, timeZone } = RunDay.unsafeAt(startedAt, options.timeZone)
    const tenants = yield* store.listActiveTenants(options.filter)
    yield* Effect.logInfo(`nightly run for ${runDay} (${timeZone}): ${tenants.length} tenant(s)`)
    const runTenant = (tenant: Tenant.Tenant): Effect.Effect<TenantOutcome, never, EnrichmentRun.Requirements> =>
      EnrichmentRun.run({
        ...options.tenant,
        tenantId: tenant.id,
        // the night's start, in the tenant's own zone when it has one
        ...dayOf(tenant, startedAt, options.timeZone),
        cap: tenant.dailyCap ?? options.dailyCap,
        sinks: options.sinksFor?.(tenant) ?? options.tenant.sinks,
        onTargets: options.onTargetsFor?.(tenant) ?? options.tenant.onTargets
      }).pipe(
        Effect.map((result): TenantOutcome => ({ _tag: "Ran", tenant, result })),
        Effect.catchTag("RunInProgress", () =>
          Effect.as(
            Effect.logWarning(`tenant ${tenant.id} skipped: its run is already in progress elsewhere`),
            { _tag: "Busy", tenant } satisfies TenantOutcome
          )),
        Effect.exit,
        Effect.flatMap((exit): Effect.Effect<TenantOutcome> =>
          Exit.isSuccess(exit)
            ? Effect.succeed(exit.value)
            : Cause.isInterruptedOnly(exit.cause)
            ? Effect.interrupt
            : Effect.as(
              Effect.logError(`tenant ${tenant.id} failed`, exit.cause),
              { _tag: "Failed", tenant, error: Cause.pretty(Cause.map(exit.cause, EnrichmentRun.errorText)).split("\n")[0]! }
            )
        )
      )
    const stop = options.tenant.stop
    const stopped = stop === undefined ? Effect.succeed(false) : Deferred.isDone(stop)
    const outcomes = yield* Effect.forEach(tenants, (tenant) =>
      Effect.flatMap(stopped, (skip) =>
        skip
          ? Effect.succeed<TenantOutcome>({ _tag: "Failed", tenant, error: "not started: the run was asked to stop" })
          : runTenant(tenant)
      ), { concurrency: options.tenantConcurrency })
    return { runDay, timeZone, tenants: outcomes, wallMillis: (yield* Clock.currentTimeMillis) - startedAt }
  }).pipe(Effect.withSpan("Nightly.run"))

/**
 * {@link runTenant} was given a tenant the store does not have.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownTenant extends Schema.TaggedError<UnknownTenant>()("UnknownTenant", { tenantId: Schema.String }) {
  override get message(): string {
    return `no tenant "${this.tenantId}"`
  }
}

/**
 * One tenant's run now, reported as a night of that one tenant (what
 * `leadgraph run` does): the run day is the date in `timeZone` when it
 * starts, and the tenant's own daily cap wins over `dailyCap`; a dry run's
 * plan is the tenant's result. Unlike {@link run}, a tenant run that fails
 * (or finds the tenant's run lock held elsewhere) fails this effect.
 *
 * @since 0.1.0
 * @category running
 */
export const runTenant = (
  options: Omit<Options, "filter" | "tenantConcurrency" | "sinksFor"> & {
    readonly tenantId: Tenant.TenantId
    /** Resume this run (see `EnrichmentRun.Options.runId`). */
    readonly runId?: string | undefined
  }
): Effect.Effect<Result, EnrichmentRun.Error | UnknownTenant, EnrichmentRun.Requirements> =>
  Effect.gen(function*() {
    const tenant = yield* Effect.flatMap(Store.Store, (store) => store.forTenant(options.tenantId).tenants.get)
    if (Option.isNone(tenant)) return yield* new UnknownTenant({ tenantId: options.tenantId })
    const startedAt = yield* Clock.currentTimeMillis
    const { runDay, timeZone } = dayOf(tenant.value, startedAt, options.timeZone)
    const result = yield* EnrichmentRun.run({
      ...options.tenant,
      tenantId: options.tenantId,
      runId: options.runId,
      runDay,
      timeZone,
      cap: tenant.value.dailyCap ?? options.dailyCap
    })
    const tenants: ReadonlyArray<TenantOutcome> = [{ _tag: "Ran", tenant: tenant.value, result }]
    return { runDay, timeZone, tenants, wallMillis: (yield* Clock.currentTimeMillis) - startedAt }
  }).pipe(Effect.withSpan("Nightly.runTenant", { attributes: { tenant: options.tenantId } }))

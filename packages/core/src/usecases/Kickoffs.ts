/**
 * Runs started over HTTP: at most one going per tenant, each in a fiber of
 * the server's scope (so stopping the server interrupts them, and an
 * interrupted run records itself as cancelled), with its progress (targets
 * chosen, targets done) and, once it ends, its summary, kept in memory for
 * `GET /admin/runs/{id}`. A kickoff takes the tenant's run lock
 * (`EnrichmentRun.lock`) before it answers and hands it to the run, which holds
 * it to its end: a tenant whose run goes anywhere — started here, by the
 * nightly job, or by another server on the same database — is refused.
 * Runs this process started are refused with their id, from memory, before
 * the lock is asked.
 *
 * `startAll` starts every active tenant the way the nightly job picks them:
 * through a {@link Tenant.TenantFilter} (`SCHED_TENANT_INCLUDE` and
 * `SCHED_TENANT_EXCLUDE`), and it says which tenants it left out and why.
 * A run this process did not start (one of the nightly job, of another
 * process, or from before a restart) is read from the store with
 * {@link recorded}.
 *
 * How a run is carried out is given as a {@link Launch} function: the
 * server wires it to `EnrichmentRun.run`, tests to a controllable stand-in.
 *
 * @since 0.1.0
 */
import * as RunDay from "../enrichment/RunDay.js"
import type * as Events from "../engine/Events.js"
import type * as Run from "../enrichment/Run.js"
import * as Store from "../enrichment/Store.js"
import * as Tenant from "../enrichment/Tenant.js"
import { Cause, Clock, Context, Effect, ExecutionStrategy, Exit, FiberSet, Layer, Option, Random, Ref, Schema, Scope } from "effect"
import * as EnrichmentRun from "./EnrichmentRun.js"

/**
 * A run's progress and, once it ended, its summary.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStatus = Schema.Struct({
  id: Schema.String,
  tenantId: Schema.String,
  status: Schema.Literal("running", "succeeded", "partial", "failed", "cancelled"),
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  progress: Schema.Struct({ total: Schema.NullOr(Schema.NonNegativeInt), done: Schema.NonNegativeInt }),
  summary: Schema.NullOr(Schema.Struct({
    targets: Schema.Record({ key: Schema.String, value: Schema.Number }),
    steps: Schema.Record({
      key: Schema.String,
      value: Schema.Struct({ succeeded: Schema.Number, skipped: Schema.Number, failed: Schema.Number })
    })
  })),
  error: Schema.NullOr(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * What a launched run is told: its id, and where to report progress.
 *
 * @since 0.1.0
 * @category models
 */
export interface LaunchInput {
  readonly tenantId: Tenant.TenantId
  readonly runId: string
  /** The run day, `YYYY-MM-DD` in `timeZone`: pass both on to `EnrichmentRun.Options`. */
  readonly runDay: string
  /** The zone of `runDay` (`SCHED_TZ`). */
  readonly timeZone: string
  readonly limit: number | undefined
  readonly rerun: boolean
  /** Called once the run knows how many companies it takes. */
  readonly onTargets: (count: number) => Effect.Effect<void>
  /** The tenant's run lock, held until the launched run ends: pass it on as `EnrichmentRun.Options.lock`. */
  readonly lock: EnrichmentRun.RunLock
  /** Receives the engine's events (a finished target advances the progress). */
  readonly sink: Events.Sink
}

/**
 * Carries out one run.
 *
 * @since 0.1.0
 * @category models
 */
export type Launch = (input: LaunchInput) => Effect.Effect<EnrichmentRun.Result, unknown>

/**
 * A tenant's run is already going: `runId` when this process started it,
 * `undefined` when another holds the tenant's run lock.
 *
 * @since 0.1.0
 * @category errors
 */
export interface AlreadyRunning {
  readonly _tag: "AlreadyRunning"
  readonly runId: string | undefined
}

/**
 * What `startAll` did with each active tenant: started its run, found its run
 * already going (`id` when this process started it), or left it out by the
 * filter.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartedAll {
  readonly runs: ReadonlyArray<{ readonly id: string; readonly tenantId: Tenant.TenantId }>
  readonly alreadyRunning: ReadonlyArray<{ readonly id: string | undefined; readonly tenantId: Tenant.TenantId }>
  readonly skipped: ReadonlyArray<{ readonly tenantId: Tenant.TenantId; readonly reason: Tenant.FilterReason }>
}

/**
 * The kickoff service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Takes the tenant's run lock, starts a run of the tenant now and answers
   * its id at once; `AlreadyRunning` when the tenant's run goes here or
   * anywhere else on the database.
   */
  readonly start: (
    tenantId: Tenant.TenantId,
    options?: { readonly limit?: number | undefined; readonly rerun?: boolean | undefined }
  ) => Effect.Effect<string, AlreadyRunning | Store.StoreError>
  /**
   * Starts a run of every active tenant the filter lets through, one after
   * the other in id order, each as `start` does; a tenant whose run already
   * goes is listed in `alreadyRunning`, one the filter leaves out in
   * `skipped` with the reason. Inactive tenants are not listed.
   */
  readonly startAll: (
    options?: {
      readonly limit?: number | undefined
      readonly rerun?: boolean | undefined
      readonly filter?: Tenant.TenantFilter | undefined
    }
  ) => Effect.Effect<StartedAll, Store.StoreError>
  /** A run started by this process. */
  readonly get: (runId: string) => Effect.Effect<Option.Option<RunStatus>>
}

/**
 * The kickoff tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Kickoffs extends Context.Tag("@leadgraph/core/Kickoffs")<Kickoffs, Service>() {}

interface Entry {
  readonly status: RunStatus
}

const iso = (millis: number) => new Date(millis).toISOString()

const summaryOf = (result: EnrichmentRun.Result): RunStatus["summary"] =>
  result._tag === "Planned" ? null : {
    targets: { ...result.summary.targets },
    steps: Object.fromEntries(result.summary.steps.map((s) => [s.step, {
      succeeded: s.succeeded + s.restored,
      skipped: Object.values(s.skipped).reduce((a, b) => a + b, 0),
      failed: s.failed
    }]))
  }

/**
 * Builds the service over the store in context (for the run locks); runs
 * and their locks live in the scope the service is built in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: { readonly launch: Launch; readonly timeZone: string }) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Store.Store>()
    // made before the fibers, so closed after them: a run interrupted at
    // shutdown records itself as cancelled before its lock goes
    const locks = yield* Effect.flatMap(Effect.scope, (scope) => Scope.fork(scope, ExecutionStrategy.sequential))
    const fibers = yield* FiberSet.make<void, never>()
    const runs = yield* Ref.make(new Map<string, Entry>())
    const going = yield* Ref.make(new Map<Tenant.TenantId, string>())
    const lock = yield* Effect.makeSemaphore(1)

    const update = (runId: string, f: (s: RunStatus) => RunStatus) =>
      Ref.update(runs, (m) => {
        const e = m.get(runId)
        return e === undefined ? m : new Map(m).set(runId, { status: f(e.status) })
      })

    // the run's lock lives in a scope of its own, closed when the run ends
    // (or, failing that, with the service)
    const takeLock = (tenantId: Tenant.TenantId) =>
      Effect.gen(function*() {
        const lockScope = yield* Scope.fork(locks, ExecutionStrategy.sequential)
        const held = yield* EnrichmentRun.lock(tenantId).pipe(
          Scope.extend(lockScope),
          Effect.provide(context),
          Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Scope.close(lockScope, exit)),
          Effect.catchTag("RunInProgress", () => Effect.fail<AlreadyRunning>({ _tag: "AlreadyRunning", runId: undefined }))
        )
        return { held, release: Scope.close(lockScope, Exit.void) }
      })

    const start: Service["start"] = (tenantId, startOptions) =>
      lock.withPermits(1)(Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
        const current = (yield* Ref.get(going)).get(tenantId)
        if (current !== undefined) return yield* Effect.fail<AlreadyRunning>({ _tag: "AlreadyRunning", runId: current })
        const { held, release } = yield* restore(takeLock(tenantId))
        const now = yield* Clock.currentTimeMillis
        const { date: runDay, timeZone } = RunDay.unsafeAt(now, options.timeZone)
        const suffix = (yield* Random.nextIntBetween(0, 36 ** 6)).toString(36).padStart(6, "0")
        const runId = `${tenantId}-${runDay}-${suffix}`
        yield* Ref.update(going, (m) => new Map(m).set(tenantId, runId))
        yield* Ref.update(runs, (m) =>
          new Map(m).set(runId, {
            status: {
              id: runId,
              tenantId,
              status: "running",
              startedAt: iso(now),
              finishedAt: null,
              progress: { total: null, done: 0 },
              summary: null,
              error: null
            }
          }))
        // the lock goes first, so a client that sees the run ended can start the next one
        const finish = (exit: Exit.Exit<EnrichmentRun.Result, unknown>) =>
          Effect.gen(function*() {
            yield* release
            yield* Ref.update(going, (m) => {
              const next = new Map(m)
              next.delete(tenantId)
              return next
            })
            const at = iso(yield* Clock.currentTimeMillis)
            yield* update(runId, (s) =>
              Exit.match(exit, {
                onSuccess: (result) => ({
                  ...s,
                  status: result._tag === "Finished" ? result.status : "succeeded",
                  finishedAt: at,
                  summary: summaryOf(result)
                }),
                onFailure: (cause) => ({
                  ...s,
                  status: Cause.isInterruptedOnly(cause) ? "cancelled" : "failed",
                  finishedAt: at,
                  error: Cause.isInterruptedOnly(cause) ? "interrupted" : EnrichmentRun.errorText(Cause.squash(cause))
                })
              }))
          })
        const run = options.launch({
          tenantId,
          runId,
          runDay,
          timeZone,
          limit: startOptions?.limit,
          rerun: startOptions?.rerun ?? false,
          lock: held,
          onTargets: (count) => update(runId, (s) => ({ ...s, progress: { ...s.progress, total: count } })),
          sink: (event) =>
            event._tag === "TargetFinished"
              ? update(runId, (s) => ({ ...s, progress: { ...s.progress, done: s.progress.done + 1 } }))
              : Effect.void
        })
        yield* run.pipe(
          Effect.onExit(finish),
          Effect.ignore,
          Effect.annotateLogs({ tenant: tenantId, run: runId }),
          // forked from an uninterruptible region: the run itself stays interruptible
          Effect.interruptible,
          FiberSet.run(fibers)
        )
        return runId
      })))

    const startAll: Service["startAll"] = Effect.fn("Kickoffs.startAll")(
      function*(allOptions?: Parameters<Service["startAll"]>[0]) {
        // every active tenant, so the ones the filter leaves out can be named
        const tenants = yield* Context.get(context, Store.Store).listActiveTenants()
        const flags = { limit: allOptions?.limit, rerun: allOptions?.rerun }
        const runs: Array<StartedAll["runs"][number]> = []
        const alreadyRunning: Array<StartedAll["alreadyRunning"][number]> = []
        const skipped: Array<StartedAll["skipped"][number]> = []
        for (const tenant of tenants) {
          const reason = Tenant.leftOutBy(allOptions?.filter, tenant.id)
          if (reason !== undefined) {
            skipped.push({ tenantId: tenant.id, reason })
            continue
          }
          const started = yield* start(tenant.id, flags).pipe(
            Effect.map((id) => ({ _tag: "Started" as const, id })),
            Effect.catchTag("AlreadyRunning", Effect.succeed)
          )
          if (started._tag === "Started") runs.push({ id: started.id, tenantId: tenant.id })
          else alreadyRunning.push({ id: started.runId, tenantId: tenant.id })
        }
        if (skipped.length > 0) {
          yield* Effect.logInfo(
            `kickoff of all tenants left out ${skipped.map((s) => `${s.tenantId} (${s.reason})`).join(", ")}`
          )
        }
        return { runs, alreadyRunning, skipped } satisfies StartedAll
      }
    )

    const get: Service["get"] = (runId) =>
      Effect.map(Ref.get(runs), (m) => Option.map(Option.fromNullable(m.get(runId)), (e) => e.status))

    return { start, startAll, get } satisfies Service
  })

/**
 * The kickoff layer, over the store in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: { readonly launch: Launch; readonly timeZone: string }
): Layer.Layer<Kickoffs, never, Store.Store> =>
  Layer.scoped(Kickoffs, make(options))

const decodeTenantId = Schema.decodeUnknownOption(Tenant.TenantId)

/**
 * A run as the store recorded it (started by the nightly job, by another
 * process, or by this one before a restart), found through the tenant its
 * id begins with (`<tenant>-<YYYY-MM-DD>-<suffix>`, as runs name
 * themselves); none when the id is not so shaped or no such run is stored.
 *
 * @since 0.1.0
 * @category queries
 */
export const recorded = (store: Store.Service, runId: string): Effect.Effect<Option.Option<RunStatus>, Store.StoreError> => {
  const tenantId = Option.flatMap(Option.fromNullable(/^(.+)-\d{4}-\d{2}-\d{2}-[0-9a-z]+$/.exec(runId)?.[1]), decodeTenantId)
  if (Option.isNone(tenantId)) return Effect.succeedNone
  return store.forTenant(tenantId.value).runs.get(runId as Run.RunId).pipe(Effect.map(Option.map((run): RunStatus => {
    const done = Object.values(run.counts).reduce((a, b) => a + b, 0)
    return {
      id: run.id,
      tenantId: run.tenantId,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt === null ? null : run.finishedAt.toISOString(),
      progress: { total: run.manifest.companyIds.length, done },
      summary: run.status === "running" ? null : {
        targets: { ...run.counts, total: done },
        steps: Object.fromEntries(
          Object.entries(run.steps).map(([step, s]) => [step, { succeeded: s.succeeded, skipped: s.skipped, failed: s.failed }])
        )
      },
      error: run.errorSummary
    }
  })))
}

/**
 * Runs started over HTTP: at most one going per tenant, each in a fiber of
 * the server's scope (so stopping the server interrupts them, and an
 * interrupted run records itself as cancelled), with its progress (targets
 * chosen, targets done) and, once it ends, its summary, kept in memory for
 * `GET /admin/runs/{id}`. A tenant's run is "going" when this process
 * started it and it has not ended: a run of another process (the nightly
 * job) does not make a kickoff answer 409.
 *
 * How a run is carried out is given as a {@link Launch} function: the
 * server wires it to `TenantRun.run`, tests to a controllable stand-in.
 *
 * @since 0.1.0
 */
import type { Events, Tenant } from "@leadgraph/core"
import { Cause, Clock, Context, Effect, Exit, FiberSet, Layer, Option, Random, Ref } from "effect"
import * as Nightly from "../Nightly.js"
import * as TenantRun from "../TenantRun.js"
import type { RunStatus } from "./Api.js"

/**
 * What a launched run is told: its id, and where to report progress.
 *
 * @since 0.1.0
 * @category models
 */
export interface LaunchInput {
  readonly tenantId: Tenant.TenantId
  readonly runId: string
  readonly runDay: string
  readonly limit: number | undefined
  readonly rerun: boolean
  /** Called once the run knows how many companies it takes. */
  readonly onTargets: (count: number) => Effect.Effect<void>
  /** Receives the engine's events (a finished target advances the progress). */
  readonly sink: Events.Sink
}

/**
 * Carries out one run.
 *
 * @since 0.1.0
 * @category models
 */
export type Launch = (input: LaunchInput) => Effect.Effect<TenantRun.Result, unknown>

/**
 * A tenant's run is already going.
 *
 * @since 0.1.0
 * @category errors
 */
export interface AlreadyRunning {
  readonly _tag: "AlreadyRunning"
  readonly runId: string
}

/**
 * The kickoff service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Starts a run of the tenant now and answers its id at once. */
  readonly start: (
    tenantId: Tenant.TenantId,
    options?: { readonly limit?: number | undefined; readonly rerun?: boolean | undefined }
  ) => Effect.Effect<string, AlreadyRunning>
  /** A run started by this process. */
  readonly get: (runId: string) => Effect.Effect<Option.Option<RunStatus>>
}

/**
 * The kickoff tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Kickoffs extends Context.Tag("@leadgraph/runner/http/Kickoffs")<Kickoffs, Service>() {}

interface Entry {
  readonly status: RunStatus
}

const iso = (millis: number) => new Date(millis).toISOString()

const summaryOf = (result: TenantRun.Result): RunStatus["summary"] =>
  result._tag === "Planned" ? null : {
    targets: { ...result.summary.targets },
    steps: Object.fromEntries(result.summary.steps.map((s) => [s.step, {
      succeeded: s.succeeded + s.restored,
      skipped: Object.values(s.skipped).reduce((a, b) => a + b, 0),
      failed: s.failed
    }]))
  }

/**
 * Builds the service; runs live in the scope the service is built in.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: { readonly launch: Launch; readonly timeZone: string }) =>
  Effect.gen(function*() {
    const fibers = yield* FiberSet.make<void, never>()
    const runs = yield* Ref.make(new Map<string, Entry>())
    const going = yield* Ref.make(new Map<Tenant.TenantId, string>())
    const lock = yield* Effect.makeSemaphore(1)

    const update = (runId: string, f: (s: RunStatus) => RunStatus) =>
      Ref.update(runs, (m) => {
        const e = m.get(runId)
        return e === undefined ? m : new Map(m).set(runId, { status: f(e.status) })
      })

    const start: Service["start"] = (tenantId, startOptions) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const current = (yield* Ref.get(going)).get(tenantId)
        if (current !== undefined) return yield* Effect.fail<AlreadyRunning>({ _tag: "AlreadyRunning", runId: current })
        const now = yield* Clock.currentTimeMillis
        const runDay = Nightly.dayIn(now, options.timeZone)
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
        const finish = (exit: Exit.Exit<TenantRun.Result, unknown>) =>
          Effect.gen(function*() {
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
                  error: Cause.isInterruptedOnly(cause) ? "interrupted" : TenantRun.errorText(Cause.squash(cause))
                })
              }))
            yield* Ref.update(going, (m) => {
              const next = new Map(m)
              next.delete(tenantId)
              return next
            })
          })
        const run = options.launch({
          tenantId,
          runId,
          runDay,
          limit: startOptions?.limit,
          rerun: startOptions?.rerun ?? false,
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
          FiberSet.run(fibers)
        )
        return runId
      }))

    const get: Service["get"] = (runId) =>
      Effect.map(Ref.get(runs), (m) => Option.map(Option.fromNullable(m.get(runId)), (e) => e.status))

    return { start, get } satisfies Service
  })

/**
 * The kickoff layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: { readonly launch: Launch; readonly timeZone: string }): Layer.Layer<Kickoffs> =>
  Layer.scoped(Kickoffs, make(options))

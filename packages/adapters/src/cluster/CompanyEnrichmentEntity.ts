/**
 * The cluster entity that enriches one company of one run: entity id
 * `<run id>/<company id>`, one persisted message `Enrich` carrying core's
 * `CompanyEnrichment.Job` and answered with its `Report`. Persisted means
 * the message and its reply are rows in Postgres: a worker that dies with
 * the message in hand has its shard taken over, and the new owner runs the
 * job again, resuming from the checkpoints of the first attempt.
 *
 * @since 0.1.0
 */
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as Entity from "@effect/cluster/Entity"
import type { Sharding } from "@effect/cluster/Sharding"
import { Rpc } from "@effect/rpc"
import { CompanyEnrichment } from "@leadgraph/core"
import type { Duration } from "effect"
import { Context, Effect, Layer, Schedule } from "effect"
import * as JobGate from "../internal/JobGate.js"

/**
 * The `Enrich` message: enrich one company of one run, persisted, with a
 * primary key: its entity (the run and the company) holds at most one, so
 * a send that is tried again (its first try was stored, but the answer was
 * lost with a dropped connection) waits for the first one's report instead
 * of running the company a second time.
 *
 * @since 0.1.0
 * @category messages
 */
export const Enrich = Rpc.make("Enrich", {
  payload: CompanyEnrichment.Job.fields,
  primaryKey: () => "enrich",
  success: CompanyEnrichment.Report,
  error: CompanyEnrichment.EnrichFailed
}).annotate(ClusterSchema.Persisted, true)

/**
 * The entity.
 *
 * @since 0.1.0
 * @category entities
 */
export const CompanyEnrichmentEntity = Entity.make("CompanyEnrichment", [Enrich])

/**
 * The entity id of a job: its run and its company.
 *
 * @since 0.1.0
 * @category entities
 */
export const entityId = (job: Pick<CompanyEnrichment.Job, "runId" | "companyId">): string => `${job.runId}/${job.companyId}`

/**
 * Options of the workers' side.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Jobs this worker runs at once, across runs (`SCHED_COMPANY_CONCURRENCY`); the rest wait in their mailboxes. */
  readonly concurrency: number
  /** How long an entity with nothing to do is kept (default 30 seconds). */
  readonly maxIdleTime?: Duration.DurationInput | undefined
}

/**
 * A worker's drain: once {@link Service.drain} is called, the worker starts
 * no new job (a job that arrives, or waits for its turn, is held until the
 * worker leaves the cluster, and then handed over to another worker, which
 * runs it); `drain` completes when the jobs that had started have ended and
 * their reports are written.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Stops starting jobs, and waits until those running have ended; the jobs it waited for. */
  readonly drain: Effect.Effect<number>
  /** Jobs running now. */
  readonly running: Effect.Effect<number>
}

/**
 * The drain of the worker's `CompanyEnrichment` entity.
 *
 * @since 0.1.0
 * @category tags
 */
export class Drain extends Context.Tag("@leadgraph/adapters/CompanyEnrichmentEntity/Drain")<Drain, Service>() {}

/**
 * The entity's handler, registered with the runner: each `Enrich` runs
 * its company with core's `CompanyEnrichment.makeWorker`, at most
 * `concurrency` at a time in this process (the limit and the run
 * environments are the process's, shared by every entity it hosts). Each
 * job logs `company taken` when it starts. Provides the worker's
 * {@link Drain}.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Drain, never, Sharding | CompanyEnrichment.Requirements> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const enrich = yield* CompanyEnrichment.makeWorker()
    const gate = yield* JobGate.make(options.concurrency)
    const entity = CompanyEnrichmentEntity.toLayer(
      {
        Enrich: ({ payload: job }) =>
          gate.run(
            Effect.logInfo("company taken").pipe(
              Effect.zipRight(enrich(job)),
              Effect.annotateLogs({ tenant: job.tenantId, run: job.runId, company: job.companyId })
            )
          )
      },
      { maxIdleTime: options.maxIdleTime ?? "30 seconds" }
    )
    const drain: Service = { drain: gate.drain, running: gate.running }
    return Layer.merge(entity, Layer.succeed(Drain, drain))
  }))

/**
 * How long a dispatcher keeps trying a message whose storage cannot be
 * reached (Postgres restarting, a lost connection): backing off from 200 ms
 * to every 5 seconds, for up to 2 minutes.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const retryStorage: Schedule.Schedule<unknown> = Schedule.exponential("200 millis").pipe(
  Schedule.union(Schedule.spaced("5 seconds")),
  Schedule.upTo("2 minutes")
)

/**
 * A dispatcher that hands each job to the cluster as a persisted `Enrich`
 * message and waits for its report; a message the cluster refuses (a full
 * mailbox, or storage that still cannot be written after {@link retryStorage})
 * fails the company's job with reason `Cluster`.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const dispatcher: Effect.Effect<CompanyEnrichment.Dispatcher, never, Sharding> = Effect.map(
  CompanyEnrichmentEntity.client,
  (client): CompanyEnrichment.Dispatcher => ({
    enrich: (job) =>
      client(entityId(job)).Enrich(job).pipe(
        // storage that cannot be reached (Postgres restarting) is tried again for a while
        Effect.tapErrorTag("PersistenceError", (e) =>
          Effect.logWarning(`the cluster's storage could not be reached; trying again: ${e.message}`).pipe(
            Effect.annotateLogs({ run: job.runId, company: job.companyId })
          )),
        Effect.retry({ while: (e) => e._tag === "PersistenceError", schedule: retryStorage }),
        Effect.catchTags({
          MailboxFull: (e) => fail(job, e),
          AlreadyProcessingMessage: (e) => fail(job, e),
          PersistenceError: (e) => fail(job, e)
        }),
        Effect.withSpan("CompanyEnrichmentEntity.enrich", { attributes: { "run.id": job.runId, "company.id": job.companyId } })
      )
  })
)

const fail = (job: CompanyEnrichment.Job, error: { readonly _tag: string; readonly message: string }) =>
  Effect.fail(
    new CompanyEnrichment.EnrichFailed({
      companyId: job.companyId,
      reason: "Cluster",
      detail: `${error._tag}: ${error.message}`
    })
  )

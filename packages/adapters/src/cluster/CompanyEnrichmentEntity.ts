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
import { Effect, Layer } from "effect"

/**
 * The `Enrich` message: enrich one company of one run, persisted.
 *
 * @since 0.1.0
 * @category messages
 */
export const Enrich = Rpc.make("Enrich", {
  payload: CompanyEnrichment.Job,
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
 * The entity's handler, registered with the runner: each `Enrich` runs
 * its company with core's `CompanyEnrichment.makeWorker`, at most
 * `concurrency` at a time in this process.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<never, never, Sharding | CompanyEnrichment.Requirements> =>
  CompanyEnrichmentEntity.toLayer(
    Effect.gen(function*() {
      const enrich = yield* CompanyEnrichment.makeWorker()
      const permits = yield* Effect.makeSemaphore(Math.max(1, options.concurrency))
      return {
        Enrich: (envelope) => permits.withPermits(1)(enrich(envelope.payload))
      }
    }),
    { maxIdleTime: options.maxIdleTime ?? "30 seconds" }
  )

/**
 * A dispatcher that hands each job to the cluster as a persisted `Enrich`
 * message and waits for its report; a message the cluster refuses (a full
 * mailbox, storage that cannot be written) fails the company's job with
 * reason `Cluster`.
 *
 * @since 0.1.0
 * @category dispatching
 */
export const dispatcher: Effect.Effect<CompanyEnrichment.Dispatcher, never, Sharding> = Effect.map(
  CompanyEnrichmentEntity.client,
  (client): CompanyEnrichment.Dispatcher => ({
    enrich: (job) =>
      client(entityId(job)).Enrich(job).pipe(
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

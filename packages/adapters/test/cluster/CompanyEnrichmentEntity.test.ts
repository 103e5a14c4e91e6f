/**
 * The `Enrich` message's primary key, on @effect/cluster's in-memory test
 * runner: the same job sent twice (a send tried again after a lost answer)
 * runs once and both senders get its report; two companies run twice.
 * On the live clock: the test runner's sharding takes its shards on its own
 * schedule, and nothing here depends on how long anything takes.
 */
import type { Sharding } from "@effect/cluster/Sharding"
import * as TestRunner from "@effect/cluster/TestRunner"
import { describe, expect, it } from "@effect/vitest"
import { CompanyEnrichmentEntity } from "@leadgraph/adapters"
import type { CompanyEnrichment } from "@leadgraph/core"
import { Company, Tenant } from "@leadgraph/core"
import { Deferred, Effect, Layer } from "effect"

const c1 = "6f1c8a52-3d4e-4b7a-9c10-1a2b3c4d5e61"
const c2 = "6f1c8a52-3d4e-4b7a-9c10-1a2b3c4d5e62"

const job = (companyId: string): CompanyEnrichment.Job => ({
  tenantId: Tenant.TenantId.make("tenant-a"),
  runId: "run-1",
  companyId: Company.CompanyId.make(companyId),
  runDay: "2026-12-03",
  timeZone: "UTC"
})

/** A handler that counts its jobs and answers once `open` is done. */
const counting = (open: Deferred.Deferred<void>, ran: Array<string>) =>
  CompanyEnrichmentEntity.CompanyEnrichmentEntity.toLayer({
    Enrich: (envelope) =>
      Effect.sync(() => ran.push(envelope.payload.companyId)).pipe(
        Effect.zipRight(Deferred.await(open)),
        Effect.as({ companyId: envelope.payload.companyId, state: "succeeded" as const, durationMillis: 1, steps: [] })
      )
  })

const withCluster = <A, E>(
  body: (open: Deferred.Deferred<void>, ran: Array<string>) => Effect.Effect<A, E, Sharding>
) =>
  Effect.gen(function*() {
    const open = yield* Deferred.make<void>()
    const ran: Array<string> = []
    return yield* body(open, ran).pipe(
      Effect.provide(counting(open, ran).pipe(Layer.provideMerge(TestRunner.layer)))
    )
  })

describe("CompanyEnrichmentEntity", () => {
  it.scopedLive("the same job sent twice runs once, and both sends get its report", () =>
    withCluster((open, ran) =>
      Effect.gen(function*() {
        const dispatcher = yield* CompanyEnrichmentEntity.dispatcher
        const first = yield* Effect.fork(dispatcher.enrich(job(c1)))
        const again = yield* Effect.fork(dispatcher.enrich(job(c1)))
        yield* Effect.yieldNow().pipe(Effect.repeatN(50))
        yield* Deferred.succeed(open, undefined)
        const reports = [yield* first, yield* again]
        expect(ran).toEqual([c1])
        expect(reports.map((r) => [r.companyId, r.state])).toEqual([[c1, "succeeded"], [c1, "succeeded"]])
      })
    ))

  it.scopedLive("two companies of a run are two jobs", () =>
    withCluster((open, ran) =>
      Effect.gen(function*() {
        const dispatcher = yield* CompanyEnrichmentEntity.dispatcher
        yield* Deferred.succeed(open, undefined)
        yield* Effect.all([dispatcher.enrich(job(c1)), dispatcher.enrich(job(c2))], { concurrency: 2 })
        expect([...ran].sort()).toEqual([c1, c2])
      })
    ))
})

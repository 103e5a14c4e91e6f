/**
 * `leadgraph worker` and cluster mode: a worker joins the cluster on the
 * store's Postgres (`DATABASE_URL`; the embedded database belongs to one
 * process) and runs the companies runs hand it, until SIGTERM or SIGINT;
 * a run in cluster mode (`LEADGRAPH_CLUSTER=1` or `--cluster`) hands each
 * of its companies to the workers and records what they report.
 *
 * @since 0.1.0
 */
import { Cluster, CompanyEnrichmentEntity } from "@leadgraph/adapters"
import type { CompanyEnrichment, Store } from "@leadgraph/core"
import type { SqlClient } from "@effect/sql"
import { Config, Console, type ConfigError, Context, type Deferred, Duration, Effect, Layer, Option, type Scope } from "effect"
import type * as Environment from "./Environment.js"
import type * as Settings from "./Settings.js"

/**
 * The worker's address, from its flags over the settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface Flags {
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
}

/** The cluster's options from the settings, as a runner at `runner` or as a client. */
const clusterOptions = (cluster: Settings.ClusterSettings, runner?: Cluster.Options["runner"]): Cluster.Options => ({
  runner,
  lease: Duration.seconds(cluster.leaseSeconds),
  pollInterval: Duration.seconds(cluster.pollSeconds)
})

/** Fails unless `DATABASE_URL` names a Postgres server. */
const requireServer = Effect.flatMap(
  Config.option(Config.redacted("DATABASE_URL").pipe(Config.withDescription("the runtime role's Postgres URL"))),
  Cluster.requireServer
)

/**
 * Fails, before anything is built, when cluster mode is on (the setting,
 * or `forced` by a flag or the `worker` command) and `DATABASE_URL` is not
 * set: the embedded database belongs to one process.
 *
 * @since 0.1.0
 * @category commands
 */
export const precheck = (forced: boolean): Effect.Effect<void, Store.StoreError | ConfigError.ConfigError> =>
  Effect.flatMap(
    Effect.map(Config.boolean("LEADGRAPH_CLUSTER").pipe(Config.withDefault(false)), (on) => on || forced),
    (on) => on ? requireServer : Effect.void
  )

/**
 * Runs a worker until `stop` completes: joins the cluster at its address
 * and runs the `CompanyEnrichment` entity, at most
 * `SCHED_COMPANY_CONCURRENCY` companies at once. On `stop` it drains:
 * it starts no new company, waits for those running to end (their reports
 * written), then leaves the cluster, and the companies that were waiting
 * for it are handed over to the other workers.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (
  settings: Settings.Settings,
  cluster: Settings.ClusterSettings,
  flags: Flags,
  stop: Deferred.Deferred<void>
): Effect.Effect<void, Cluster.ClusterError | Store.StoreError | ConfigError.ConfigError, Environment.Services> =>
  Effect.gen(function*() {
    yield* requireServer
    const host = Option.getOrElse(flags.host, () => cluster.host)
    const port = Option.getOrElse(flags.port, () => cluster.port)
    const listenHost = Option.getOrUndefined(cluster.listenHost)
    const worker = CompanyEnrichmentEntity.layer({ concurrency: settings.schedule.companyConcurrency }).pipe(
      Layer.provideMerge(Cluster.layer(clusterOptions(cluster, { host, port, listenHost })))
    )
    yield* Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(worker)
      yield* Console.log(`leadgraph worker: in the cluster as ${host}:${port}`)
      yield* stop
      const drain = Context.get(context, CompanyEnrichmentEntity.Drain)
      const running = yield* drain.running
      yield* Effect.logInfo(`draining: no new company starts here; waiting for the ${running} running`)
      const [took] = yield* Effect.timed(drain.drain)
      yield* Effect.logInfo(
        `drained in ${Duration.format(took)}: leaving the cluster; the companies waiting here go to the other workers`
      )
    }))
  }).pipe(Effect.withSpan("Worker.run"))

/**
 * Why cluster mode could not start: no Postgres, the cluster could not be
 * joined, or a setting is bad.
 *
 * @since 0.1.0
 * @category models
 */
export type DispatcherError = Cluster.ClusterError | Store.StoreError | ConfigError.ConfigError

/**
 * In cluster mode, the dispatcher that hands a run's companies to the
 * workers (this process joins the cluster as a client for the scope);
 * otherwise none (`undefined`), and runs stay in this process.
 *
 * @since 0.1.0
 * @category commands
 */
export const dispatcher = (
  cluster: Settings.ClusterSettings,
  forced: boolean
): Effect.Effect<
  CompanyEnrichment.Dispatcher | undefined,
  DispatcherError,
  SqlClient.SqlClient | Scope.Scope
> =>
  !(cluster.enabled || forced) ? Effect.succeedNone.pipe(Effect.map(Option.getOrUndefined)) : Effect.gen(function*() {
    yield* requireServer
    const context = yield* Layer.build(Cluster.layer(clusterOptions(cluster)))
    yield* Effect.logInfo("cluster mode: each company goes to a `leadgraph worker`")
    return yield* CompanyEnrichmentEntity.dispatcher.pipe(Effect.provide(context))
  })

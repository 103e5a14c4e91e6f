/**
 * The leadgraph cluster: `@effect/cluster` sharding over the store's
 * Postgres, with no shard manager. Runner state (the runners, their
 * heartbeats; shards are held by Postgres advisory locks) and durable
 * messages with their replies are kept in a schema beside the store's,
 * `<schema>_cluster` (`public_cluster`; tables `cluster_*`, created by the
 * store's migration 17); runners talk to each other over TCP on the
 * address each one advertises.
 *
 * Settings are options, never the environment: `@effect/platform-node`'s
 * `NodeClusterSocket.layer` reads its `ShardingConfig` from environment
 * variables with common names (`HOST`, `PORT`), which this layer does not.
 *
 * @since 0.1.0
 */
import { RunnerAddress } from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import type { Sharding } from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SocketRunner from "@effect/cluster/SocketRunner"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import type { MessageStorage } from "@effect/cluster/MessageStorage"
import { NodeClusterSocket } from "@effect/platform-node"
import type * as SocketServer from "@effect/platform/SocketServer"
import { RpcSerialization } from "@effect/rpc"
import { SqlClient } from "@effect/sql"
import { Store } from "@leadgraph/core"
import * as ClusterTables from "../store/migrations/0017_cluster.js"
import { Duration, Effect, Layer, Option, Schema } from "effect"

/**
 * The schema that holds the cluster's tables beside a store in schema `store`.
 *
 * @since 0.1.0
 * @category constants
 */
export const schemaOf = (store: string): string => ClusterTables.clusterSchema(store)

/**
 * How a process takes part in the cluster.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * A worker: the address other runners reach it at, and (`listenHost`,
   * default `host`) the interface it listens on. Leave it out for a
   * client, which sends messages and reads replies but runs no entity.
   */
  readonly runner?: {
    readonly host: string
    readonly port: number
    readonly listenHost?: string | undefined
  } | undefined
  /**
   * How long a runner that stopped heartbeating keeps its place, which is
   * how long its shards wait for takeover after it dies (default 35
   * seconds); its heartbeat and the health checks run at a third of it.
   */
  readonly lease?: Duration.DurationInput | undefined
  /** How often a runner reads its shards' unprocessed messages from the database (default 10 seconds). */
  readonly pollInterval?: Duration.DurationInput | undefined
}

/**
 * The cluster's settings as `@effect/cluster` takes them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const shardingConfig = (options: Options): ShardingConfig.ShardingConfig["Type"] => {
  const lease = Duration.decode(options.lease ?? Duration.seconds(35))
  const third = Duration.max(Duration.millis(200), Duration.divide(lease, 3).pipe(Option.getOrElse(() => lease)))
  const poll = Duration.decode(options.pollInterval ?? Duration.seconds(10))
  const runner = options.runner
  return {
    ...ShardingConfig.defaults,
    runnerAddress: runner === undefined
      ? Option.none()
      : Option.some(RunnerAddress.make({ host: runner.host, port: runner.port })),
    runnerListenAddress: runner?.listenHost === undefined
      ? Option.none()
      : Option.some(RunnerAddress.make({ host: runner.listenHost, port: runner.port })),
    shardLockExpiration: lease,
    shardLockRefreshInterval: third,
    runnerHealthCheckInterval: third,
    refreshAssignmentsInterval: Duration.min(third, Duration.seconds(3)),
    entityMessagePollInterval: poll
  }
}

/**
 * Why the cluster could not be joined: a runner could not listen on its
 * address.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClusterError extends Schema.TaggedError<ClusterError>()("ClusterError", {
  reason: Schema.Literal("Listen"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return `the cluster could not be joined (${this.reason}): ${this.detail}`
  }
}

/** The cluster's storage in the schema beside the store's (the connection's current schema). */
const storage = Layer.unwrapEffect(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [here] = yield* Effect.orDie(sql<{ schema: string }>`SELECT current_schema() AS schema`)
  const prefix = `${schemaOf(here!.schema)}.cluster`
  return Layer.merge(
    Layer.orDie(SqlMessageStorage.layerWith({ prefix })),
    Layer.orDie(SqlRunnerStorage.layerWith({ prefix }))
  )
}))

/**
 * Sharding over the store's Postgres: a runner when `options.runner` is
 * given (it listens on its address, hosts shards and runs the entities
 * provided with it), a client otherwise.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<Sharding | Runners.Runners | MessageStorage, ClusterError, SqlClient.SqlClient> => {
  const runner = options.runner === undefined
    ? Layer.provide(SocketRunner.layerClientOnly, NodeClusterSocket.layerClientProtocol)
    : SocketRunner.layer.pipe(
      Layer.provide([NodeClusterSocket.layerSocketServer, NodeClusterSocket.layerClientProtocol]),
      Layer.provide(RunnerHealth.layerPing.pipe(
        Layer.provide(Runners.layerRpc),
        Layer.provide(NodeClusterSocket.layerClientProtocol)
      ))
    )
  const built = (runner as Layer.Layer<Sharding | Runners.Runners, SocketServer.SocketServerError, any>).pipe(
    Layer.provideMerge(storage),
    Layer.provide(ShardingConfig.layer(shardingConfig(options))),
    Layer.provide(RpcSerialization.layerMsgPack)
  ) as Layer.Layer<Sharding | Runners.Runners | MessageStorage, SocketServer.SocketServerError, SqlClient.SqlClient>
  return Layer.catchAll(built, (e) =>
    Layer.fail(
      new ClusterError({
        reason: "Listen",
        detail: `cannot listen on ${options.runner?.listenHost ?? options.runner?.host}:${options.runner?.port}`,
        cause: e
      })
    ))
}

/**
 * Fails unless the database is a Postgres server that many processes
 * share: the embedded database (PGlite) belongs to one process.
 *
 * @since 0.1.0
 * @category guards
 */
export const requireServer = (databaseUrl: Option.Option<unknown>): Effect.Effect<void, Store.StoreError> =>
  Option.isSome(databaseUrl) ? Effect.void : Effect.fail(
    new Store.StoreError({
      reason: "Invalid",
      operation: "cluster",
      detail:
        "a cluster needs a Postgres server that every worker shares: set DATABASE_URL (the embedded database belongs to one process)"
    })
  )

/**
 * The cluster's settings as `@effect/cluster` takes them: a worker's
 * address (and the interface it listens on), a client without one, and the
 * timings derived from the lease; the tables' schema beside the store's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cluster } from "@leadgraph/adapters"
import { Duration, Effect, Exit, Option } from "effect"

describe("Cluster", () => {
  it("a worker advertises its address and listens on listenHost when given", () => {
    const config = Cluster.shardingConfig({ runner: { host: "10.0.0.5", port: 4000, listenHost: "0.0.0.0" } })
    expect(Option.map(config.runnerAddress, (a) => [a.host, a.port])).toEqual(Option.some(["10.0.0.5", 4000]))
    expect(Option.map(config.runnerListenAddress, (a) => [a.host, a.port])).toEqual(Option.some(["0.0.0.0", 4000]))
    const plain = Cluster.shardingConfig({ runner: { host: "10.0.0.5", port: 4000 } })
    expect(plain.runnerListenAddress).toEqual(Option.none())
  })

  it("a client has no address: it hosts no shard", () => {
    expect(Cluster.shardingConfig({}).runnerAddress).toEqual(Option.none())
  })

  it("the lease sets the shard locks' expiry; heartbeats and health checks run at a third of it", () => {
    const config = Cluster.shardingConfig({ lease: "6 seconds", pollInterval: "1 second" })
    expect(Duration.toMillis(config.shardLockExpiration)).toBe(6000)
    expect(Duration.toMillis(config.shardLockRefreshInterval)).toBe(2000)
    expect(Duration.toMillis(config.runnerHealthCheckInterval)).toBe(2000)
    expect(Duration.toMillis(config.refreshAssignmentsInterval)).toBe(2000)
    expect(Duration.toMillis(config.entityMessagePollInterval)).toBe(1000)
    const defaults = Cluster.shardingConfig({})
    expect(Duration.toMillis(defaults.shardLockExpiration)).toBe(35_000)
    expect(Duration.toMillis(defaults.refreshAssignmentsInterval)).toBe(3000)
  })

  it("the cluster's tables live beside the store's schema", () => {
    expect(Cluster.schemaOf("public")).toBe("public_cluster")
    expect(Cluster.schemaOf("lg_acme")).toBe("lg_acme_cluster")
  })

  it.effect("without a Postgres server, joining is refused naming DATABASE_URL", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Cluster.requireServer(Option.none()))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("DATABASE_URL")
      expect(Exit.isSuccess(yield* Effect.exit(Cluster.requireServer(Option.some("postgres://"))))).toBe(true)
    }))
})

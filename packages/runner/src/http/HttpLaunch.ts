/**
 * The runs `POST /admin/runs` starts, carried out for real: the adapters'
 * `KickoffsLive` (`EnrichmentRun.run` in the environment of `leadgraph
 * run`, over the server's own database connection, built at the first
 * kickoff so `leadgraph serve` starts without vendor keys) with the
 * runner's settings. A kickoff while vendor keys are missing never gets
 * here: the handler answers 503 naming them (`HttpServer.Options.missingVendorKeys`).
 * In cluster mode (`LEADGRAPH_CLUSTER=1`) each kickoff hands its companies
 * to the `leadgraph worker` processes (see `Worker.dispatcher`).
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { KickoffsLive } from "@leadgraph/adapters"
import type { Kickoffs, Store } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import * as Environment from "../Environment.js"
import * as Settings from "../Settings.js"
import * as Worker from "../Worker.js"

/**
 * The kickoff service over live runs, for the database in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  settings: Settings.Settings,
  cluster?: Settings.ClusterSettings
): Layer.Layer<
  Kickoffs.Kickoffs,
  Worker.DispatcherError,
  Store.Store | PgClient.PgClient | SqlClient.SqlClient
> =>
  Layer.unwrapScoped(Effect.map(
    Worker.dispatcher(cluster ?? { ...Settings.clusterDefaults, enabled: false }, false),
    (dispatch) =>
      KickoffsLive.layer({
        // in cluster mode the workers call the vendors; what this process calls shares their limits
        environment: { ...Environment.optionsOf(settings), coordination: dispatch === undefined ? "process" : "database" },
        run: { ...Settings.runOptions(settings), dispatch },
        dailyCap: settings.schedule.dailyCapPerTenant,
        timeZone: settings.schedule.timeZone
      })
  ))

/**
 * An in-memory Odoo for fast tests: the fake server's database without HTTP.
 *
 * @since 0.1.0
 */
import { Odoo } from "@leadgraph/core"
import { Effect, Layer } from "effect"
import * as Protocol from "../internal/protocol.js"
import * as Upsert from "../internal/upsert.js"
import * as OdooDatabase from "./OdooDatabase.js"

/**
 * An in-memory Odoo (the fake server's database, no HTTP) for fast tests of
 * code that exports leads. Pass a database to inspect its records.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (database?: OdooDatabase.OdooDatabase): Layer.Layer<Odoo.Odoo> =>
  Layer.sync(Odoo.Odoo, () => {
    const db = database ?? OdooDatabase.make()
    const execute: Upsert.Execute = (model, method, args, kwargs) =>
      Effect.try({
        try: () => db.execute(model, method, args, kwargs ?? {}),
        catch: (cause) =>
          cause instanceof OdooDatabase.OdooException
            ? new Odoo.OdooError({
              reason: Protocol.reasonOfRpcError({
                code: 200,
                message: "Odoo Server Error",
                data: { name: cause.exceptionName, message: cause.message }
              }),
              detail: `${cause.exceptionName}: ${cause.message}`
            })
            : new Odoo.OdooError({ reason: "ServerError", detail: "the fake database failed", cause })
      })
    // what the fake Odoo server answers to common.version
    return { ...Upsert.makeService(execute, (self) => self), serverVersion: Effect.succeed("17.0") }
  })

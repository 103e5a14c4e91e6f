/**
 * How a tenant's run reaches the tenant's Odoo: a layer per connection,
 * built for each run from the connection stored with the tenant. The live
 * connector (JSON-RPC, its password read from the variable the connection
 * names) is in `@leadgraph/adapters` (`Vendors.layerOdoo`); tests give an
 * in-memory Odoo per tenant.
 *
 * @since 0.1.0
 */
import type { ConfigError } from "effect"
import { Context, Effect, Layer } from "effect"
import * as Odoo from "../enrichment/Odoo.js"
import type * as Tenant from "../enrichment/Tenant.js"

/**
 * The connector: a tenant's Odoo from its connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly connect: (
    tenantId: Tenant.TenantId,
    connection: Tenant.OdooConnection
  ) => Layer.Layer<Odoo.Odoo, ConfigError.ConfigError>
}

/**
 * The connector tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class OdooConnector extends Context.Tag("@leadgraph/core/OdooConnector")<OdooConnector, Service>() {}

/**
 * The Odoo of a tenant without an active connection: the export step never
 * reaches it (the run context says not to export), and a call would be a
 * bug.
 *
 * @since 0.1.0
 * @category layers
 */
export const disconnected: Layer.Layer<Odoo.Odoo> = Layer.succeed(Odoo.Odoo, {
  upsertCompany: () => Effect.dieMessage("no active Odoo connection"),
  upsertContact: () => Effect.dieMessage("no active Odoo connection"),
  upsertLead: () => Effect.dieMessage("no active Odoo connection"),
  exportCompany: () => Effect.dieMessage("no active Odoo connection"),
  serverVersion: Effect.dieMessage("no active Odoo connection")
})

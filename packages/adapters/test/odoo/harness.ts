/**
 * Shared set-up of the Odoo adapter tests: a fake Odoo and the live adapter
 * pointed at it over real HTTP, with short timeouts and retry delays.
 */
import { NodeHttpClient } from "@effect/platform-node"
import type { Odoo } from "@leadgraph/core"
import { Effect, Redacted } from "effect"
import * as OdooLive from "../../src/odoo/OdooLive.js"
import * as FakeOdooServer from "../../src/odoo/testing/FakeOdooServer.js"

export const password = "odoo-secret-password-42"

export const fastRetry = { base: "5 millis", maxDelay: "20 millis", retries: 2, maxRetryAfter: "50 millis" } as const

/** Runs `f` with a fake Odoo and the live adapter pointed at it, over real HTTP. */
export const withOdoo = <A, E>(
  f: (server: FakeOdooServer.FakeOdooServer, odoo: Odoo.Service) => Effect.Effect<A, E>,
  options?: { readonly server?: FakeOdooServer.Options; readonly adapter?: Partial<OdooLive.Options> }
) =>
  Effect.gen(function*() {
    const server = yield* FakeOdooServer.make({ password, ...options?.server })
    const odoo = yield* OdooLive.make({
      url: server.url,
      database: server.database,
      login: server.login,
      password: Redacted.make(password),
      timeout: "2 seconds",
      retry: fastRetry,
      // The client-side limit is not under test here (undefined means the default, 10 a second).
      rateLimit: { limit: 10_000, interval: "1 second" },
      ...options?.adapter
    })
    return yield* f(server, odoo)
  }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped)

/** The outcomes of an export: company, each contact, lead. */
export const outcomes = (e: Odoo.Exported) => [
  e.company.outcome,
  ...e.contacts.map((c) => c.result.outcome),
  e.lead?.outcome
]

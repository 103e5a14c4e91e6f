/**
 * The fake Odoo's lost answers, seen from a plain JSON-RPC client: Odoo
 * carries out and commits the call, then the client gets a 504 from the
 * proxy or nothing at all.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as FakeOdooServer from "../../src/odoo/testing/FakeOdooServer.js"

const password = "lost-reply-key"

/** One `execute_kw` as Odoo's external API takes it. */
const executeKw = (server: FakeOdooServer.FakeOdooServer, model: string, method: string, args: ReadonlyArray<unknown>) =>
  HttpClientRequest.post(`${server.url}/jsonrpc`).pipe(
    HttpClientRequest.bodyUnsafeJson({
      jsonrpc: "2.0",
      method: "call",
      params: { service: "object", method: "execute_kw", args: [server.database, 2, password, model, method, args, {}] },
      id: 1
    })
  )

const partner = { name: "Acme", is_company: true, ref: "leadgraph:acme.test" }

describe("the fake Odoo's lost answers", () => {
  it.live("gatewayTimeout: the partner is created, the client gets 504", () =>
    Effect.gen(function*() {
      const server = yield* FakeOdooServer.make({ password, lostReplyRate: 1, lostReply: "gatewayTimeout" })
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(executeKw(server, "res.partner", "create", [partner]))
      expect(response.status).toBe(504)
      expect(yield* response.text).toContain("504 Gateway Time-out")
      expect(server.db.all("res.partner")).toMatchObject([partner])
      expect(yield* server.lostReplies).toBe(1)

      yield* server.setFaults({ lostReplyRate: 0 })
      const found = yield* http.execute(executeKw(server, "res.partner", "search", [[["ref", "=", partner.ref]]]))
      expect(yield* found.json).toEqual({ jsonrpc: "2.0", id: 1, result: [server.db.all("res.partner")[0]!.id] })
      expect(yield* server.methodCalls).toEqual({ "res.partner.create": 1, "res.partner.search": 1 })
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))

  it.live("hang (the default): the partner is created, the client hears nothing until its time-out", () =>
    Effect.gen(function*() {
      const server = yield* FakeOdooServer.make({ password, lostReplyRate: 1 })
      const http = yield* HttpClient.HttpClient
      const answer = yield* http.execute(executeKw(server, "res.partner", "create", [partner])).pipe(
        Effect.timeout("200 millis"),
        Effect.either
      )
      expect(answer._tag).toBe("Left")
      expect(server.db.all("res.partner")).toHaveLength(1)
      expect(yield* server.lostReplies).toBe(1)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped))
})

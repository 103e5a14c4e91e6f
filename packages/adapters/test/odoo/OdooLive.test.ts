import { describe, expect, it } from "@effect/vitest"
import { Odoo } from "@leadgraph/core"
import { Cause, Effect, Exit, Layer, Logger, Schema } from "effect"
import * as OdooLive from "../../src/odoo/OdooLive.js"
import type * as FakeOdooServer from "../../src/odoo/testing/FakeOdooServer.js"
import { fastRetry, outcomes, password, withOdoo } from "./harness.js"
import * as OdooFake from "../../src/odoo/testing/OdooFake.js"

const company = Schema.decodeSync(Odoo.Company)
const contact = Schema.decodeSync(Odoo.Contact)

const acme = Schema.decodeSync(Odoo.Export)({
  company: { domain: "acme.example", name: "Acme GmbH", city: "Berlin" },
  contacts: [
    { email: "jane.doe@acme.example", name: "Jane Doe", jobTitle: "CTO" },
    { email: "max_mustermann@acme.example", name: "Max Mustermann" }
  ],
  lead: { name: "Acme GmbH (score 82)", probability: 82, description: "Fits the ICP: 120 staff & a CTO." }
})

const failureOf = <A>(exit: Exit.Exit<A, Odoo.OdooError>): Odoo.OdooError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

const logs: Array<string> = []
const capture = Logger.make(({ cause, message }) => {
  logs.push(`${JSON.stringify(message)} ${Cause.pretty(cause)}`)
})

describe("Odoo live adapter against the fake Odoo (JSON-RPC over HTTP)", () => {
  it.live("exports a company, its contacts and a lead, then a second export changes nothing", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const first = yield* odoo.exportCompany(acme)
        expect(outcomes(first)).toEqual(["created", "created", "created", "created"])

        const [company] = server.db.all("res.partner").filter((p) => p.is_company === true)
        expect(company).toMatchObject({ name: "Acme GmbH", website: "https://acme.example", city: "Berlin" })
        const people = server.db.all("res.partner").filter((p) => p.is_company === false)
        expect(people.map((p) => p.parent_id)).toEqual([[company!.id, "Acme GmbH"], [company!.id, "Acme GmbH"]])
        expect(people.map((p) => p.function)).toEqual(["CTO", false])
        const [lead] = server.db.all("crm.lead")
        expect(lead).toMatchObject({ partner_id: [company!.id, "Acme GmbH"], probability: 82, type: "lead" })

        const before = yield* server.methodCalls
        const second = yield* odoo.exportCompany(acme)
        expect(outcomes(second)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"])
        expect(second.company.id).toBe(first.company.id)
        const after = yield* server.methodCalls
        // Nothing created, nothing rewritten: only searches were made.
        expect(after["res.partner.create"]).toBe(before["res.partner.create"])
        expect(after["crm.lead.create"]).toBe(before["crm.lead.create"])
        expect(after["res.partner.write"] ?? 0).toBe(0)
        expect(after["crm.lead.write"] ?? 0).toBe(0)
        expect(after["common.login"]).toBe(1)
        expect(server.db.stats()).toEqual({ creates: 4, writes: 0, changed: 0 })
      })
    ))

  it.live("writes only the fields that changed", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        yield* odoo.exportCompany(acme)
        const changed = new Odoo.Export({
          ...acme,
          contacts: [contact({ email: "jane.doe@acme.example", name: "Jane Doe", jobTitle: "CEO" })],
          lead: new Odoo.Lead({ ...acme.lead!, probability: 90 })
        })
        const result = yield* odoo.exportCompany(changed)
        expect(result.company.outcome).toBe("unchanged")
        expect(result.contacts[0]!.result).toMatchObject({ outcome: "updated", fields: ["function"] })
        expect(result.lead).toMatchObject({ outcome: "updated", fields: ["probability"] })
        expect(server.db.stats()).toEqual({ creates: 4, writes: 2, changed: 2 })
      })
    ))

  it.live("finds the company by domain, not by a substring of it", () =>
    withOdoo((_server, odoo) =>
      Effect.gen(function*() {
        const other = yield* odoo.upsertCompany(company({ domain: "notacme.example", name: "Not Acme" }))
        const mine = yield* odoo.upsertCompany(company({ domain: "acme.example", name: "Acme" }))
        expect(mine.outcome).toBe("created")
        expect(mine.id).not.toBe(other.id)
        const again = yield* odoo.upsertCompany(company({ domain: "acme.example", name: "Acme" }))
        expect(again).toMatchObject({ id: mine.id, outcome: "unchanged" })
      })
    ))

  it.live("adopts records someone made by hand in Odoo: website spelled differently, email in capitals", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const id = server.db.execute("res.partner", "create", [{
          name: "Acme GmbH",
          is_company: true,
          website: "http://www.ACME.example/",
          city: "Berlin"
        }], {}) as number
        server.db.execute("res.partner", "create", [{ name: "Jane Doe", email: "Jane.Doe@ACME.example", parent_id: id }], {})
        const result = yield* odoo.exportCompany(new Odoo.Export({ ...acme, contacts: acme.contacts.slice(0, 1) }))
        // Adopted: only the key is written; the website keeps its spelling.
        expect(result.company).toMatchObject({ id, outcome: "updated", fields: ["ref"] })
        expect(result.contacts[0]!.result).toMatchObject({ outcome: "updated", fields: ["function"] })
        expect(server.db.all("res.partner")).toHaveLength(2)
        expect(server.db.all("res.partner")[0]).toMatchObject({ ref: "leadgraph:acme.example", website: "http://www.ACME.example/" })
      })
    ))

  it.live("a 429 from the proxy is honoured and retried", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const result = yield* odoo.exportCompany(acme)
          expect(result.company.outcome).toBe("created")
          const calls = yield* server.calls
          const rpc = yield* server.methodCalls
          const reached = Object.values(rpc).reduce((a, b) => a + b, 0)
          // Some HTTP calls were answered 429 and never reached Odoo, then retried.
          expect(calls["POST /jsonrpc"]!).toBeGreaterThan(reached)
        }),
      {
        server: { rateLimit: { limit: 3, interval: "400 millis" } },
        adapter: { retry: { ...fastRetry, retries: 10, maxRetryAfter: "410 millis" } }
      }
    ))

  it.live("a 429 carries the proxy's Retry-After", () =>
    withOdoo(
      (_server, odoo) =>
        Effect.gen(function*() {
          yield* odoo.upsertCompany(acme.company)
          const exit = yield* Effect.exit(odoo.upsertCompany(acme.company))
          const error = failureOf(exit)
          expect(error.reason).toBe("RateLimited")
          expect(error.status).toBe(429)
          expect(error.retryAfter).toBeDefined()
        }),
      { server: { rateLimit: { limit: 3, interval: "10 seconds" } }, adapter: { retry: { retries: 0 } } }
    ))

  it.live("5xx is retried, then given up as ServerError", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const error = failureOf(yield* Effect.exit(odoo.upsertCompany(acme.company)))
          expect(error.reason).toBe("ServerError")
          expect(error.status).toBe(503)
          expect(error.retryable).toBe(true)
          expect((yield* server.calls)["POST /jsonrpc"]).toBe(3)
        }),
      { server: { serverErrorRate: 1 } }
    ))

  it.live("a malformed body is a BadResponse, retried within the policy: Odoo bills nothing and upserts are idempotent", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const error = failureOf(yield* Effect.exit(odoo.upsertCompany(acme.company)))
          expect([error.reason, error.charged]).toEqual(["BadResponse", false])
          // the first attempt and fastRetry's 2 retries
          expect((yield* server.calls)["POST /jsonrpc"]).toBe(3)
        }),
      { server: { malformedRate: 1 } }
    ))

  it.live("a wrong password is Unauthorized, is not retried and runs no ORM call", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const error = failureOf(yield* Effect.exit(odoo.exportCompany(acme)))
          expect(error.reason).toBe("Unauthorized")
          expect(error.retryable).toBe(false)
          expect(yield* server.methodCalls).toEqual({})
          expect((yield* server.calls)["POST /jsonrpc"]).toBe(1)
        }),
      { server: { password: "rotated-password" } }
    ))

  it.live("a password changed after login gives AccessDenied as Unauthorized", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        yield* odoo.upsertCompany(acme.company)
        yield* server.setFaults({ password: "rotated-password" })
        const error = failureOf(yield* Effect.exit(odoo.upsertCompany(acme.company)))
        expect(error.reason).toBe("Unauthorized")
        expect(error.detail).toContain("odoo.exceptions.AccessDenied")
      })
    ))

  it.live("a ValidationError inside HTTP 200 is a BadRequest and is not retried", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const company = yield* odoo.upsertCompany(acme.company)
        // Bypasses the Lead schema's own 0-100 check to reach Odoo's constraint.
        const bad = new Odoo.Lead({ name: "Acme", probability: 150 }, true)
        const error = failureOf(yield* Effect.exit(odoo.upsertLead(company.id, acme.company, bad)))
        expect(error.reason).toBe("BadRequest")
        expect(error.status).toBeUndefined()
        expect(error.detail).toContain("odoo.exceptions.ValidationError")
        expect((yield* server.methodCalls)["crm.lead.create"]).toBe(1)
      })
    ))

  it.live("a hung connection ends at the timeout, retried then given up", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const error = failureOf(yield* Effect.exit(odoo.upsertCompany(acme.company)))
          expect(error.reason).toBe("Timeout")
          // Under load an attempt can time out before its request reaches the server.
          const attempts = (yield* server.calls)["POST /jsonrpc"] ?? 0
          expect(attempts).toBeGreaterThanOrEqual(2)
          expect(attempts).toBeLessThanOrEqual(3)
        }),
      { server: { hangRate: 1 }, adapter: { timeout: "250 millis" } }
    ))

  it.live("failing calls leak the password into no error message and no log", () =>
    Effect.gen(function*() {
      const texts: Array<string> = []
      const record = (exit: Exit.Exit<unknown, Odoo.OdooError>) =>
        Effect.gen(function*() {
          const error = failureOf(exit)
          texts.push(error.message, String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error)))
          yield* Effect.logError("odoo call failed", error)
        })
      const run = (server?: FakeOdooServer.Options, adapter?: Partial<OdooLive.Options>) =>
        withOdoo((_s, odoo) =>
          Effect.gen(function*() {
            const company = yield* Effect.exit(odoo.upsertCompany(acme.company))
            if (Exit.isFailure(company)) return yield* record(company)
            const bad = new Odoo.Lead({ name: "Acme", probability: -5 }, true)
            yield* record(yield* Effect.exit(odoo.upsertLead(company.value.id, acme.company, bad)))
          }), { ...(server ? { server } : {}), ...(adapter ? { adapter } : {}) })
      yield* run({ password: "rotated-password" })
      yield* run({ serverErrorRate: 1 })
      yield* run({ malformedRate: 1 })
      yield* run()
      yield* run({}, { url: "http://127.0.0.1:9" })
      yield* run({ hangRate: 1 }, { timeout: "50 millis", retry: { retries: 0 } })
      const captured = [...texts, ...logs].join("\n")
      expect(texts.length).toBe(24)
      expect(captured).toContain("Odoo")
      expect(captured).not.toContain(password)
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture))))
})

describe("OdooFake.layer (in memory)", () => {
  it.effect("is idempotent in the same way", () =>
    Effect.gen(function*() {
      const odoo = yield* Odoo.Odoo
      const first = yield* odoo.exportCompany(acme)
      const second = yield* odoo.exportCompany(acme)
      expect(outcomes(first)).toEqual(["created", "created", "created", "created"])
      expect(outcomes(second)).toEqual(["unchanged", "unchanged", "unchanged", "unchanged"])
    }).pipe(Effect.provide(OdooFake.layer())))

  it.effect("maps Odoo exceptions to the same reasons", () =>
    Effect.gen(function*() {
      const odoo = yield* Odoo.Odoo
      const error = failureOf(yield* Effect.exit(odoo.upsertContact(999, acme.contacts[0]!)))
      // parent_id 999 does not exist: MissingError on create.
      expect(error.reason).toBe("BadRequest")
      expect(error.detail).toContain("MissingError")
    }).pipe(Effect.provide(Layer.fresh(OdooFake.layer()))))
})

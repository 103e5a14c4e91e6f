/**
 * Issue 13, "Odoo stays idempotent": the live adapter against the fake Odoo
 * over JSON-RPC, with companies whose websites are not on their domains,
 * reruns under lost answers, 5xx and time-outs, and partners made before the
 * ref existed. After every scenario Odoo holds exactly one partner per
 * company, one contact per email and one lead per company.
 */
import { describe, expect, it } from "@effect/vitest"
import { Odoo } from "@leadgraph/core"
import { Effect } from "effect"
import type * as FakeOdooServer from "../../src/odoo/testing/FakeOdooServer.js"
import { census, exactlyOne, exportOf, type Fixture, fixtures, websites } from "./census.js"
import { fastRetry, outcomes, withOdoo } from "./harness.js"

const [acme, globex, initech] = fixtures as [Fixture, Fixture, Fixture, Fixture]

/** Each company with a website whose host is not its domain (or none), by round. */
const websiteOf = (f: Fixture, round: number) => websites(f)[(fixtures.indexOf(f) + round) % websites(f).length]

/** Exports every company `rounds` times, each round with other websites; failed exports are counted. */
const rerun = (odoo: Odoo.Service, rounds: number, from = 0) =>
  Effect.gen(function*() {
    let failed = 0
    for (let round = from; round < from + rounds; round++) {
      for (const f of fixtures) {
        const result = yield* Effect.either(odoo.exportCompany(exportOf(f, { website: websiteOf(f, round) })))
        if (result._tag === "Left") failed++
      }
    }
    return failed
  })

/** `execute_kw` calls per `<model>.<method>` made by `f`. */
const callsOf = <A, E>(server: FakeOdooServer.FakeOdooServer, f: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const before = yield* server.methodCalls
    const result = yield* f
    const after = yield* server.methodCalls
    const calls = Object.fromEntries(
      Object.entries(after).flatMap(([k, n]) => (n === (before[k] ?? 0) ? [] : [[k, n - (before[k] ?? 0)]]))
    )
    return [result, calls] as const
  })

/** Faults off; one clean round must finish the work, then a repeat changes nothing and only reads. */
const settle = (server: FakeOdooServer.FakeOdooServer, odoo: Odoo.Service, round: number) =>
  Effect.gen(function*() {
    yield* server.setFaults({ lostReplyRate: 0, serverErrorRate: 0, malformedRate: 0, hangRate: 0 })
    expect(yield* rerun(odoo, 1, round)).toBe(0)
    expect(census(server.db)).toEqual(exactlyOne(fixtures))
    const [, calls] = yield* callsOf(server, Effect.gen(function*() {
      for (const f of fixtures) {
        const again = yield* odoo.exportCompany(exportOf(f, { website: websiteOf(f, round) }))
        expect(outcomes(again).filter((o) => o !== "unchanged")).toEqual([])
      }
    }))
    expect(calls).toEqual({ "res.partner.search_read": fixtures.length, "crm.lead.search_read": fixtures.length })
  })

describe("Odoo export idempotence over JSON-RPC (issue 13)", () => {
  it.live("websites on other hosts: reruns find each partner by its ref and create nothing", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        expect(yield* rerun(odoo, 6)).toBe(0)
        expect(census(server.db)).toEqual(exactlyOne(fixtures))
        expect(server.db.all("res.partner").filter((p) => p.is_company === true).map((p) => p.ref))
          .toEqual(fixtures.map((f) => `leadgraph:${f.domain}`))
        yield* settle(server, odoo, 6)
      })
    ))

  it.live("reruns with lost answers (504 after Odoo committed), 503 and garbled bodies leave one of each", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          const failed = yield* rerun(odoo, 5)
          // The faults did happen, and some exports gave up under them.
          expect(yield* server.lostReplies).toBeGreaterThan(5)
          expect(failed).toBeGreaterThan(0)
          expect(census(server.db).strays).toBe(0)
          yield* settle(server, odoo, 5)
        }),
      {
        server: { seed: 13, lostReplyRate: 0.25, lostReply: "gatewayTimeout", serverErrorRate: 0.1, malformedRate: 0.05 },
        adapter: { retry: { ...fastRetry, retries: 3 } }
      }
    ))

  it.live("reruns with answers lost to the client's time-out and hung connections leave one of each", () =>
    withOdoo(
      (server, odoo) =>
        Effect.gen(function*() {
          yield* rerun(odoo, 3)
          expect(yield* server.lostReplies).toBeGreaterThan(0)
          yield* settle(server, odoo, 3)
        }),
      {
        server: { seed: 7, lostReplyRate: 0.15, lostReply: "hang", hangRate: 0.05 },
        adapter: { timeout: "150 millis", retry: { ...fastRetry, retries: 3 } }
      }
    ), 30_000)

  it.live("a partner made before the ref is adopted: the ref is written onto it, its contacts and lead are kept", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const id = server.db.execute("res.partner", "create", [{ name: "Acme", is_company: true, website: "https://acme.test" }], {}) as number
        const ann = server.db.execute("res.partner", "create", [{ name: "ANN", email: "ann@acme.test", parent_id: id }], {})
        server.db.execute("crm.lead", "create", [{ name: "Acme (leadgraph)", partner_name: "Acme", partner_id: id, probability: 80 }], {})
        // The website has moved to a subdomain since: the old lookup, by website, would lose the partner next time.
        const input = exportOf(acme, { website: "http://shop.acme.test" })
        const [adopted, calls] = yield* callsOf(server, odoo.exportCompany(input))
        expect(adopted.company).toMatchObject({ id, outcome: "updated", fields: ["ref", "website"] })
        expect(adopted.contacts.map((c) => [c.result.id === ann, c.result.outcome])).toEqual([
          [true, "unchanged"],
          [false, "created"],
          [false, "created"]
        ])
        expect(adopted.lead?.outcome).toBe("unchanged")
        // One write more than an unchanged export, once.
        expect(calls).toEqual({
          "common.login": 1,
          "res.partner.search_read": 1,
          "res.partner.write": 1,
          "res.partner.create": 1,
          "crm.lead.search_read": 1
        })
        expect(server.db.all("res.partner")[0]).toMatchObject({ id, ref: "leadgraph:acme.test", website: "http://shop.acme.test" })

        const [again, repeat] = yield* callsOf(server, odoo.exportCompany(input))
        expect(again.company).toMatchObject({ id, outcome: "unchanged" })
        expect(repeat).toEqual({ "res.partner.search_read": 1, "crm.lead.search_read": 1 })
        expect(census(server.db)).toEqual(exactlyOne([acme]))
      })
    ))

  it.live("a partner whose ref is the tenant's own keeps it, and keeps a website on its domain", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        const id = server.db.execute("res.partner", "create", [{
          name: "Acme",
          is_company: true,
          website: "https://acme.test",
          ref: "CUST-0042"
        }], {}) as number
        for (const website of ["http://shop.acme.test", "https://acme-group.example/", "https://shop.acme.test/"]) {
          const result = yield* odoo.exportCompany(exportOf(acme, { website }))
          expect(result.company).toMatchObject({ id, outcome: "unchanged", fields: [] })
        }
        // A website on the domain is written: the partner stays findable by it.
        const moved = yield* odoo.exportCompany(exportOf(acme, { website: "https://www.acme.test/en/" }))
        expect(moved.company).toMatchObject({ id, outcome: "updated", fields: ["website"] })
        expect(server.db.all("res.partner")[0]).toMatchObject({ ref: "CUST-0042", website: "https://www.acme.test/en/" })
        expect(census(server.db)).toEqual(exactlyOne([acme]))
      })
    ))

  it.live("a partner holding another company's ref is never adopted (a website redirecting to another company)", () =>
    withOdoo((server, odoo) =>
      Effect.gen(function*() {
        // Initech's site now redirects to Acme's domain: Initech's partner has Acme's website.
        const initechFirst = yield* odoo.exportCompany(exportOf(initech, { website: "https://acme.test/" }))
        const acmeFirst = yield* odoo.exportCompany(exportOf(acme, { website: "https://acme.test" }))
        expect(acmeFirst.company.outcome).toBe("created")
        expect(acmeFirst.company.id).not.toBe(initechFirst.company.id)
        const initechAgain = yield* odoo.exportCompany(exportOf(initech, { website: "https://acme.test/" }))
        const acmeAgain = yield* odoo.exportCompany(exportOf(acme, { website: "https://www.acme.test/" }))
        expect([initechAgain.company.id, acmeAgain.company.id]).toEqual([initechFirst.company.id, acmeFirst.company.id])
        expect(census(server.db)).toEqual(exactlyOne([acme, initech]))
        // The single upserts keep the same keys.
        const single = yield* odoo.upsertCompany(exportOf(globex).company)
        expect(single.outcome).toBe("created")
        expect(yield* odoo.upsertCompany(exportOf(globex, { website: "http://shop.globex.test" }).company))
          .toMatchObject({ id: single.id, outcome: "updated", fields: ["website"] })
      })
    ))
})

/**
 * The set-up use cases over the memory store: tenants added, updated,
 * refused with one line per problem, disabled; ICP rules as versions with
 * field-naming problems; Odoo connections checked, stored and tested.
 */
import { describe, expect, it } from "@effect/vitest"
import { IcpSetup, Odoo, OdooConnector, OdooSetup, Store, TenantSetup } from "@leadgraph/core"
import { ConfigError, Effect, Either, Layer, Option } from "effect"

const connector = (fail?: "config" | Odoo.OdooError) =>
  Layer.succeed(OdooConnector.OdooConnector, {
    connect: () =>
      fail === "config"
        ? Layer.fail(ConfigError.MissingData(["ODOO_PW"], "Expected ODOO_PW to exist"))
        : Layer.succeed(Odoo.Odoo, {
          ...({} as Odoo.Service),
          serverVersion: fail === undefined ? Effect.succeed("17.0") : Effect.fail(fail)
        })
  })

describe("set-up use cases", () => {
  it.effect("tenants: added, updated, refused with one line per problem, disabled and enabled", () =>
    Effect.gen(function*() {
      const first = yield* TenantSetup.add({ id: "acme", dailyCap: 10 })
      expect([first.added, first.tenant.name, first.tenant.dailyCap]).toEqual([true, "acme", 10])
      const again = yield* TenantSetup.add({ id: "acme", timeZone: "Europe/Berlin" })
      expect([again.added, again.tenant.dailyCap, again.tenant.timeZone]).toEqual([false, 10, "Europe/Berlin"])
      expect(TenantSetup.addedText(again)).toBe("updated tenant acme (name \"acme\", daily cap 10, time zone Europe/Berlin)")
      const bad = yield* Effect.flip(TenantSetup.add({ id: "", name: " ", dailyCap: -1, timeZone: "Nowhere" }))
      expect(bad._tag === "InvalidInput" ? bad.problems.length : -1).toBe(4)
      expect((yield* TenantSetup.list).map((t) => t.id)).toEqual(["acme"])
      expect((yield* TenantSetup.setDisabled("acme", true)).disabled).toBe(true)
      expect(yield* Effect.flatMap(Store.Store, (s) => s.listActiveTenants())).toEqual([])
      expect(TenantSetup.listText(yield* TenantSetup.list, { dailyCap: 5, timeZone: "UTC" })).toContain("disabled")
      expect((yield* Effect.flip(TenantSetup.setDisabled("nobody", true)))._tag).toBe("UnknownTenant")
    }).pipe(Effect.provide(Store.layerMemory())))

  it.effect("ICP rules: field-naming problems, versions, unchanged", () =>
    Effect.gen(function*() {
      yield* TenantSetup.add({ id: "acme" })
      const decoded = IcpSetup.decode({ rules: [{ name: "A", criteria: { x: 1 }, weight: 150 }, { name: "A", criteria: {} }] })
      expect(Either.isLeft(decoded) && decoded.left.problems).toEqual(["rules[0].weight: expected a number from 0 to 100, got 150"])
      const repeated = IcpSetup.decode([{ name: "A", criteria: {} }, { name: "A", criteria: {} }])
      expect(Either.isLeft(repeated) && repeated.left.problems).toEqual(["rules[1].name: \"A\" is the name of rules[0] too"])
      expect(Either.isLeft(IcpSetup.decode("rules"))).toBe(true)
      const rules = [{ name: "DACH", criteria: { country: ["Germany"] }, weight: 30 }]
      expect(yield* IcpSetup.set("acme", rules)).toEqual({ version: 1, changed: true })
      expect(yield* IcpSetup.set("acme", { rules })).toEqual({ version: 1, changed: false })
      expect(yield* IcpSetup.set("acme", [{ ...rules[0], weight: 40 }])).toEqual({ version: 2, changed: true })
      const active = Option.getOrThrow(yield* IcpSetup.show("acme"))
      expect([active.version, active.rules[0]?.weight]).toEqual([2, 40])
      expect(IcpSetup.versionText(active)).toMatch(/^version 2, set /)
      expect((yield* Effect.flip(IcpSetup.set("acme", [{ name: "" }])))._tag).toBe("InvalidInput")
      expect((yield* IcpSetup.show("acme", 1)).pipe(Option.map((v) => v.rules[0]?.weight))).toEqual(Option.some(30))
    }).pipe(Effect.provide(Store.layerMemory())))

  it.effect("Odoo: a connection checked (the secret ref never echoed), stored and tested", () =>
    Effect.gen(function*() {
      yield* TenantSetup.add({ id: "acme" })
      const none = yield* Effect.flip(OdooSetup.test("acme"))
      expect(none._tag === "OdooTestFailed" && none.reason).toBe("NoConnection")
      const bad = yield* Effect.flip(OdooSetup.connect("acme", { url: "ftp://x", database: "", login: "l", secretRef: "hunter2" }))
      expect(bad._tag === "InvalidInput" && bad.problems.join("\n")).not.toContain("hunter2")
      const stored = yield* OdooSetup.connect("acme", { url: "https://o.example", database: "d", login: "l", secretRef: "env:ODOO_PW" })
      expect([stored.active, stored.createLeads]).toEqual([true, true])
      expect(yield* OdooSetup.test("acme").pipe(Effect.provide(connector()))).toMatchObject({ serverVersion: "17.0" })
      const missing = yield* Effect.flip(OdooSetup.test("acme").pipe(Effect.provide(connector("config"))))
      expect(missing.message).toBe("the variable ODOO_PW (the connection's secret ref) is not set")
      const refused = yield* Effect.flip(
        OdooSetup.test("acme").pipe(Effect.provide(connector(new Odoo.OdooError({ reason: "Unauthorized", detail: "no" }))))
      )
      expect(refused._tag === "OdooTestFailed" && refused.reason).toBe("Refused")
      const unreachable = yield* Effect.flip(
        OdooSetup.test("acme").pipe(Effect.provide(connector(new Odoo.OdooError({ reason: "Transport", detail: "refused" }))))
      )
      expect(unreachable._tag === "OdooTestFailed" && unreachable.reason).toBe("Unreachable")
    }).pipe(Effect.provide(Layer.merge(Store.layerMemory(), connector()))))
})

/**
 * The set-up commands in process, on the embedded database (in a work
 * folder of their own) and, with `DATABASE_URL`, on a scratch schema of
 * Postgres: tenants add, update, list, disable and enable; ICP rules set
 * from YAML and JSON as versions, refused with one line per problem; an
 * Odoo connection stored and tested against the fake Odoo (the server's
 * version, a wrong password, a variable not set).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { FakeOdooServer, TestDatabases } from "@leadgraph/adapters/testing"
import { Effect, Layer, Scope } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { leadgraph } from "./inProcess.js"

const work = mkdtempSync(join(tmpdir(), "lg-setup-"))
const home = process.cwd()
beforeAll(() => process.chdir(work))
afterAll(() => {
  process.chdir(home)
  rmSync(work, { recursive: true, force: true })
})

/** The databases: the embedded one always, a scratch schema of Postgres when `DATABASE_URL` is set. */
const targets = (): ReadonlyArray<{ readonly label: string; readonly env: Effect.Effect<Record<string, string>, unknown, Scope.Scope> }> => [
  { label: "pglite", env: Effect.succeed({}) },
  ...(process.env.DATABASE_URL === undefined ? [] : [{
    label: "postgres",
    env: Effect.gen(function*() {
      const context = yield* Layer.build(TestDatabases.scratchSchema("setup_cli", process.env.DATABASE_URL!))
      const { schema } = yield* Effect.provide(TestDatabases.Owner, context)
      const url = new URL(process.env.DATABASE_URL!)
      url.searchParams.set("options", `-c search_path=${schema}`)
      return { DATABASE_URL: url.toString() }
    })
  }])
]

const yamlRules = `rules:
  - name: DACH
    criteria: { country: [Germany, Austria, Switzerland] }
    weight: 30
  - name: Mid-size
    criteria: { employee_count_min: 50, employee_count_max: 500 }
    weight: 20
`

describe("leadgraph tenants, icp and odoo", () => {
  for (const target of targets()) {
    it.scoped(`set up a tenant from nothing (${target.label})`, () =>
      Effect.gen(function*() {
        const env = { ...(yield* target.env), SCHED_TZ: "Asia/Singapore", SCHED_DAILY_CAP_PER_TENANT: "100" }
        const run = (...args: ReadonlyArray<string>) => leadgraph(args, { env })
        const id = `acme-${target.label}`

        // tenants
        expect((yield* run("tenants", "add", id, "--name", "Acme", "--daily-cap", "20")).out).toBe(
          `added tenant ${id} (name "Acme", daily cap 20, time zone SCHED_TZ)`
        )
        expect((yield* run("tenants", "add", id, "--time-zone", "Europe/Berlin")).out).toBe(
          `updated tenant ${id} (name "Acme", daily cap 20, time zone Europe/Berlin)`
        )
        const bad = yield* run("tenants", "add", "other", "--daily-cap", "-3", "--time-zone", "Mars/Olympus")
        expect(bad.ok).toBe(false)
        expect(bad.error.split("\n")).toEqual([
          "daily cap: expected a non-negative integer, got -3",
          "time zone: expected an IANA time zone such as Asia/Singapore, got \"Mars/Olympus\""
        ])
        expect((yield* run("tenants", "add", "beta")).out).toContain("added tenant beta (name \"beta\", daily cap default")
        // `default` clears a field; a value that is not a number is a usage error
        expect((yield* run("tenants", "add", "beta", "--daily-cap", "7", "--time-zone", "Europe/Paris")).out).toContain(
          "daily cap 7, time zone Europe/Paris"
        )
        expect((yield* run("tenants", "add", "beta", "--daily-cap", "default", "--time-zone", "default")).out).toBe(
          "updated tenant beta (name \"beta\", daily cap default, time zone SCHED_TZ)"
        )
        const notANumber = yield* run("tenants", "add", "beta", "--daily-cap", "lots")
        expect(notANumber.ok).toBe(false)
        expect(notANumber.error).toContain("--daily-cap: expected a non-negative integer or \"default\", got \"lots\"")

        // ICP rules: a YAML file, again (unchanged), a bad JSON file (nothing stored), show
        const yaml = join(work, `${target.label}-rules.yaml`)
        writeFileSync(yaml, yamlRules)
        expect((yield* run("icp", "set", yaml, "--tenant", id)).out).toBe(`tenant ${id}: ICP rules version 1 set (now active)`)
        expect((yield* run("icp", "set", yaml, "--tenant", id)).out).toBe(
          `tenant ${id}: ICP rules unchanged (version 1 is active)`
        )
        const json = join(work, `${target.label}-bad.json`)
        writeFileSync(json, JSON.stringify([
          { name: "Ok", criteria: { country: "Germany" }, weight: 10 },
          { name: "Heavy", criteria: { industry: ["software"] }, weight: 150 },
          { criteria: {}, wieght: 3 }
        ]))
        const refused = yield* run("icp", "set", json, "--tenant", id)
        expect(refused.error.split("\n")).toEqual([
          "rules[1].weight: expected a number from 0 to 100, got 150",
          "rules[2].wieght: is not a known field",
          "rules[2].name: is missing"
        ])
        const shown = yield* run("icp", "show", "--tenant", id)
        expect(shown.out).toMatch(new RegExp(`^version 1, set \\d{4}-\\d\\d-\\d\\dT[^,]+, 2 rule\\(s\\)`))
        expect(shown.out).toContain("\"name\": \"DACH\"")
        expect(shown.out).not.toContain("Heavy")
        expect((yield* run("icp", "show", "--tenant", "nobody")).error).toBe("no tenant \"nobody\"")

        // Odoo: a bad connection is refused; the fake Odoo's is stored and tested
        const odoo = yield* FakeOdooServer.make()
        const badOdoo = yield* run("odoo", "connect", "--tenant", id, "--url", "ftp://odoo.example", "--db", "x",
          "--login", "bot", "--secret-ref", "hunter2")
        expect(badOdoo.error.split("\n")).toEqual([
          "url: expected an http or https URL, got \"ftp://odoo.example\"",
          "secret ref: expected env:NAME, the environment variable that holds the password, got \"…\""
        ])
        expect(badOdoo.error).not.toContain("hunter2")
        const connected = yield* run("odoo", "connect", "--tenant", id, "--url", odoo.url, "--db", odoo.database,
          "--login", odoo.login, "--secret-ref", "env:ODOO_PASSWORD_ACME")
        expect(connected.out).toContain(`password from env:ODOO_PASSWORD_ACME`)
        const tested = yield* leadgraph(["odoo", "test", "--tenant", id], {
          env: { ...env, ODOO_PASSWORD_ACME: FakeOdooServer.defaults.password }
        })
        expect(tested.out).toBe(`tenant ${id}: logged in to Odoo at ${odoo.url}, server version 17.0`)
        const wrong = yield* leadgraph(["odoo", "test", "--tenant", id], { env: { ...env, ODOO_PASSWORD_ACME: "wrong-password" } })
        expect(wrong.error).toContain("refused the login")
        expect(wrong.error).not.toContain("wrong-password")
        expect((yield* run("odoo", "test", "--tenant", id)).error).toBe(
          "the variable ODOO_PASSWORD_ACME (the connection's secret ref) is not set"
        )
        expect((yield* run("odoo", "test", "--tenant", "beta")).error).toContain("tenant beta has no active Odoo connection")

        // list, disable, enable
        const listed = (yield* run("tenants", "list")).out.split("\n")
        expect(listed[0]).toMatch(/^id +name +status +daily cap +time zone +odoo +companies$/)
        expect(listed.find((l) => l.startsWith(id))?.split(/ {2,}/)).toEqual([
          id, "Acme", "active", "20", "Europe/Berlin", "connected", "0"
        ])
        expect(listed.find((l) => l.startsWith("beta"))?.split(/ {2,}/)).toEqual([
          "beta", "beta", "active", "100 (default)", "Asia/Singapore (SCHED_TZ)", "not connected", "0"
        ])
        expect((yield* run("tenants", "disable", id)).out).toBe(`tenant ${id} disabled: nightly runs leave it out`)
        expect((yield* run("tenants", "list")).out).toMatch(new RegExp(`${id} +Acme +disabled`))
        expect((yield* run("tenants", "enable", id)).out).toBe(`tenant ${id} enabled`)
        expect((yield* run("tenants", "disable", "nobody")).error).toBe("no tenant \"nobody\"")
      }), { timeout: 180_000 })
  }
})
